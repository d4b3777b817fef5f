import { resolve } from 'node:path';
import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type { CfnApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../shared/data/table.ts';
import type { Route } from '../../shared/routes.ts';
import { lambdaBundling } from './bundling.ts';
import { logGroup } from './observability.ts';
import { BUCKET_ACTIONS, CONNECTIONS_ACTIONS, LOG_ACTIONS, SECRET_ACTIONS, TABLE_ACTIONS } from './permissions.ts';

const ROOT = resolve(import.meta.dirname, '../..');

// Above the DynamoDB client's worst case (3 attempts × 3 s, shared/data/client.ts), so a stuck dependency ends in
// the handler's own 503 envelope rather than a Lambda timeout; below the HTTP API's 30 s integration limit.
const FUNCTION_TIMEOUT = Duration.seconds(15);

export type FunctionSettings = {
  memoryMb: number;
  logRetention: RetentionDays;
  /** Powertools' `service`: the dimension of this backend's metrics and a key on every log line. */
  serviceName: string;
};

/** What a row's `access` may reach. The WebSocket stage exists once the route table has WebSocket rows. */
export type RouteResources = { table: Table; bucket: Bucket; secret: Secret; webSocketStage?: WebSocketStage };

/** One function per route row: its own role and log group, and exactly the permissions its `access` declares. */
export function routeFunction(scope: Construct, row: Route, { table, bucket, secret, webSocketStage }: RouteResources, settings: FunctionSettings): NodejsFunction {
  const stack = Stack.of(scope);
  const functionLogs = logGroup(scope, `${row.name}Logs`, settings.logRetention);
  const role = new Role(scope, `${row.name}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  const allow = (actions: readonly string[], resources: string[]) => role.addToPrincipalPolicy(new PolicyStatement({ actions: [...actions], resources }));

  allow(LOG_ACTIONS, [functionLogs.logGroupArn]);
  allow(SECRET_ACTIONS, [secret.secretArn]);
  if (row.access.table) allow(TABLE_ACTIONS[row.access.table], [table.tableArn, ...TABLE_SCHEMA.indexes.map((index) => `${table.tableArn}/index/${index.name}`)]);

  const environment: Record<string, string> = {
    TABLE_NAME: table.tableName,
    JWT_SECRET_ARN: secret.secretArn,
    POWERTOOLS_SERVICE_NAME: settings.serviceName,
    // X-Ray: Lambda records each invocation (active tracing below), shared/tracing.ts each AWS SDK call inside it.
    POWERTOOLS_TRACE_ENABLED: 'true',
    // No NODE_OPTIONS=--enable-source-maps: measured (npm run bundle-sizes -- --source-maps) it adds 113-325 ms to
    // the first stack trace of each container (README, "Cold starts"). The map ships beside the bundle, so setting
    // the variable on one function while debugging needs no new build.
  };
  // Object keys and connection ids are only known at run time: the only wildcards, each acknowledged where granted.
  const acknowledgeWildcard = (resource: string) => Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${resource}]`,
    reason: 'Object keys and connection ids are chosen at run time; the actions stay exactly those the route row declares.',
  });
  if (row.access.bucket) {
    allow(BUCKET_ACTIONS[row.access.bucket], [bucket.arnForObjects('*')]);
    acknowledgeWildcard(`<${stack.getLogicalId(bucket.node.defaultChild as CfnBucket)}.Arn>/*`);
    environment.BUCKET_NAME = bucket.bucketName;
  }
  if (row.access.connections) {
    if (!webSocketStage) throw new Error(`Route ${row.name} pushes to WebSocket connections, but the route table has no WebSocket rows`);
    const connections = `${webSocketStage.stageName}/*/@connections/*`;
    allow(CONNECTIONS_ACTIONS, [stack.formatArn({ service: 'execute-api', resource: webSocketStage.api.apiId, resourceName: connections })]);
    acknowledgeWildcard(`arn:<AWS::Partition>:execute-api:${nagValue(stack.region, 'AWS::Region')}:${nagValue(stack.account, 'AWS::AccountId')}:<${stack.getLogicalId(webSocketStage.api.node.defaultChild as CfnApi)}>/${connections}`);
    environment.WS_CALLBACK_URL = webSocketStage.callbackUrl;
  }

  const fn = new NodejsFunction(scope, `${row.name}Function`, {
    entry: resolve(ROOT, row.entry),
    handler: 'handler',
    projectRoot: ROOT,
    depsLockFilePath: resolve(ROOT, 'package-lock.json'),
    description: `${describe(row)}: ${row.summary}`,
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    memorySize: settings.memoryMb,
    timeout: FUNCTION_TIMEOUT,
    bundling: lambdaBundling,
    tracing: Tracing.ACTIVE,
    role,
    logGroup: functionLogs,
    environment,
  });
  // Active tracing grants xray:PutTraceSegments and xray:PutTelemetryRecords, which take no resource but `*`.
  Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray trace segments and telemetry have no resource-level permissions: `*` is the only resource AWS accepts.' });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason: 'Node.js 22 is the LTS line the handlers are built and tested for (esbuild target node22), supported by Lambda into 2027; move BUNDLE.target and the runtime together.',
  });
  return fn;
}

function describe(row: Route): string {
  if (row.kind === 'http') return `${row.method} ${row.path}`;
  if (row.kind === 'queue') return `SQS ${row.name}`;
  return `${row.kind === 'ws' ? 'WebSocket' : 'HTTP'} ${row.routeKey}`;
}

/** How cdk-nag spells a value in a finding id: concrete when the stack's env sets it, else the pseudo parameter. */
function nagValue(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? `<${pseudo}>` : value;
}
