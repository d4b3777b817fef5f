import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { PayloadTooLargeError, STATUS_BY_CODE, UnauthorizedError, ValidationError, toAppError } from '../errors.ts';
import { errorResponse, json } from './responses.ts';
import { tokenFromHeaders, verifyToken, type TokenClaims } from '../auth/tokens.ts';
import { checkTokenVersion } from '../auth/sessions.ts';
import { LIMITS } from '../limits.ts';
import { writesNothing, type Access } from '../routes.ts';
import { METRIC, countMetric, logger, observeInvocation } from '../observability.ts';
import { API_SECURITY_HEADERS } from './security-headers.ts';

type Schema = z.ZodMiniType;
type Out<S> = S extends Schema ? z.output<S> : undefined;

/** The part of a route-table row the adapter needs. */
export type RouteSpec<B, Q, P, M extends boolean = false> = {
  auth: boolean;
  /** Routes that write nothing anywhere run alongside the token-version check (their result is dropped if it fails). */
  access: Access;
  request?: { body?: B; query?: Q; params?: P; multipart?: M };
};

/** Multipart uploads (the legacy image path) may be larger than JSON bodies: the file plus room for the form. */
export const MULTIPART_MAX_BYTES = LIMITS.legacyImageMaxBytes + 64 * 1024;

/**
 * What a handler gets. On a route that accepts multipart, a multipart/form-data request arrives parsed as `form`
 * (its fields are the handler's to validate) and `body` is absent; any other request has its JSON `body` validated.
 */
export type RouteInput<B, Q, P, M extends boolean = false> = {
  userId: number;
  query: Out<Q>;
  params: Out<P>;
  raw: Buffer;
  headers: Record<string, string | undefined>;
  /** The client's address as API Gateway saw it (for per-IP limits). */
  sourceIp: string;
} & (M extends true ? { body: Out<B>; form?: undefined } | { body?: undefined; form: FormData } : { body: Out<B>; form?: undefined });

/** What a route returns: the envelope's `message`, an optional status (default 200) and the response fields. */
export type Reply = { status?: number; message: string } & Record<string, unknown>;

/**
 * How a signed-in route knows its caller: the token's signature and claims, then its generation (not revoked).
 * Referenced only by httpRoute(), so a public route's bundle carries neither (jose's verification, the read).
 */
type Authentication = { verify: (headers: Record<string, string | undefined>) => Promise<TokenClaims>; checkVersion: (claims: TokenClaims) => Promise<void> };

const TOKEN_AUTHENTICATION: Authentication = {
  async verify(headers) {
    const token = tokenFromHeaders(headers);
    if (!token) throw new UnauthorizedError('缺少令牌，请先登录');
    return verifyToken(token);
  },
  checkVersion: checkTokenVersion,
};

/**
 * Wraps a signed-in route's logic (a row with `auth`) as an API Gateway HTTP API (payload 2.0) Lambda handler:
 * authenticates, validates the body, query and path with the route's schemas, and turns the result or any error
 * into the JSON envelope.
 */
export function httpRoute<B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, P extends Schema | undefined = undefined, M extends boolean = false>(
  route: RouteSpec<B, Q, P, M>,
  run: (input: RouteInput<B, Q, P, M>) => Promise<Reply>,
) {
  return routeHandler(route, run, TOKEN_AUTHENTICATION);
}

/** The same for a public route (a row without `auth`: register, login). */
export function publicHttpRoute<B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, P extends Schema | undefined = undefined, M extends boolean = false>(
  route: RouteSpec<B, Q, P, M>,
  run: (input: RouteInput<B, Q, P, M>) => Promise<Reply>,
) {
  return routeHandler(route, run, undefined);
}

function routeHandler<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined, M extends boolean>(
  route: RouteSpec<B, Q, P, M>,
  run: (input: RouteInput<B, Q, P, M>) => Promise<Reply>,
  authentication: Authentication | undefined,
) {
  // A handler wrapped the wrong way for its row fails its cold start, not a request.
  if (route.auth !== Boolean(authentication)) throw new Error(`a route with auth: ${route.auth} needs ${route.auth ? 'httpRoute' : 'publicHttpRoute'}`);
  return (event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    // requestId is API Gateway's (matches its access logs); the Lambda's own id comes with the context.
    const request = { route: event.routeKey, requestId: event.requestContext?.requestId, userId: undefined as number | undefined };
    return observeInvocation(context, request, async () => {
      const started = Date.now();
      try {
        const headers = event.headers ?? {};
        const { body, query, params, multipart } = route.request ?? {};
        const contentType = headers['content-type'] ?? '';
        const isForm = Boolean(multipart) && /^multipart\/form-data\b/i.test(contentType);
        const raw = readBody(event, isForm ? MULTIPART_MAX_BYTES : LIMITS.jsonBodyMaxBytes);
        let claims: TokenClaims | undefined;
        if (authentication) {
          claims = await authentication.verify(headers);
          request.userId = claims.userId;
          logger.appendKeys({ userId: claims.userId });
        }
        // A revoked token (logged out, password changed, user gone) is refused. Routes with any side effect (table,
        // bucket, pushes) wait for the check; routes that write nothing run alongside it so it adds no latency, and
        // the check's 401 wins over whatever they returned.
        const versionCheck = claims && authentication ? authentication.checkVersion(claims) : Promise.resolve();
        const work = (async () => {
          const form = isForm ? await parseForm(raw, contentType) : undefined;
          const input = {
            userId: claims?.userId ?? 0,
            raw,
            headers,
            sourceIp: event.requestContext?.http?.sourceIp ?? '',
            form,
            body: body && !form ? validate(body, parseJson(raw), 'body') : undefined,
            query: query ? validate(query, event.queryStringParameters ?? {}, 'query') : undefined,
            params: params ? validate(params, event.pathParameters ?? {}, 'path') : undefined,
          } as RouteInput<B, Q, P, M>;
          if (!writesNothing(route.access)) await versionCheck;
          return run(input);
        })();
        const [check, outcome] = await Promise.allSettled([versionCheck, work]);
        if (check.status === 'rejected') throw check.reason;
        if (outcome.status === 'rejected') throw outcome.reason;
        const { status = 200, ...fields } = outcome.value;
        // The request's keys again, explicitly: the local stack runs invocations concurrently on one logger.
        logger.info('request', { ...request, status, latencyMs: Date.now() - started });
        return json(status, { success: true, ...fields });
      } catch (thrown) {
        const error = toAppError(thrown);
        const status = STATUS_BY_CODE[error.code];
        if (error.code === 'UNAUTHORIZED') countMetric(METRIC.authFailures);
        const details = { ...request, status, code: error.code, latencyMs: Date.now() - started };
        if (status >= 500) logger.error('request failed', { ...details, error: thrown as Error });
        else logger.info('request failed', details);
        return errorResponse(error);
      }
    });
  };
}

function readBody(event: APIGatewayProxyEventV2, maxBytes: number): Buffer {
  if (!event.body) return Buffer.alloc(0);
  const raw = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.length > maxBytes) throw new PayloadTooLargeError(`请求体不能超过 ${maxBytes} 字节`);
  return raw;
}

/** A JSON object from a body or frame; anything else is a 400 naming the body. */
export function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ValidationError('请求体不是合法的 JSON', 'body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('请求体必须是 JSON 对象', 'body');
  return value;
}

/** Parsed by the platform's own multipart parser (the one behind fetch's Response.formData()). */
async function parseForm(raw: Buffer, contentType: string): Promise<FormData> {
  try {
    return await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new ValidationError('multipart 请求体格式错误', 'body');
  }
}

/** Validates with a schema; the first problem becomes a 400 that names the field. */
export function validate<S extends Schema>(schema: S, value: unknown, where: string): z.output<S> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : where;
  throw new ValidationError(`参数 ${field} 无效: ${issue.message}`, field);
}
