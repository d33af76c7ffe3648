/**
 * The OpenBao request pipeline for /v1/*: operation from the method, authorization (unauthenticated table or token +
 * ACL), request data (query, JSON or form body), typed fields, the handler, and the response in OpenBao's envelope
 * `{request_id, lease_id, renewable, lease_duration, data, wrap_info, warnings, auth}` or raw DER/PEM.
 * Errors come out as `{"errors": ["..."]}` with OpenBao's status codes.
 */
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import { DomainError } from '../../domain/errors.js';
import type { EventMetadata } from '../../eventstore/port.js';
import type { ApiTokenRow } from '../../../projections/credentials.js';
import type { Logger } from '../../app/logger.js';
import { CryptoInputError } from '../../crypto/errors.js';
import { errorMiddleware, HttpError, type ErrorBody } from '../errors.js';
import { mediaType, readBody } from '../middleware/body.js';
import { presentedToken, requiredCapability, type Authorizer } from './auth.js';
import { FieldData } from './fields.js';
import type { EnvelopeResult, MountTable, Operation, PkiResult, RawResult } from './framework.js';
import { LIST_METHOD_HEADER } from './list-method.js';

const BODY_LIMIT = 1024 * 1024;

export const openBaoErrorBody: ErrorBody = (_status, message) => ({ body: { errors: message ? [message] : [] }, type: 'application/json' });

/** OpenBao answers refused input with 400 (no 409), and our crypto layer's input errors are the client's too. */
function asOpenBaoError(error: unknown): unknown {
  if (error instanceof CryptoInputError) return new HttpError(400, error.message);
  if (error instanceof DomainError && error.kind === 'conflict') return new HttpError(400, error.message);
  return error;
}

export function openBaoErrors(logger: Logger): Koa.Middleware {
  const format = errorMiddleware(openBaoErrorBody, logger);
  return (ctx, next) =>
    format(ctx, async () => {
      try {
        await next();
      } catch (error) {
        throw asOpenBaoError(error);
      }
    });
}

function operationOf(ctx: Koa.Context): Operation {
  const list = ctx.get(LIST_METHOD_HEADER).toUpperCase() === 'LIST' || ['true', '1', 't'].includes(String(ctx.query.list ?? '').toLowerCase());
  switch (ctx.method) {
    case 'GET':
    case 'HEAD':
      return list ? 'list' : 'read';
    case 'POST':
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      throw new HttpError(405, 'unsupported operation');
  }
}

function queryData(ctx: Koa.Context): Record<string, unknown> {
  const { list: _list, ...rest } = ctx.query;
  return rest;
}

function parseJsonObject(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `failed to parse JSON input: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'failed to parse JSON input: expected a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * A request body the way OpenBao reads it: JSON whatever the content type (curl's default form type included),
 * unless declared form-encoded and not looking like JSON; an empty body is no fields.
 */
export async function readOpenBaoBody(ctx: Koa.Context, limit = BODY_LIMIT): Promise<Record<string, unknown>> {
  const text = (await readBody(ctx, limit)).toString('utf8');
  if (text.trim() === '') return {};
  if (mediaType(ctx) === 'application/x-www-form-urlencoded' && !/^\s*[[{]/.test(text)) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  return parseJsonObject(text);
}

async function bodyData(ctx: Koa.Context, operation: Operation): Promise<Record<string, unknown>> {
  if (operation === 'patch' && mediaType(ctx) !== 'application/merge-patch+json') {
    throw new HttpError(415, `PATCH requires Content-Type of application/merge-patch+json, provided ${mediaType(ctx) || '(none)'}`);
  }
  return readOpenBaoBody(ctx);
}

function isRaw(result: EnvelopeResult | RawResult): result is RawResult {
  return 'raw' in result;
}

function envelope(requestId: string, result: EnvelopeResult, warnings: string[]) {
  return {
    request_id: requestId,
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: result.data ?? null,
    wrap_info: null,
    warnings: warnings.length ? warnings : null,
    auth: result.auth ?? null,
  };
}

function respond(ctx: Koa.Context, requestId: string, result: PkiResult, ignored: string[]): void {
  const warnings = ignored.length ? [`Endpoint ignored these unrecognized parameters: [${ignored.join(' ')}]`] : [];
  if (result === null) throw new HttpError(404, '');
  if (result === undefined) {
    if (!warnings.length) {
      ctx.status = 204;
      return;
    }
    result = {};
  }
  if (isRaw(result)) {
    ctx.status = result.raw.length ? 200 : 204;
    ctx.type = result.contentType;
    ctx.body = typeof result.raw === 'string' ? result.raw : Buffer.from(result.raw);
    return;
  }
  ctx.status = result.status ?? 200;
  ctx.body = envelope(requestId, result, [...warnings, ...(result.warnings ?? [])]);
}

/** What the dispatcher leaves in ctx.state for routers mounted behind it. */
export interface OpenBaoState {
  token?: ApiTokenRow;
  metadata: EventMetadata;
}

/** Who is asking, for a router mounted behind the OpenBao authorization. */
export function openBaoMetadata(ctx: Koa.Context): EventMetadata {
  return (ctx.state.openBao as OpenBaoState | undefined)?.metadata ?? {};
}

export interface DispatchOptions {
  /** Serve only the unauthenticated read paths (the public plain-http listener). */
  publicOnly?: boolean;
}

export function openBaoDispatcher(table: MountTable, authorizer: Authorizer, options: DispatchOptions = {}): Koa.Middleware {
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/v1/')) return next();
    const path = ctx.path.slice('/v1/'.length).replace(/\/+$/, '');
    const located = table.mountOf(path);
    if (!located) return next();
    const { mount, relative } = located;
    const operation = operationOf(ctx);
    const route = table.match(mount, relative);
    const open = table.isUnauthenticated(mount, relative, operation);
    if (options.publicOnly && (!open || (operation !== 'read' && operation !== 'list'))) return next();
    // The request metrics' route label: the pattern, never the raw path (routers behind name their own).
    if (route) ctx.state.routeTemplate = `/v1/${mount.prefix}/${route.spec.pattern}`;
    const secret = presentedToken(ctx);
    const aclPath = operation === 'list' ? `${path}/` : path;
    const capability = route ? requiredCapability(operation, route.spec, route.params) : operation === 'update' ? 'update' : operation;
    const token = open ? authorizer.authenticate(secret) : authorizer.authorize(secret, aclPath, capability, route?.spec.sudo ?? false);
    const metadata: EventMetadata = {
      request_id: randomUUID(),
      client_ip: ctx.ip,
      ...(token ? { actor: token.displayName, auth_method: 'token', token_accessor: token.accessor } : { auth_method: 'none' }),
    };
    if (!route) {
      // Endpoints mounted as plain koa routers behind this authorization (e.g. the revocation ones).
      ctx.state.openBao = { token, metadata } satisfies OpenBaoState;
      return next();
    }
    const handler = route.spec.operations[operation];
    if (!handler) throw new HttpError(405, 'unsupported operation');
    const raw = operation === 'update' || operation === 'patch' ? await bodyData(ctx, operation) : queryData(ctx);
    const data = new FieldData(route.spec.fields ?? {}, raw);
    const result = await handler({ operation, path, params: route.params, data, ...(token ? { token, clientToken: secret } : {}), metadata });
    respond(ctx, metadata.request_id!, result, data.unknown);
  };
}
