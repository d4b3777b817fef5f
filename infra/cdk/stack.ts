import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ChatBackend, type ChatBackendProps } from './chat-backend.ts';

export type ChatStackProps = StackProps & ChatBackendProps;

/**
 * This repository's own deployment: one ChatBackend with its defaults, and the outputs README lists. Teams with a
 * CDK app of their own place ChatBackend in it instead (README, "Embed it in your own CDK app").
 */
export class ChatStack extends Stack {
  readonly backend: ChatBackend;

  constructor(scope: Construct, id: string, props: ChatStackProps = {}) {
    super(scope, id, props);
    // 'Default' leaves the construct out of the resources' logical ids, so they stay those of the stack that
    // built everything itself: a deployed stack updates in place instead of replacing its table.
    this.backend = new ChatBackend(this, 'Default', props);

    new CfnOutput(this, 'HttpApiUrl', { value: this.backend.httpUrl, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'WebSocketUrl', {
      value: this.backend.webSocketUrl ?? 'none (the route table has no WebSocket rows)',
      description: 'wss:// URL of the WebSocket API (connect with ?token=<jwt>)',
    });
    new CfnOutput(this, 'TableName', { value: this.backend.table.tableName });
    new CfnOutput(this, 'BucketName', { value: this.backend.bucket.bucketName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.backend.alarmTopic.topicArn, description: 'Subscribe an email or pager here' });
  }
}
