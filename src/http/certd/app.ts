/**
 * The certd HTTP API (Azure IoT Identity Service, api-version 2020-09-01), shaped as aziot-certd answers it:
 * errors are `{"message": "..."}`, create and import answer 201, delete 204; a body that is not the expected JSON
 * is a 422, as serde's refusal is in certd. Callers are identified by the kernel (see listener.ts), never by the request.
 */
import Koa from 'koa';
import type { Logger } from '../../app/logger.js';
import type { PeerCredentials } from '../../certd/peercred.js';
import type { CertdService } from '../../certd/service.js';
import { errorMiddleware, HttpError, type ErrorBody } from '../errors.js';
import { mediaType, readBody } from '../middleware/body.js';
import { connectionPeer } from './listener.js';

export const CERTD_API_VERSION = '2020-09-01';

export const certdErrorBody: ErrorBody = (_status, message) => ({ body: { message }, type: 'application/json' });

/** api-version is checked before routing, as certd does (an unknown path without it is a 400 too). */
function requireApiVersion(ctx: Koa.Context): void {
  const version = new URLSearchParams(ctx.querystring).get('api-version');
  if (version === null) throw new HttpError(400, 'api-version not specified');
  if (version !== CERTD_API_VERSION) throw new HttpError(400, `invalid api-version ${JSON.stringify(version)}; this API supports ${CERTD_API_VERSION}`);
}

/** Reads the JSON body as certd's http-common does: JSON is assumed when no content type is given. */
async function readJsonBody(ctx: Koa.Context): Promise<Record<string, unknown>> {
  const type = mediaType(ctx);
  if (type && type !== 'application/json') throw new HttpError(415, 'request body must be application/json');
  const raw = await readBody(ctx);
  if (raw.length === 0) throw new HttpError(400, 'missing request body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new HttpError(422, `request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(422, 'invalid type: expected a JSON object');
  return parsed as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, field: string, where = ''): string {
  const value = body[field];
  if (value === undefined) throw new HttpError(422, `missing field \`${where}${field}\``);
  if (typeof value !== 'string') throw new HttpError(422, `invalid type for \`${where}${field}\`: expected a string`);
  return value;
}

function createRequest(body: Record<string, unknown>) {
  const issuer = body.issuer ?? undefined;
  if (issuer !== undefined && (typeof issuer !== 'object' || Array.isArray(issuer))) {
    throw new HttpError(422, 'invalid type for `issuer`: expected an object with certId and privateKeyHandle');
  }
  const fields = issuer as Record<string, unknown> | undefined;
  return {
    certId: stringField(body, 'certId'),
    csr: stringField(body, 'csr'),
    ...(fields ? { issuer: { certId: stringField(fields, 'certId', 'issuer.'), privateKeyHandle: stringField(fields, 'privateKeyHandle', 'issuer.') } } : {}),
  };
}

const CERTIFICATES = '/certificates';
const ONE_CERTIFICATE = /^\/certificates\/([^/]+)$/;

function methodNotAllowed(allowed: string): never {
  throw new HttpError(405, 'method not allowed', { Allow: allowed });
}

/** `{certId}` percent-decoded; an undecodable one names no certificate (certd: no route matches). */
function certIdFromPath(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new HttpError(404, 'not found');
  }
}

/** The kernel's word on who is calling; the listener closes connections it has no word on before they get here. */
function callerOf(ctx: Koa.Context): PeerCredentials {
  const peer = connectionPeer(ctx.req.socket);
  if (!peer) throw new HttpError(403, 'the caller could not be identified');
  return peer;
}

export function buildCertdApp(service: CertdService, logger: Logger): Koa {
  const app = new Koa();
  app.use(errorMiddleware(certdErrorBody, logger));
  app.use(async (ctx) => {
    requireApiVersion(ctx);
    const caller = callerOf(ctx);
    if (ctx.path === CERTIFICATES) {
      if (ctx.method !== 'POST') methodNotAllowed('POST');
      const request = createRequest(await readJsonBody(ctx));
      ctx.status = 201;
      ctx.body = { pem: await service.create(caller, request) };
      return;
    }
    const match = ONE_CERTIFICATE.exec(ctx.path);
    if (!match) throw new HttpError(404, 'not found');
    const certId = certIdFromPath(match[1]);
    switch (ctx.method) {
      case 'GET':
        ctx.body = { pem: service.get(certId) };
        return;
      case 'PUT': {
        const pem = stringField(await readJsonBody(ctx), 'pem');
        ctx.status = 201;
        ctx.body = { pem: await service.import(caller, certId, pem) };
        return;
      }
      case 'DELETE':
        await service.delete(caller, certId);
        ctx.status = 204;
        return;
      default:
        methodNotAllowed('GET, PUT, DELETE');
    }
  });
  return app;
}
