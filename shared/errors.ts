/**
 * Typed application errors with stable machine-readable codes. The domain throws them; the adapters map codes to
 * HTTP statuses and WebSocket error frames in one place (shared/http/responses.ts, shared/ws/adapter.ts).
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'BLOCKED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'USERNAME_TAKEN'
  | 'ALREADY_CONTACT'
  | 'ALREADY_MEMBER'
  | 'INVITE_NOT_ALLOWED'
  | 'RECALL_WINDOW_PASSED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export class AppError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, field?: string) {
    super('VALIDATION_FAILED', message, field ? { field } : undefined);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = '未登录或登录已过期') {
    super('UNAUTHORIZED', message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = '无权访问', code: 'FORBIDDEN' | 'BLOCKED' | 'INVITE_NOT_ALLOWED' | 'RECALL_WINDOW_PASSED' = 'FORBIDDEN', details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
export class NotFoundError extends AppError {
  constructor(message = '记录不存在') {
    super('NOT_FOUND', message);
  }
}
/** The path exists, but not with this method; `allow` lists the methods it has. */
export class MethodNotAllowedError extends AppError {
  constructor(readonly allow: string[]) {
    super('METHOD_NOT_ALLOWED', `该路径不支持此请求方法，可用: ${allow.join(', ')}`, { allow });
  }
}
export class ConflictError extends AppError {
  constructor(code: 'USERNAME_TAKEN' | 'ALREADY_CONTACT' | 'ALREADY_MEMBER', message: string) {
    super(code, message);
  }
}
export class PayloadTooLargeError extends AppError {
  constructor(message = '请求内容过大') {
    super('PAYLOAD_TOO_LARGE', message);
  }
}
/** The bytes are not one of the accepted types (checked by content, not by name or declared type). */
export class UnsupportedMediaTypeError extends AppError {
  constructor(message = '不支持的文件类型') {
    super('UNSUPPORTED_MEDIA_TYPE', message);
  }
}
export class RateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number, message = '请求过于频繁，请稍后再试') {
    super('RATE_LIMITED', message, { retryAfter: retryAfterSeconds });
  }
}
/** A dependency (DynamoDB, S3) throttled or timed out after the SDK's retries: the client may retry after `retryAfter` seconds. */
export class ServiceUnavailableError extends AppError {
  constructor(message = '服务繁忙，请稍后重试', retryAfterSeconds = 1) {
    super('SERVICE_UNAVAILABLE', message, { retryAfter: retryAfterSeconds });
  }
}

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  BLOCKED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  USERNAME_TAKEN: 409,
  ALREADY_CONTACT: 409,
  ALREADY_MEMBER: 409,
  INVITE_NOT_ALLOWED: 403,
  RECALL_WINDOW_PASSED: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

const TRANSIENT_AWS_ERRORS = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionCanceledException', // only reaches here when retries of a conflict ran out
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
]);

/** Any thrown value as an AppError: our own pass through, transient AWS faults become 503, the rest 500. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const name = (error as { name?: string } | undefined)?.name ?? '';
  if (TRANSIENT_AWS_ERRORS.has(name) || (error as { $retryable?: unknown })?.$retryable) return new ServiceUnavailableError();
  return new AppError('INTERNAL_ERROR', '服务器内部错误');
}
