import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ChatStack, type ChatStackProps } from './stack.ts';

export const STACK_NAME = 'ChatBackend';

/**
 * The app as `cdk synth` builds it, shared with the tests: the stack, and cdk-nag's AwsSolutions pack as a
 * validation plugin, so any finding not acknowledged (with its reason) where it arises fails the synth.
 */
export function createChatApp(options: { app?: AppProps; stack?: ChatStackProps } = {}): { app: App; stack: ChatStack } {
  const app = new App(options.app);
  const stack = new ChatStack(app, STACK_NAME, {
    description: 'Serverless chat backend: HTTP + WebSocket APIs, Lambda, DynamoDB, S3 (built from shared/routes.ts)',
    // Environment-agnostic unless the CLI knows the account: synth works offline, without credentials.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    ...options.stack,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
