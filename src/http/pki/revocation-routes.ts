/**
 * OpenBao PKI revocation endpoints (../shared/specs/openbao-pki-api.txt): CRLs, delta CRLs and OCSP (unauthenticated,
 * served on the API listener and on the public plain-HTTP listener), and the privileged config/crl, crl/rotate,
 * crl/rotate-delta, issuer/:ref/resign-crls and issuer/:ref/sign-revocation-list.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { parseDuration } from '../../domain/duration.js';
import { invalid } from '../../domain/errors.js';
import type { CrlConfig } from '../../domain/crl-config.js';
import type { CrlKind } from '../../domain/crl.js';
import { decodePem, derToPem } from '../../crypto/pem.js';
import { isDottedOid } from '../../crypto/der.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { ocspStatusResponse, type OcspResponseStatus } from '../../crypto/ocsp.js';
import { normalizeSerial } from '../../app/pki/pem-input.js';
import type { ExternalCrlInput, RawExtensionInput, RevocationService } from '../../app/revocation/revocation-service.js';
import { HttpError } from '../errors.js';
import type { Logger } from '../../app/logger.js';
import { openBaoErrors, readOpenBaoBody } from './dispatch.js';
import { readBody, requireMediaType } from '../middleware/body.js';

const PKIX_CRL = 'application/pkix-crl';
const PEM = 'application/x-pem-file';
export const OCSP_RESPONSE = 'application/ocsp-response';
export const OCSP_REQUEST = 'application/ocsp-request';
const MAX_SIGN_BODY = 16 * 1024 * 1024;

/** OpenBao's response envelope around `data`. */
function envelope(ctx: Koa.Context, data: Record<string, unknown>): void {
  ctx.type = 'application/json';
  ctx.body = { request_id: crypto.randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null };
}

type CrlFormat = 'der' | 'pem' | 'json' | 'legacy-json';

function sendCrl(ctx: Koa.Context, der: Uint8Array, format: CrlFormat): void {
  switch (format) {
    case 'der':
      ctx.type = PKIX_CRL;
      ctx.body = Buffer.from(der);
      return;
    case 'pem':
      ctx.type = PEM;
      ctx.body = derToPem(der, 'X509 CRL');
      return;
    case 'json':
      envelope(ctx, { crl: derToPem(der, 'X509 CRL') });
      return;
    case 'legacy-json':
      // OpenBao's older cert/crl path puts the PEM CRL in `certificate`.
      envelope(ctx, { certificate: derToPem(der, 'X509 CRL'), revocation_time: 0 });
      return;
  }
}

/** Maps an OCSP status to the HTTP status OpenBao answers with; the body is the DER OCSPResponse either way. */
export const OCSP_HTTP_STATUS: Record<OcspResponseStatus, number> = { successful: 200, malformedRequest: 400, internalError: 500, tryLater: 503, sigRequired: 401, unauthorized: 401 };

function sendOcsp(ctx: Koa.Context, response: { der: Uint8Array; status: OcspResponseStatus }): void {
  ctx.status = OCSP_HTTP_STATUS[response.status] ?? 200;
  ctx.type = OCSP_RESPONSE;
  ctx.body = Buffer.from(response.der);
}

/** GET ocsp/<base64 of the DER request>, URL-encoded; '/' inside the base64 makes it span path segments. */
function ocspGetRequest(path: string, prefix: string): Uint8Array | undefined {
  let text: string;
  try {
    text = decodeURIComponent(path.slice(prefix.length));
  } catch {
    return undefined;
  }
  const compact = text.replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact) || compact.length === 0) return undefined;
  return new Uint8Array(Buffer.from(compact.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

export const OCSP_PREFIX = '/v1/pki/ocsp/';
export const OCSP_POST_PATH = '/v1/pki/ocsp';

/** The responder's fast-path keys: a GET by its raw path (no need to decode it), a POST by its body bytes. */
export const ocspGetKey = (path: string): string => `G${path}`;
export const ocspPostKey = (body: Uint8Array): string => `P${Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1')}`;

/** The unauthenticated read paths: CRLs of the default issuer and per issuer, and OCSP. */
export function revocationReadRoutes(service: RevocationService): Router {
  const router = new Router({ prefix: '/v1/pki' });
  const crl = (ref: (ctx: Koa.Context) => string, kind: CrlKind, format: CrlFormat): Koa.Middleware => async (ctx) => {
    sendCrl(ctx, (await service.crl(ref(ctx), kind)).der, format);
  };
  const byDefault = () => 'default';
  const byParam = (ctx: Koa.Context) => String((ctx.params as Record<string, string>).ref);
  router.get('/crl', crl(byDefault, 'full', 'der'));
  router.get('/crl/pem', crl(byDefault, 'full', 'pem'));
  router.get('/crl/delta', crl(byDefault, 'delta', 'der'));
  router.get('/crl/delta/pem', crl(byDefault, 'delta', 'pem'));
  router.get('/issuer/:ref/crl', crl(byParam, 'full', 'json'));
  router.get('/issuer/:ref/crl/der', crl(byParam, 'full', 'der'));
  router.get('/issuer/:ref/crl/pem', crl(byParam, 'full', 'pem'));
  router.get('/issuer/:ref/crl/delta', crl(byParam, 'delta', 'json'));
  router.get('/issuer/:ref/crl/delta/der', crl(byParam, 'delta', 'der'));
  router.get('/issuer/:ref/crl/delta/pem', crl(byParam, 'delta', 'pem'));
  router.post('/ocsp', async (ctx) => {
    requireMediaType(ctx, [OCSP_REQUEST]);
    const body = await readBody(ctx);
    sendOcsp(ctx, await service.ocsp.respond(body, ocspPostKey(body)));
  });
  return router;
}

/**
 * GET ocsp/<request> as a plain middleware: the base64 may contain '/', which no router parameter spans. Mount it
 * before the routers.
 */
export function ocspGetMiddleware(service: RevocationService): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' || !ctx.path.startsWith(OCSP_PREFIX)) return next();
    ctx.state.routeTemplate = `${OCSP_PREFIX}:request`;
    const request = ocspGetRequest(ctx.path, OCSP_PREFIX);
    sendOcsp(ctx, request ? await service.ocsp.respond(request, ocspGetKey(ctx.path)) : { der: ocspStatusResponse('malformedRequest'), status: 'malformedRequest' });
  };
}

const LEGACY_CRL_PATHS: Record<string, CrlKind> = { '/v1/pki/cert/crl': 'full', '/v1/pki/cert/delta-crl': 'delta' };

/**
 * GET cert/crl and cert/delta-crl, the older JSON spellings (PEM in `certificate`). Mount before the OpenBao
 * dispatcher, whose `cert/:serial` would otherwise take "crl" for a serial.
 */
export function legacyCrlMiddleware(service: RevocationService, logger: Logger): Koa.Middleware {
  const errors = openBaoErrors(logger);
  return (ctx, next) => {
    const kind = ctx.method === 'GET' ? LEGACY_CRL_PATHS[ctx.path] : undefined;
    if (!kind) return next();
    ctx.state.routeTemplate = ctx.path;
    return errors(ctx, async () => sendCrl(ctx, (await service.crl('default', kind)).der, 'legacy-json'));
  };
}

// ------------------------------------------------------------------------------------------------------------
// Privileged endpoints

function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function configData(config: CrlConfig): Record<string, unknown> {
  return {
    expiry: formatDuration(config.expirySeconds),
    disable: config.disable,
    ocsp_disable: config.ocspDisable,
    ocsp_expiry: formatDuration(config.ocspExpirySeconds),
    auto_rebuild: config.autoRebuild,
    auto_rebuild_grace_period: formatDuration(config.autoRebuildGracePeriodSeconds),
    enable_delta: config.enableDelta,
    delta_rebuild_interval: formatDuration(config.deltaRebuildIntervalSeconds),
    // One cluster, one log: there is no cross-cluster or unified CRL to configure.
    cross_cluster_revocation: false,
    unified_crl: false,
    unified_crl_on_existing_paths: false,
  };
}

function boolField(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1' || value === 1) return true;
  if (value === 'false' || value === '0' || value === 0) return false;
  throw invalid('invalid_field', `error converting input ${JSON.stringify(value)} for field "${name}": expected a boolean`);
}

function durationField(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  const seconds = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
  if (seconds === undefined) throw invalid('invalid_field', `error converting input ${JSON.stringify(value)} for field "${name}": expected a duration like 72h`);
  return seconds;
}

function intField(body: Record<string, unknown>, name: string, fallback?: number): number {
  const value = body[name];
  if (value === undefined || value === null || value === '') {
    if (fallback === undefined) throw invalid('missing_field', `the ${name} parameter is required`);
    return fallback;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw invalid('invalid_field', `error converting input ${JSON.stringify(value)} for field "${name}": expected an integer`);
  return n;
}

function crlConfigChanges(body: Record<string, unknown>): Partial<CrlConfig> {
  const fields: [keyof CrlConfig, boolean | number | undefined][] = [
    ['expirySeconds', durationField(body, 'expiry')],
    ['disable', boolField(body, 'disable')],
    ['ocspDisable', boolField(body, 'ocsp_disable')],
    ['ocspExpirySeconds', durationField(body, 'ocsp_expiry')],
    ['autoRebuild', boolField(body, 'auto_rebuild')],
    ['autoRebuildGracePeriodSeconds', durationField(body, 'auto_rebuild_grace_period')],
    ['enableDelta', boolField(body, 'enable_delta')],
    ['deltaRebuildIntervalSeconds', durationField(body, 'delta_rebuild_interval')],
  ];
  return Object.fromEntries(fields.filter(([, value]) => value !== undefined)) as Partial<CrlConfig>;
}

function externalCrlInput(body: Record<string, unknown>, metadata: EventMetadata): ExternalCrlInput {
  const crlNumber = intField(body, 'crl_number');
  if (crlNumber < 0) throw invalid('invalid_field', 'crl_number must be a non-negative integer');
  const base = intField(body, 'delta_crl_base_number', -1);
  return { crlNumber, ...(base >= 0 ? { deltaBaseNumber: base } : {}), nextUpdateSeconds: durationField(body, 'next_update') ?? 72 * 3600, metadata };
}

function crlFormat(body: Record<string, unknown>): 'pem' | 'der' {
  const format = body.format ?? 'pem';
  if (format !== 'pem' && format !== 'der') throw invalid('invalid_format', `invalid format "${String(format)}": expected pem or der`);
  return format;
}

function listOf(value: unknown, name: string): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null)) throw invalid('invalid_field', `${name} must be a list of objects`);
  return value as Record<string, unknown>[];
}

function extensionsOf(value: unknown, name: string): RawExtensionInput[] {
  return listOf(value, name).map((e) => {
    const oid = String(e.id ?? '');
    if (!isDottedOid(oid)) throw invalid('invalid_extension', `${name}: "${oid}" is not an ASN.1 object identifier`);
    const valueText = String(e.value ?? '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(valueText)) throw invalid('invalid_extension', `${name}: value of ${oid} is not base64`);
    return { oid, critical: e.critical === true || e.critical === 'true', value: new Uint8Array(Buffer.from(valueText, 'base64')) };
  });
}

function revocationTime(value: unknown, serial: string): number {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) return Number(value) * 1000;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw invalid('invalid_revocation_time', `revocation_time for ${serial} must be a unix time or RFC 3339`);
  return ms;
}

function crlsOf(value: unknown): Uint8Array[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('missing_field', 'the crls parameter is required: a list of PEM encoded CRLs');
  return value.flatMap((text) => {
    if (typeof text !== 'string') throw invalid('invalid_field', 'crls must be a list of PEM strings');
    const blocks = decodePem(text).filter((b) => b.label === 'X509 CRL');
    if (blocks.length === 0) throw invalid('invalid_field', 'a crls entry holds no PEM "X509 CRL" block');
    return blocks.map((b) => b.der);
  });
}

function sendSignedCrl(ctx: Koa.Context, der: Uint8Array, format: 'pem' | 'der'): void {
  envelope(ctx, { crl: format === 'pem' ? derToPem(der, 'X509 CRL') : Buffer.from(der).toString('base64') });
}

/** The privileged revocation endpoints; mount behind the API's authentication. `metadata` says who is asking. */
export function revocationAdminRoutes(service: RevocationService, metadata: (ctx: Koa.Context) => EventMetadata): Router {
  const router = new Router({ prefix: '/v1/pki' });
  router.get('/config/crl', (ctx) => envelope(ctx, configData(service.config().config)));
  router.post('/config/crl', async (ctx) => {
    const config = await service.updateConfig(crlConfigChanges(await readOpenBaoBody(ctx)), metadata(ctx));
    envelope(ctx, configData(config));
  });
  router.get('/crl/rotate', async (ctx) => {
    await service.rotate('full');
    envelope(ctx, { success: true });
  });
  router.get('/crl/rotate-delta', async (ctx) => {
    await service.rotate('delta');
    envelope(ctx, { success: true });
  });
  router.post('/issuer/:ref/sign-revocation-list', async (ctx) => {
    const body = await readOpenBaoBody(ctx, MAX_SIGN_BODY);
    const format = crlFormat(body);
    const revoked = listOf(body.revoked_certs, 'revoked_certs').map((r) => {
      const serialText = String(r.serial_number ?? '');
      if (!serialText) throw invalid('invalid_field', 'every revoked_certs entry needs a serial_number');
      const serialHex = normalizeSerial(serialText);
      if (!/^[0-9a-f]+$/.test(serialHex)) throw new HttpError(400, `invalid serial_number "${serialText}"`);
      return { serialHex, revokedAt: revocationTime(r.revocation_time, serialText), extensions: extensionsOf(r.extensions, 'revoked_certs extensions') };
    });
    const der = await service.signRevocationList(String(ctx.params.ref), { ...externalCrlInput(body, metadata(ctx)), revoked, extensions: extensionsOf(body.extensions, 'extensions') });
    sendSignedCrl(ctx, der, format);
  });
  router.post('/issuer/:ref/resign-crls', async (ctx) => {
    const body = await readOpenBaoBody(ctx, MAX_SIGN_BODY);
    const format = crlFormat(body);
    const der = await service.resignCrls(String(ctx.params.ref), { ...externalCrlInput(body, metadata(ctx)), crlsDer: crlsOf(body.crls) });
    sendSignedCrl(ctx, der, format);
  });
  return router;
}
