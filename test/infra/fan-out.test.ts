import { describe, expect, it } from 'vitest';
import { QUEUES, routes } from '../../shared/routes.ts';
import { functionOf, functionResource, logicalIdOf, statementsOf, synthChatStack, type CfnResource } from '../support/cdk.ts';

/** The fan-out queue as the template builds it from its route-table row (infra/cdk/fan-out.ts). */
const { stack, template } = synthChatStack();
const resources = template.toJSON().Resources as Record<string, CfnResource>;
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const row = QUEUES.fanOut;
const queueId = logicalIdOf(stack, stack.backend.node.findChild(`${row.name}Queue`) as never);
const deadLetterId = logicalIdOf(stack, stack.backend.node.findChild(`${row.name}DeadLetterQueue`) as never);
const fanOutFunctionId = logicalIdOf(stack, functionOf(stack, row));

describe('the fan-out queue, from its route-table row', () => {
  it('is encrypted, TLS-only, and redrives to its dead-letter queue after the row\'s maxReceiveCount', () => {
    expect(resources[queueId]!.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: row.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] }, maxReceiveCount: row.maxReceiveCount },
    });
    expect(resources[deadLetterId]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    for (const id of [queueId, deadLetterId]) {
      const policy = ofType('AWS::SQS::QueuePolicy').find(([, p]) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: id }]))?.[1];
      expect(policy?.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]));
    }
  });

  it('feeds the fan-out function through an event source with the row\'s batch size, concurrency and partial batch failures', () => {
    const [[, mapping]] = ofType('AWS::Lambda::EventSourceMapping') as [[string, CfnResource]];
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: fanOutFunctionId },
      BatchSize: row.batchSize,
      ScalingConfig: { MaximumConcurrency: row.maxConcurrency },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(functionResource(stack, template, row).Properties.ReservedConcurrentExecutions).toBe(row.maxConcurrency);
  });

  it('alarms to the alarm topic on any dead letter and on a backlog older than a minute', () => {
    const topicId = ofType('AWS::SNS::Topic')[0]![0];
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties).filter((alarm) => alarm.Namespace === 'AWS/SQS');
    const on = (metric: string, queue: string) => alarms.find((alarm) => alarm.MetricName === metric && alarm.Dimensions[0].Value['Fn::GetAtt']?.[0] === queue);
    expect(on('ApproximateNumberOfMessagesVisible', deadLetterId)).toMatchObject({ Threshold: 1, AlarmActions: [{ Ref: topicId }] });
    expect(on('ApproximateAgeOfOldestMessage', queueId)).toMatchObject({ Threshold: 60, AlarmActions: [{ Ref: topicId }] });
  });

  it('lets exactly the rows that declare it send to the queue (sqs:SendMessage on it alone), and hands them its URL', () => {
    const senders = routes.filter((r) => r.access.enqueue?.includes(row.name));
    expect(senders.map((r) => r.name).sort()).toEqual(['messageSend', 'wsSendMessage']);
    for (const r of routes.filter((r) => r.kind !== 'queue')) {
      const sqsStatements = statementsOf(stack, template, r).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('sqs:')));
      const env = functionResource(stack, template, r).Properties.Environment.Variables;
      if (senders.includes(r)) {
        expect(sqsStatements, r.name).toEqual([expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } })]);
        expect(env[row.queueUrlEnv], r.name).toEqual({ Ref: queueId });
      } else {
        expect(sqsStatements, r.name).toEqual([]);
        expect(env[row.queueUrlEnv], r.name).toBeUndefined();
      }
    }
  });
});
