import type { APIGatewayEventWebsocketRequestContextV2, APIGatewayProxyWebsocketEventV2WithRequestContext, APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { STATUS_BY_CODE, UnauthorizedError, toAppError } from '../errors.ts';
import { verifyToken, type TokenClaims } from '../auth/tokens.ts';
import { checkTokenVersion } from '../auth/sessions.ts';
import { parseJson, validate } from '../http/adapter.ts';
import { METRIC, countMetric, logger, observeInvocation } from '../observability.ts';
import { disconnect, push } from './push.ts';
import { consume } from '../domain/limits.ts';
import type { LimitPolicy } from '../config.ts';

/** What the $connect authorizer hands API Gateway, which passes it on in every later event of the connection. */
export type AuthorizerContext = { principalId?: string; userId?: number | string; tokenVersion?: number | string };

export type WsEvent = APIGatewayProxyWebsocketEventV2WithRequestContext<APIGatewayEventWebsocketRequestContextV2 & { authorizer?: AuthorizerContext }>;
export type WsResult = { statusCode: number; body?: string };

type Schema = z.ZodMiniType;
/** `caller` is who the $connect authorizer let in, with the token generation the connection was opened with. */
export type WsInput<B> = { userId: number; caller: TokenClaims; connectionId: string; body: B extends Schema ? z.output<B> : undefined; event: WsEvent };

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
        const { userId, tokenVersion } = claims;
        return {
          principalId: String(userId),
          policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
          // The generation travels with the connection: every later frame is checked against the current one.
          context: { userId, tokenVersion },
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
 * `{"event":"error","code","message"}` frame pushed back to the caller (the connection stays open, unless the
 * token generation it was opened with is revoked: then it is closed after the error frame). On $connect
 * a non-2xx status refuses the connection.
 */
export function wsRoute<B extends Schema | undefined = undefined>(route: { routeKey: string; request?: { body?: B } }, run: (input: WsInput<B>) => Promise<void>, options: WsRouteOptions = {}) {
  return (event: WsEvent, context?: Context): Promise<WsResult> =>
    observeInvocation(context, { route: route.routeKey, requestId: event.requestContext.requestId }, async () => {
      const started = Date.now();
      const { connectionId, eventType } = event.requestContext;
      let frame: Record<string, unknown> = {};
      let userId: number | undefined;
      try {
        const claims = caller(event);
        userId = claims.userId;
        // Every frame is served only while the connection's token generation is the user's current one. Every
        // action answers or pushes (a side effect), so the check comes first: a cached read, ≤ 5 s old in other
        // containers (README, "Revocation").
        // The frame is parsed while the check runs; the check's 401 wins over a malformed frame.
        const [check, parsed] = await Promise.allSettled([
          eventType === 'MESSAGE' ? checkTokenVersion(claims) : undefined,
          (async () => {
            if (eventType === 'MESSAGE') frame = parseJson(Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8')) as Record<string, unknown>;
            const schema = route.request?.body;
            return (schema ? validate(schema, frame, 'body') : undefined) as WsInput<B>['body'];
          })(),
        ]);
        if (check.status === 'rejected') throw check.reason;
        // After the token check (a revoked connection leaves no count) and before a parse error is answered, so
        // frames that are not even JSON are limited too.
        if (options.limit) await consume(options.limit, String(userId));
        if (parsed.status === 'rejected') throw parsed.reason;
        await run({ userId, caller: claims, connectionId, body: parsed.value, event });
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
          await push(connectionId, { event: 'error', code: error.code, message: error.message, ...correlation, ...(typeof error.details?.retryAfter === 'number' ? { retryAfter: error.details.retryAfter } : {}) });
          // A connection of a revoked generation (or a deleted user) is closed after its answer: it serves nothing more.
          if (error.code === 'UNAUTHORIZED') await disconnect(connectionId);
        }
        return { statusCode: status, body: JSON.stringify({ success: false, code: error.code, message: error.message }) };
      }
    });
}

/**
 * `limit`: a per-user limit of the route as a whole, for routes whose every frame (well-formed or not) is counted
 * the same (ping, $default); routes with domain work count their limit there (typing, markRead, sendMessage).
 */
export type WsRouteOptions = { limit?: LimitPolicy };

/**
 * The user the $connect authorizer let in and their token generation; API Gateway repeats its context (values as
 * strings) on every event of the connection.
 */
function caller(event: WsEvent): TokenClaims {
  const context = event.requestContext.authorizer;
  const userId = Number(context?.userId ?? context?.principalId);
  const tokenVersion = Number(context?.tokenVersion);
  if (!Number.isSafeInteger(userId) || userId <= 0 || !Number.isSafeInteger(tokenVersion)) throw new UnauthorizedError();
  return { userId, tokenVersion };
}
