import { describe, expect, it } from 'vitest';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ChatBackend, CHAT_BACKEND_DEFAULTS } from '../../infra/cdk/chat-backend.ts';
import { HTTP_DEFAULT, HTTP_ROUTE_KEYS_ENV, httpRouteKeys, httpRoutes, lambdaFunctions, queueRoutes, routeKeysFrom, wsRoutes } from '../../shared/routes.ts';
import type { CfnResource } from '../support/cdk.ts';

/*
 * What an infra team does with the construct: two backends (two products) in one stack of their own app, one on
 * the defaults and one with every prop changed. Bundling is skipped (test/infra/bundling.test.ts covers it).
 */
/*
 * A whole backend is ~320 resources (about 8 per function) and CloudFormation allows 500 per stack, so two full ones
 * need a stack each; here each carries the seed's routes (the group-management and message-lifecycle rows left out)
 * to prove what two in one stack share and what they keep apart.
 */
const GROUP_AND_LIFECYCLE = /^\/(conversation\/(members\/|leave|update|admins|transfer|disband)|message\/(recall|delete)|user\/settings)/;
const seedRows = { httpRoutes: httpRoutes.filter((row) => !GROUP_AND_LIFECYCLE.test(row.path)), wsRoutes, queueRoutes };
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'TeamStack', { env: { account: '123456789012', region: 'eu-west-1' } });
const alarms = new Topic(stack, 'TeamAlarms', { enforceSSL: true });
const certificate = Certificate.fromCertificateArn(stack, 'Certificate', 'arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-0000-4000-8000-000000000000');
const first = new ChatBackend(stack, 'ProductA', seedRows);
const second = new ChatBackend(stack, 'ProductB', {
  ...seedRows,
  stageName: 'live',
  functionMemoryMb: 1536,
  httpThrottle: { rateLimit: 50, burstLimit: 100 },
  webSocketThrottle: { rateLimit: 20, burstLimit: 40 },
  logRetention: RetentionDays.ONE_WEEK,
  removalPolicy: RemovalPolicy.DESTROY,
  alarmTopic: alarms,
  corsOrigins: ['https://chat.example.com'],
  customDomain: { httpDomainName: 'api.chat.example.com', webSocketDomainName: 'ws.chat.example.com', certificate },
  serviceName: 'product-b-chat',
});
// The fan-out branch adds its queue's age like this: one call.
second.dashboard.addGraph('Fan-out queue age', [new Metric({ namespace: 'AWS/SQS', metricName: 'ApproximateAgeOfOldestMessage', dimensionsMap: { QueueName: 'fanout' } })]);
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, CfnResource>;
const ofType = (type: string) => Object.values(resources).filter((resource) => resource.Type === type);
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
const propsOf = (construct: { node: { defaultChild?: unknown } }) => resources[logicalId(construct)]!.Properties;
const perBackend = lambdaFunctions([...seedRows.httpRoutes, HTTP_DEFAULT, ...wsRoutes, ...queueRoutes]).length;

describe('ChatBackend, twice in one stack', () => {
  it('builds a complete backend for each: every function, both APIs, a table and buckets of its own', () => {
    template.resourceCountIs('AWS::Lambda::Function', 2 * perBackend);
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 4);
    template.resourceCountIs('AWS::S3::Bucket', 4);
    expect(first.table.tableName).not.toBe(second.table.tableName);
  });

  it('sets the account-wide API Gateway CloudWatch role once, and both WebSocket stages wait for it', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const accountId = Object.entries(resources).find(([, resource]) => resource.Type === 'AWS::ApiGateway::Account')![0];
    for (const backend of [first, second]) expect(resources[logicalId(backend.webSocketStage!)]!.DependsOn).toContain(accountId);
  });

  it('hands each $default function the route keys of its own rows, so a path it did not deploy is 404, not 405', () => {
    const keys = (backend: ChatBackend) => propsOf(backend.functions.get(HTTP_DEFAULT.name)!).Environment.Variables[HTTP_ROUTE_KEYS_ENV];
    for (const backend of [first, second]) expect(keys(backend)).toBe(httpRouteKeys(seedRows.httpRoutes));
    expect(keys(first)).not.toContain('/conversation/disband'); // a row left out of both
    expect(routeKeysFrom(keys(first)).map((row) => row.method)).toEqual(seedRows.httpRoutes.map((row) => row.method));
  });

  it('keeps the defaults where no prop is given', () => {
    const fn = propsOf(first.functions.get('userLogin')!);
    expect(fn.MemorySize).toBe(CHAT_BACKEND_DEFAULTS.functionMemoryMb);
    expect(fn.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('chat-backend');
    expect(propsOf(first.webSocketStage!).StageName).toBe('prod');
    expect(resources[logicalId(first.table)]!).toMatchObject({ DeletionPolicy: 'Retain' });
    expect(propsOf(first.httpStage).DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 });
    expect(first.alarmTopic).not.toBe(alarms);
  });

  it('applies every prop of the second: memory, stage, throttles, retention, removal, alarms, CORS, domains, service', () => {
    for (const fn of second.functions.values()) {
      expect(propsOf(fn).MemorySize).toBe(1536);
      expect(propsOf(fn).Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('product-b-chat');
    }
    expect(propsOf(second.webSocketStage!)).toMatchObject({ StageName: 'live', DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 } });
    expect(propsOf(second.httpStage).DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(resources[logicalId(second.table)]!).toMatchObject({ DeletionPolicy: 'Delete' });
    expect(resources[logicalId(second.bucket)]!).toMatchObject({ DeletionPolicy: 'Delete' });
    expect(propsOf(second.bucket).CorsConfiguration.CorsRules[0].AllowedOrigins).toEqual(['https://chat.example.com']);
    const httpApis = ofType('AWS::ApiGatewayV2::Api').filter((api) => api.Properties.ProtocolType === 'HTTP').map((api) => api.Properties.CorsConfiguration.AllowOrigins);
    expect(httpApis).toEqual(expect.arrayContaining([['*'], ['https://chat.example.com']]));
    const retention = ofType('AWS::Logs::LogGroup').map((group) => group.Properties.RetentionInDays);
    expect(retention.filter((days) => days === 7)).toHaveLength(perBackend + 2); // its functions' and both APIs' access logs
    const topicAlarms = ofType('AWS::CloudWatch::Alarm').filter((alarm) => JSON.stringify(alarm.Properties.AlarmActions) === JSON.stringify([{ Ref: logicalId(alarms) }]));
    expect(topicAlarms).toHaveLength(perBackend + 2 * queueRoutes.length); // one per function, and each queue row's dead letters and backlog
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'api.chat.example.com', DomainNameConfigurations: [{ CertificateArn: certificate.certificateArn }] });
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'ws.chat.example.com' });
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 2);
    expect(second.httpUrl).toBe('https://api.chat.example.com/');
    expect(second.webSocketUrl).toBe('wss://ws.chat.example.com');
  });

  it('gives each a dashboard: errors and p99 per route, pushes, table throttles, and graphs added later', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 2);
    const body = JSON.stringify(propsOf(second.dashboard.dashboard).DashboardBody);
    for (const title of ['Errors per route', 'p99 duration per route (ms)', 'Pushes', 'DynamoDB throttled requests', 'Fan-out queue age']) expect(body).toContain(title);
    expect(body).toContain('product-b-chat');
    expect(body).toContain('PushesDelivered');
    expect(body).toContain('ReadThrottleEvents');
    expect(body.match(/\\"stat\\":\\"p99\\"/g)).toHaveLength(perBackend);
  });

  it('passes cdk-nag\'s AwsSolutions pack', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => `${violation.ruleName} at ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}`)).toEqual([]);
  });
});
