import type { APIGatewayEventWebsocketRequestContextV2, APIGatewayProxyWebsocketEventV2WithRequestContext, APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import { STATUS_BY_CODE, UnauthorizedError, toAppError } from '../errors.ts';
import { verifyToken } from '../auth/tokens.ts';
import { checkTokenVersion } from '../auth/sessions.ts';
import { parseJson, validate } from '../http/adapter.ts';
import { METRIC, countMetric, logger, observeInvocation } from '../observability.ts';
import { push } from './push.ts';

/** What the $connect authorizer hands API Gateway, which passes it on in every later event of the connection. */
export type AuthorizerContext = { principalId?: string; userId?: number | string };

export type WsEvent = APIGatewayProxyWebsocketEventV2WithRequestContext<APIGatewayEventWebsocketRequestContextV2 & { authorizer?: AuthorizerContext }>;
export type WsResult = { statusCode: number; body?: string };

type Schema = z.ZodType;
export type WsInput<B> = { userId: number; connectionId: string; body: B extends Schema ? z.output<B> : undefined; event: WsEvent };

/**
 * The Lambda REQUEST authorizer of $connect: verifies the `?token=` JWT. Throwing 'Unauthorized' is how API
 * Gateway is told to refuse the upgrade with 401.
 */
export function wsAuthorizer() {
  return (event: APIGatewayRequestAuthorizerEvent, context?: Context): Promise<APIGatewayAuthorizerResult> =>
    observeInvocation(context, { route: '$connect authorizer', requestId: event.requestContext?.requestId }, async () => {
      const token = event.queryStringParameters?.token;
      try {
        if (!token) throw new UnauthorizedError();
        const claims = await verifyToken(token);
        await checkTokenVersion(claims); // a logged-out, password-changed or deleted user's token cannot connect
        const { userId } = claims;
        return {
          principalId: String(userId),
          policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
          context: { userId },
        };
      } catch (error) {
        if (error instanceof UnauthorizedError) {
          countMetric(METRIC.authFailures);
          logger.info('connection refused', { reason: error.message });
          throw new Error('Unauthorized');
        }
        throw error;
      }
    });
}

/**
 * Wraps a WebSocket route's logic as a Lambda handler: identifies the caller from the authorizer's context,
 * parses and validates the frame with the route's schema, and turns any error into an
 * `{"event":"error","code","message"}` frame pushed back to the caller (the connection stays open). On $connect
 * a non-2xx status refuses the connection.
 */
export function wsRoute<B extends Schema | undefined = undefined>(route: { routeKey: string; request?: { body?: B } }, run: (input: WsInput<B>) => Promise<void>) {
  return (event: WsEvent, context?: Context): Promise<WsResult> =>
    observeInvocation(context, { route: route.routeKey, requestId: event.requestContext.requestId }, async () => {
      const started = Date.now();
      const { connectionId, eventType } = event.requestContext;
      let frame: Record<string, unknown> = {};
      let userId: number | undefined;
      try {
        userId = callerId(event);
        if (eventType === 'MESSAGE') frame = parseJson(Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8')) as Record<string, unknown>;
        const schema = route.request?.body;
        const body = (schema ? validate(schema, frame, 'body') : undefined) as WsInput<B>['body'];
        await run({ userId, connectionId, body, event });
        logger.info('ws request', { route: route.routeKey, userId, connectionId, latencyMs: Date.now() - started, requestId: event.requestContext.requestId });
        return { statusCode: 200 };
      } catch (thrown) {
        const error = toAppError(thrown);
        const status = STATUS_BY_CODE[error.code];
        const log = status >= 500 ? logger.error.bind(logger) : logger.info.bind(logger);
        log('ws request failed', { route: route.routeKey, userId, connectionId, status, code: error.code, latencyMs: Date.now() - started, requestId: event.requestContext.requestId, ...(status >= 500 ? { error: thrown as Error } : {}) });
        if (eventType === 'MESSAGE') {
          const correlation = {
            ...(typeof frame.action === 'string' ? { action: frame.action.slice(0, 64) } : {}),
            ...(typeof frame.clientMessageId === 'string' ? { clientMessageId: frame.clientMessageId.slice(0, 64) } : {}),
          };
          const retryAfter = error.details?.retryAfter;
          await push(connectionId, { event: 'error', code: error.code, message: error.message, ...correlation, ...(typeof retryAfter === 'number' ? { retryAfter } : {}) });
        }
        return { statusCode: status, body: JSON.stringify({ success: false, code: error.code, message: error.message }) };
      }
    });
}

/** The user the $connect authorizer let in; API Gateway repeats its context on every event of the connection. */
function callerId(event: WsEvent): number {
  const raw = event.requestContext.authorizer?.userId ?? event.requestContext.authorizer?.principalId;
  const userId = Number(raw);
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new UnauthorizedError();
  return userId;
}
