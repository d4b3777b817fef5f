import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HTTP, HTTP_DEFAULT, httpRoutes, lambdaFunctions, queueRoutes, wsRoutes, type HttpRoute, type WsRoute } from '../../shared/routes.ts';
import { actionsOf, expectedActions, functionOf, functionResource, logicalIdOf, statementsOf, synthChatStack, type CfnResource } from '../support/cdk.ts';

/*
 * Rows someone adds later, with the access they declare: they must come out of the stack fully wired (function,
 * route, IAM, environment, cdk-nag clean) with no change to infra/. Entries point at existing handlers, since only
 * the template is under test here.
 */
const extraAction: WsRoute = { kind: 'ws', name: 'wsExtraAction', routeKey: 'extraAction', entry: 'functions/ws-ping.ts', access: { table: 'read', connections: true }, summary: 'extra' };
const imageRow: HttpRoute = { ...HTTP.messageImage, name: 'extraUpload', path: '/extra/upload', access: { table: 'read', bucket: 'readwrite' } };
const pushingSend: HttpRoute = HTTP.messageSend;
const newHttpRows = [...httpRoutes, imageRow];
const newWsRows = [...wsRoutes, extraAction];
const allRows = lambdaFunctions([...newHttpRows, HTTP_DEFAULT, ...newWsRows, ...queueRoutes]);

const { app, stack, template } = synthChatStack({ httpRoutes: newHttpRows, wsRoutes: newWsRows });
const resources = template.toJSON().Resources as Record<string, CfnResource>;
const idOf = (type: string) => Object.entries(resources).find(([, resource]) => resource.Type === type)![0];
const webSocketApiId = Object.entries(resources).find(([, resource]) => resource.Type === 'AWS::ApiGatewayV2::Api' && resource.Properties.ProtocolType === 'WEBSOCKET')![0];

describe('new route-table rows need no extra wiring', () => {
  it('gives every row a function and a route', () => {
    template.resourceCountIs('AWS::Lambda::Function', allRows.length);
    template.resourceCountIs('AWS::ApiGatewayV2::Route', newHttpRows.length + 1 + newWsRows.length);
    for (const row of newWsRows) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { ApiId: { Ref: webSocketApiId }, RouteKey: row.routeKey });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /extra/upload' });
  });

  it('selects WebSocket routes by the action field, on a throttled, access-logged stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' });
    template.hasResource('AWS::ApiGatewayV2::Stage', {
      Properties: {
        ApiId: { Ref: webSocketApiId },
        StageName: 'prod',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context\\.connectionId') },
      },
      // WebSocket access logs need the account's API Gateway CloudWatch role to be set first.
      DependsOn: [idOf('AWS::ApiGateway::Account')],
    });
    template.hasOutput('WebSocketUrl', { Value: { 'Fn::Join': ['', Match.arrayWith(['wss://', { Ref: webSocketApiId }])] } });
  });

  it('grants each new row exactly its declared actions', () => {
    for (const row of allRows) expect(actionsOf(statementsOf(stack, template, row)), row.name).toEqual(expectedActions(row.access, row.kind === 'queue'));
  });

  it('lets connection rows manage connections on this API\'s stage only, and tells them its callback URL', () => {
    const pushers = allRows.filter((row) => row.access.connections);
    expect(pushers.map((row) => row.name)).toContain('wsExtraAction');
    for (const row of pushers) {
      const statement = statementsOf(stack, template, row).find((s) => s.Action === 'execute-api:ManageConnections')!;
      expect(JSON.stringify(statement.Resource)).toContain(JSON.stringify({ Ref: webSocketApiId }));
      expect(JSON.stringify(statement.Resource)).toContain('/prod/*/@connections/*');
      const callbackUrl = functionResource(stack, template, row).Properties.Environment.Variables.WS_CALLBACK_URL;
      expect(callbackUrl).toEqual({ 'Fn::Join': ['', ['https://', { Ref: webSocketApiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/prod']] });
    }
  });

  it('lets bucket rows touch the bucket\'s objects only, and tells them its name', () => {
    const bucketId = Object.entries(resources).find(([, resource]) => resource.Type === 'AWS::S3::Bucket' && resource.Properties.CorsConfiguration)![0];
    const statement = statementsOf(stack, template, imageRow).find((s) => [s.Action].flat().includes('s3:PutObject'))!;
    expect(statement.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] });
    expect(functionResource(stack, template, imageRow).Properties.Environment.Variables.BUCKET_NAME).toEqual({ Ref: bucketId });
    expect(logicalIdOf(stack, functionOf(stack, imageRow))).toMatch(/^extraUploadFunction/);
  });

  it('still passes cdk-nag, each wildcard acknowledged at its exact finding id', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('refuses a row that pushes to connections when there is no WebSocket API to push through', () => {
    expect(() => synthChatStack({ httpRoutes: [pushingSend], wsRoutes: [] })).toThrow(/messageSend pushes to WebSocket connections/);
  });
});
