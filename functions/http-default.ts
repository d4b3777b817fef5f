import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HTTP_ROUTE_KEYS_ENV, routeKeysFrom } from '../shared/routes.ts';
import { MethodNotAllowedError, NotFoundError } from '../shared/errors.ts';
import { errorResponse } from '../shared/http/responses.ts';

const rows = routeKeysFrom(process.env[HTTP_ROUTE_KEYS_ENV]);

/** The HTTP API's $default route: a request no row matches gets the envelope, never API Gateway's bare 404. */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const allow = [...new Set(rows.filter(({ pattern }) => pattern.test(event.rawPath)).map(({ method }) => method))];
  if (allow.length === 0) return errorResponse(new NotFoundError('接口不存在'));
  const response = errorResponse(new MethodNotAllowedError(allow));
  return { ...response, headers: { ...response.headers, allow: allow.join(', ') } };
};
