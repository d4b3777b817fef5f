import { Duration, Validations } from 'aws-cdk-lib';
import { CorsHttpMethod, DomainName, HttpApi, HttpMethod, HttpStage, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { HttpDefaultRoute, HttpRoute } from '../../shared/routes.ts';
import { accessLogs } from './observability.ts';

export type HttpApiSettings = {
  throttle: ThrottleSettings;
  corsOrigins: readonly string[];
  logRetention: RetentionDays;
  domain?: { name: string; certificate: ICertificate };
};

/**
 * The HTTP API: one route per row, and the $default row's function for everything else, on the $default stage
 * (so the seed document's paths carry no stage prefix). Returns the stage; its URL is the API's base URL.
 */
export function httpApi(
  scope: Construct,
  routes: ReadonlyArray<{ row: HttpRoute; fn: IFunction }>,
  fallback: { row: HttpDefaultRoute; fn: IFunction },
  settings: HttpApiSettings,
): HttpStage {
  const api = new HttpApi(scope, 'HttpApi', {
    // The same CORS policy the local gateway answers preflights with (infra/local/http-gateway.ts).
    corsPreflight: {
      allowOrigins: [...settings.corsOrigins],
      allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.DELETE, CorsHttpMethod.OPTIONS],
      allowHeaders: ['content-type', 'authorization', 'token'],
      exposeHeaders: ['retry-after'],
      maxAge: Duration.minutes(10),
    },
    createDefaultStage: false,
    // API Gateway would answer unmatched requests with a bare {"message":"Not Found"}; this answers the envelope.
    defaultIntegration: new HttpLambdaIntegration(`${fallback.row.name}Integration`, fallback.fn),
  });
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason: 'Each function verifies the JWT itself (shared/http/adapter.ts); register and login are public by design, and $default only answers 404/405.',
  });
  for (const { row, fn } of routes) {
    api.addRoutes({ path: row.path, methods: [HttpMethod[row.method]], integration: new HttpLambdaIntegration(`${row.name}Integration`, fn) });
  }
  return new HttpStage(scope, 'HttpStage', {
    httpApi: api,
    autoDeploy: true,
    throttle: settings.throttle,
    accessLogSettings: accessLogs(scope, 'HttpAccessLogs', settings.logRetention, {
      method: '$context.httpMethod', responseLength: '$context.responseLength', integrationError: '$context.integrationErrorMessage',
    }),
    ...(settings.domain ? { domainMapping: { domainName: new DomainName(scope, 'HttpDomain', { domainName: settings.domain.name, certificate: settings.domain.certificate }) } } : {}),
  });
}
