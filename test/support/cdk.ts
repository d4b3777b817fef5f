import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { createChatApp } from '../../infra/cdk/create-app.ts';
import type { ChatStack, ChatStackProps } from '../../infra/cdk/stack.ts';
import type { Access, Route } from '../../shared/routes.ts';

/**
 * Synthesizes the app the way `cdk synth` does, minus esbuild (test/infra/bundling.test.ts covers the bundles):
 * the template is the same, only the asset contents are skipped.
 */
export function synthChatStack(stackProps?: ChatStackProps) {
  const { app, stack } = createChatApp({ app: { context: { 'aws:cdk:bundling-stacks': [] } }, stack: stackProps });
  return { app, stack, template: Template.fromStack(stack) };
}

export type CfnResource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

export function logicalIdOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnFunction);
}

export function functionOf(stack: ChatStack, row: Route): NodejsFunction {
  const fn = stack.backend.functions.get(row.name);
  if (!fn) throw new Error(`no function for row ${row.name}`);
  return fn;
}

export function functionResource(stack: ChatStack, template: Template, row: Route): CfnResource {
  const resources = template.toJSON().Resources as Record<string, CfnResource>;
  return resources[logicalIdOf(stack, functionOf(stack, row))]!;
}

export type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** Every statement of every IAM policy attached to the row's function role (its role has no other policies: see stack.test.ts). */
export function statementsOf(stack: ChatStack, template: Template, row: Route): Statement[] {
  const roleId = logicalIdOf(stack, functionOf(stack, row).role!);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as CfnResource[];
  return policies
    .filter((policy) => (policy.Properties.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId })))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export function actionsOf(statements: Statement[]): string[] {
  return [...new Set(statements.flatMap((statement) => [statement.Action].flat()))].sort();
}

/**
 * What issue 5 promises each access level may do, written out independently of infra/cdk/permissions.ts; a queue
 * row's function also consumes its queue (what its SQS event source needs). Every function sends X-Ray its traces.
 */
/** What active tracing needs: X-Ray takes no resource but `*` for these. */
export const XRAY_ACTIONS = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

export function expectedActions(access: Access, consumesQueue = false): string[] {
  const read = ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query'];
  const write = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
  return [
    'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue', ...XRAY_ACTIONS,
    ...(access.table ? read : []), ...(access.table === 'readwrite' ? write : []),
    ...(access.bucket ? ['s3:GetObject'] : []), ...(access.bucket === 'readwrite' ? ['s3:DeleteObject', 's3:PutObject'] : []),
    ...(access.connections ? ['execute-api:ManageConnections'] : []),
    ...(access.enqueue?.length ? ['sqs:SendMessage'] : []),
    ...(consumesQueue ? ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'] : []),
  ].sort();
}
