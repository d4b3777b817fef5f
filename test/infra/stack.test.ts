import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HTTP_DEFAULT, httpRoutes, lambdaFunctions, routes, wsRoutes } from '../../shared/routes.ts';
import { TABLE_SCHEMA } from '../../shared/data/table.ts';
import { XRAY_ACTIONS, actionsOf, expectedActions, functionOf, functionResource, logicalIdOf, statementsOf, synthChatStack, type CfnResource } from '../support/cdk.ts';

/** Synthesized once for the file, from the real route table. */
const { app, stack, template } = synthChatStack();
const resources = template.toJSON().Resources as Record<string, CfnResource>;
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const tableId = ofType('AWS::DynamoDB::Table')[0]![0];
const secretId = ofType('AWS::SecretsManager::Secret')[0]![0];
/** Every function: one per row, plus the $connect authorizer. */
const functions = lambdaFunctions(routes);

describe('the stack is built from the route table', () => {
  it('has one function per row (and the $connect authorizer), and no other function', () => {
    expect(routes.length).toBeGreaterThan(0);
    expect(functions.length).toBe(routes.length + wsRoutes.filter((row) => row.authorizer).length);
    template.resourceCountIs('AWS::Lambda::Function', functions.length);
    for (const row of functions) expect(functionResource(stack, template, row).Type).toBe('AWS::Lambda::Function');
  });

  it('has one API route per row, with the row\'s method and path, integrated with the row\'s function; $default for the rest', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', httpRoutes.length + 1 + wsRoutes.length);
    const httpApiId = ofType('AWS::ApiGatewayV2::Api').find(([, api]) => api.Properties.ProtocolType === 'HTTP')![0];
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { ApiId: { Ref: httpApiId }, RouteKey: HTTP_DEFAULT.routeKey });
    for (const row of httpRoutes) {
      const [, route] = ofType('AWS::ApiGatewayV2::Route').find(([, route]) => route.Properties.RouteKey === `${row.method} ${row.path}`) ?? [];
      expect(route, `${row.method} ${row.path}`).toBeDefined();
      const integrationId = (route!.Properties.Target['Fn::Join'][1] as unknown[]).map((part) => (part as { Ref?: string }).Ref).find(Boolean)!;
      expect(resources[integrationId]!.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': [logicalIdOf(stack, functionOf(stack, row)), 'Arn'] });
      expect(resources[integrationId]!.Properties.PayloadFormatVersion).toBe('2.0');
    }
  });

  it('runs every function on Node.js 22, arm64, ESM (source maps shipped, not enabled), its own log group with retention', () => {
    for (const row of functions) {
      const { Properties: fn } = functionResource(stack, template, row);
      expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect(fn.Environment.Variables.NODE_OPTIONS).toBeUndefined();
      const logGroup = resources[fn.LoggingConfig.LogGroup.Ref]!;
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it('names the table and the secret in every function\'s environment, and the bucket only where declared', () => {
    for (const row of functions) {
      const env = functionResource(stack, template, row).Properties.Environment.Variables;
      expect(env.TABLE_NAME).toEqual({ Ref: tableId });
      expect(env.JWT_SECRET_ARN).toEqual({ Ref: secretId });
      expect(env.JWT_SECRET).toBeUndefined();
      expect('BUCKET_NAME' in env).toBe(Boolean(row.access.bucket));
      expect('WS_CALLBACK_URL' in env).toBe(Boolean(row.access.connections));
    }
  });

  it('traces every function with X-Ray: active tracing, the SDK clients captured (POWERTOOLS_TRACE_ENABLED), and the X-Ray permissions', () => {
    for (const row of functions) {
      const { Properties: fn } = functionResource(stack, template, row);
      expect(fn.TracingConfig, row.name).toEqual({ Mode: 'Active' });
      expect(fn.Environment.Variables.POWERTOOLS_TRACE_ENABLED, row.name).toBe('true');
      const xray = statementsOf(stack, template, row).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('xray:')));
      expect(xray, row.name).toMatchObject([{ Effect: 'Allow', Resource: '*' }]);
      expect(actionsOf(xray), row.name).toEqual(XRAY_ACTIONS);
    }
  });
});

describe('least privilege from each row\'s access', () => {
  it('grants each function exactly its declared actions, through its own role only', () => {
    for (const row of functions) {
      const role = resources[logicalIdOf(stack, functionOf(stack, row).role!)]!;
      expect(role.Properties.ManagedPolicyArns ?? [], row.name).toEqual([]);
      expect(role.Properties.Policies ?? [], row.name).toEqual([]);
      expect(actionsOf(statementsOf(stack, template, row)), row.name).toEqual(expectedActions(row.access, row.kind === 'queue'));
    }
  });

  it('never lets a read-only route write, and never grants a wildcard action', () => {
    const readOnly = functions.filter((row) => row.access.table === 'read');
    expect(readOnly.length).toBeGreaterThan(0);
    for (const row of readOnly) {
      expect(actionsOf(statementsOf(stack, template, row)).filter((action) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(action)), row.name).toEqual([]);
    }
    for (const row of functions.filter((row) => row.access.bucket !== 'readwrite')) {
      expect(actionsOf(statementsOf(stack, template, row)).filter((action) => /^s3:(Put|Delete)/.test(action)), row.name).toEqual([]);
    }
    for (const row of functions) for (const action of actionsOf(statementsOf(stack, template, row))) expect(action).not.toContain('*');
    // The one `*` resource: X-Ray's two write actions, which take no other.
    for (const row of functions) {
      const anyResource = statementsOf(stack, template, row).filter((statement) => [statement.Resource].flat().includes('*'));
      expect(actionsOf(anyResource), row.name).toEqual(XRAY_ACTIONS);
    }
  });

  it('scopes table actions to the table (and its indexes), never to *', () => {
    for (const row of functions.filter((row) => row.access.table)) {
      const tableStatements = statementsOf(stack, template, row).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('dynamodb:')));
      expect(tableStatements).toHaveLength(1);
      const targets = [tableStatements[0]!.Resource].flat();
      expect(targets[0]).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
      expect(targets).toHaveLength(1 + TABLE_SCHEMA.indexes.length);
      expect(JSON.stringify(targets)).not.toMatch(/"\*"/);
    }
  });
});

describe('data stores', () => {
  it('makes the table on-demand, with point-in-time recovery, TTL and the schema\'s keys and indexes', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
        KeySchema: [{ AttributeName: TABLE_SCHEMA.partitionKey.name, KeyType: 'HASH' }, { AttributeName: TABLE_SCHEMA.sortKey.name, KeyType: 'RANGE' }],
      },
    });
    const indexes = resources[tableId]!.Properties.GlobalSecondaryIndexes ?? [];
    expect(indexes.map((index: { IndexName: string }) => index.IndexName)).toEqual(TABLE_SCHEMA.indexes.map((index) => index.name));
  });

  it('blocks all public access to the image bucket, encrypts it, refuses plain HTTP, and cleans up abandoned uploads', () => {
    const [imageBucketId, imageBucket] = ofType('AWS::S3::Bucket').find(([, bucket]) => bucket.Properties.CorsConfiguration)!;
    expect(imageBucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' })] },
    });
    expect(imageBucket.Properties.CorsConfiguration.CorsRules[0].AllowedMethods).toEqual(expect.arrayContaining(['POST', 'PUT']));
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: imageBucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('generates the signing secret at deploy time: the template references it and never holds a value', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 64 }), SecretString: Match.absent() });
    for (const row of functions) {
      const secretStatement = statementsOf(stack, template, row).find((statement) => statement.Action === 'secretsmanager:GetSecretValue');
      expect(secretStatement?.Resource).toEqual({ Ref: secretId });
    }
  });
});

describe('operations', () => {
  it('throttles and access-logs the HTTP API stage, and sets CORS', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context\\.requestId') },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: { AllowHeaders: Match.arrayWith(['authorization', 'token']), AllowMethods: Match.arrayWith(['GET', 'POST', 'DELETE']) },
    });
  });

  it('alarms on the errors plus the throttles of every function, notifying the alarm topic', () => {
    // The function alarms (metric math over Errors and Throttles); the queue rows' alarms are test/infra/fan-out.test.ts's.
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties).filter((alarm) => alarm.Metrics);
    const topicId = ofType('AWS::SNS::Topic')[0]![0];
    expect(alarms).toHaveLength(functions.length);
    const watched = (alarm: Record<string, any>, metricName: string) =>
      alarm.Metrics.find((query: { MetricStat?: { Metric: { MetricName: string; Namespace: string } } }) => query.MetricStat?.Metric.MetricName === metricName && query.MetricStat.Metric.Namespace === 'AWS/Lambda')?.MetricStat.Metric.Dimensions[0].Value.Ref;
    for (const metricName of ['Errors', 'Throttles']) {
      expect(alarms.map((alarm) => watched(alarm, metricName)).sort(), metricName).toEqual(functions.map((row) => logicalIdOf(stack, functionOf(stack, row))).sort());
    }
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [{ Ref: topicId }] });
      expect(alarm.Metrics.find((query: { Expression?: string }) => query.Expression)).toMatchObject({ Expression: 'errors + throttles', ReturnData: true });
    }
  });

  it('outputs the HTTP API URL, the WebSocket URL, the table and the bucket', () => {
    for (const name of ['HttpApiUrl', 'WebSocketUrl', 'TableName', 'BucketName']) template.hasOutput(name, {});
    template.hasOutput('TableName', { Value: { Ref: tableId } });
  });

  it('passes cdk-nag\'s AwsSolutions pack with every finding fixed or acknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => `${violation.ruleName} at ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('passes it too for a concrete account and region, as `cdk deploy` synthesizes (finding ids then name them)', () => {
    const deployed = synthChatStack({ env: { account: '123456789012', region: 'eu-west-1' } });
    expect(new AwsSolutionsChecks().validateScope(deployed.app).violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});
