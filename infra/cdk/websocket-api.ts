import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { DomainName, WebSocketApi, WebSocketStage, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { WsRoute } from '../../shared/routes.ts';
import { accessLogs } from './observability.ts';

export type WebSocketApiSettings = {
  stageName: string;
  throttle: ThrottleSettings;
  logRetention: RetentionDays;
  /** Set the account's API Gateway CloudWatch role (see `apiGatewayAccountRole` in chat-backend.ts). */
  accountLoggingRole: boolean;
  domain?: { name: string; certificate: ICertificate };
};

/** The WebSocket API and its stage, routed by the frame's `action`. Routes are added once their functions exist. */
export function webSocketApi(scope: Construct, settings: WebSocketApiSettings): { api: WebSocketApi; stage: WebSocketStage } {
  const api = new WebSocketApi(scope, 'WebSocketApi', { routeSelectionExpression: '$request.body.action' });
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason: '$connect has a Lambda REQUEST authorizer that verifies the JWT from ?token= and refuses the connection without one; API Gateway allows authorizers on $connect only, and every other route runs on that authenticated connection.',
  });
  const stage = new WebSocketStage(scope, 'WebSocketStage', {
    webSocketApi: api,
    stageName: settings.stageName,
    autoDeploy: true,
    throttle: settings.throttle,
    accessLogSettings: accessLogs(scope, 'WebSocketAccessLogs', settings.logRetention, {
      eventType: '$context.eventType', connectionId: '$context.connectionId', error: '$context.error.message',
    }),
    ...(settings.domain ? { domainMapping: { domainName: new DomainName(scope, 'WebSocketDomain', { domainName: settings.domain.name, certificate: settings.domain.certificate }) } } : {}),
  });
  if (settings.accountLoggingRole) stage.node.addDependency(apiGatewayAccount(scope));
  return { api, stage };
}

/** One route per WebSocket row; the $connect row's REQUEST authorizer runs its own function. */
export function addWebSocketRoutes(api: WebSocketApi, routes: ReadonlyArray<{ row: WsRoute; fn: IFunction; authorizerFn?: IFunction }>): void {
  for (const { row, fn, authorizerFn } of routes) {
    api.addRoute(row.routeKey, {
      integration: new WebSocketLambdaIntegration(`${row.name}Integration`, fn),
      ...(authorizerFn && row.authorizer
        ? { authorizer: new WebSocketLambdaAuthorizer(`${row.authorizer.name}Authorizer`, authorizerFn, { identitySource: [row.authorizer.identitySource] }) }
        : {}),
    });
  }
}

/**
 * WebSocket (unlike HTTP) APIs log through the account-wide, per-region API Gateway CloudWatch role; a fresh account
 * has none. It is one setting per account and region, so it is made once per stack, whatever number of backends
 * the stack holds (a second stack in the same account should leave it to the first: `apiGatewayAccountRole: false`).
 */
function apiGatewayAccount(scope: Construct): CfnAccount {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild('ApiGatewayAccount');
  if (existing) return existing as CfnAccount;
  const logRole = new Role(stack, 'ApiGatewayCloudWatchRole', {
    assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
    managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
  });
  // The account setting outlives the stack and keeps pointing at this role: keep the role too.
  logRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
  Validations.of(logRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason: 'The AWS-documented role for API Gateway logging; API Gateway chooses the log group names at run time.',
  });
  return new CfnAccount(stack, 'ApiGatewayAccount', { cloudWatchRoleArn: logRole.roleArn });
}
