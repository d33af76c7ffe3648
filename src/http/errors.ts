/** One mapping from failures to HTTP statuses; each API formats the body its clients expect. */
import type Koa from 'koa';
import { DomainError, type DomainErrorKind } from '../domain/errors.js';
import type { Logger } from '../app/logger.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const DOMAIN_STATUS: Record<DomainErrorKind, number> = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409, gone: 410 };

/** Errors from lower layers that carry their own HTTP meaning without depending on HTTP. */
interface StatusCarrier {
  httpStatus: number;
  retryAfterSeconds?: number;
}

function isStatusCarrier(error: unknown): error is Error & StatusCarrier {
  return error instanceof Error && typeof (error as Partial<StatusCarrier>).httpStatus === 'number';
}

export interface MappedError {
  status: number;
  message: string;
  headers: Record<string, string>;
  expected: boolean;
}

export function mapError(error: unknown): MappedError {
  if (error instanceof HttpError) return { status: error.status, message: error.message, headers: error.headers, expected: true };
  if (error instanceof DomainError) return { status: DOMAIN_STATUS[error.kind], message: error.message, headers: {}, expected: true };
  if (isStatusCarrier(error)) {
    const headers: Record<string, string> = error.retryAfterSeconds ? { 'Retry-After': String(error.retryAfterSeconds) } : {};
    return { status: error.httpStatus, message: error.message, headers, expected: true };
  }
  const koaStatus = (error as { status?: number; expose?: boolean }).status;
  if (typeof koaStatus === 'number' && koaStatus >= 400 && koaStatus < 500) {
    return { status: koaStatus, message: (error as Error).message, headers: {}, expected: true };
  }
  return { status: 500, message: 'internal error', headers: {}, expected: false };
}

export type ErrorBody = (status: number, message: string) => { body: string | object; type: string };

export const jsonErrorBody: ErrorBody = (_status, message) => ({ body: { error: message }, type: 'application/json' });

/** Catches everything below it: a precise status and a body in the API's shape, never a stack trace. */
export function errorMiddleware(format: ErrorBody, logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const mapped = mapError(error);
      if (!mapped.expected) logger.error({ err: error, path: ctx.path, method: ctx.method }, 'request failed');
      const { body, type } = format(mapped.status, mapped.message);
      ctx.status = mapped.status;
      ctx.set(mapped.headers);
      ctx.type = type;
      ctx.body = body;
    }
  };
}
