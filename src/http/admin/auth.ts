/**
 * Admin authentication as signet.toml `[admin] auth` says: `bearer` (the root token, plus the token in
 * `bearer_token_env` when configured), `mtls` (a client certificate chaining to `trust_anchors`) or `both`.
 *
 * The admin listener requests client certificates but does not reject the handshake (rejectUnauthorized false),
 * so that the answer can be an HTTP status with a JSON body: 401 for no or invalid credentials, 403 for a sound
 * client certificate from an issuer that is not an admin trust anchor.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type Koa from 'koa';
import type { SignetConfig } from '../../config/config.js';
import { ConfigError } from '../../config/config.js';
import { constantTimeEqual } from '../../app/secrets.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { parseCertificate } from '../../crypto/certificate.js';
import { formatName } from '../../crypto/name.js';
import { decodePem } from '../../crypto/pem.js';
import { HttpError } from '../errors.js';
import { bearerToken } from '../middleware/bearer-auth.js';

export type AdminAuthMode = SignetConfig['admin']['auth'];

export interface NamedSecret {
  /** Who presents it, as recorded in the audit trail (`root`, `env:SIGNET_ADMIN_TOKEN`). */
  actor: string;
  secret: string;
}

export interface AdminAuth {
  mode: AdminAuthMode;
  /** Read per request, so a rotated environment token needs no restart of the admin app. */
  bearerTokens: () => NamedSecret[];
}

export interface AdminPrincipal {
  actor: string;
  authMethod: 'bearer' | 'mtls';
}

/** The secrets bearer auth accepts: the root token, and the configured environment variable's value when set. */
export function adminBearerTokens(admin: SignetConfig['admin'], rootToken: string, env: NodeJS.ProcessEnv = process.env): NamedSecret[] {
  const fromEnv = admin.bearerTokenEnv ? env[admin.bearerTokenEnv] : undefined;
  return [{ actor: 'root', secret: rootToken }, ...(fromEnv ? [{ actor: `env:${admin.bearerTokenEnv}`, secret: fromEnv }] : [])];
}

const usesMtls = (mode: AdminAuthMode) => mode === 'mtls' || mode === 'both';
const usesBearer = (mode: AdminAuthMode) => mode === 'bearer' || mode === 'both';

/** TLS options the admin listener adds to the server certificate: request client certs, trust the admin anchors. */
export function adminTlsOptions(admin: SignetConfig['admin']): ServerOptions {
  if (!usesMtls(admin.auth)) return {};
  const file = admin.trustAnchors ?? '';
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`config error: admin.trust_anchors: cannot read ${file}: ${(error as Error).message}`);
  }
  if (!hasPemCertificate(pem)) throw new ConfigError(`config error: admin.trust_anchors: no PEM certificate in ${file}`);
  return { requestCert: true, rejectUnauthorized: false, ca: pem };
}

function hasPemCertificate(text: string): boolean {
  try {
    return decodePem(text).some((block) => block.label === 'CERTIFICATE');
  } catch {
    return false;
  }
}

export type ClientCertVerdict = 'none' | 'trusted' | 'wrong_anchor' | 'invalid';

/** OpenSSL verify results meaning "well-formed and current, but not issued under our anchors". */
const WRONG_ANCHOR_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'INVALID_PURPOSE',
]);

/** Pure: what the TLS layer's verification of the client certificate means for admin access. */
export function classifyClientCert(presented: boolean, authorized: boolean, verifyError: string | undefined): ClientCertVerdict {
  if (!presented) return 'none';
  if (authorized) return 'trusted';
  return verifyError && WRONG_ANCHOR_ERRORS.has(verifyError) ? 'wrong_anchor' : 'invalid';
}

function clientCertificate(ctx: Koa.Context): { verdict: ClientCertVerdict; subject?: string; verifyError?: string } {
  const socket = ctx.req.socket as Partial<TLSSocket>;
  const peer = socket.getPeerCertificate?.();
  const raw = peer && 'raw' in peer ? peer.raw : undefined;
  const failure = socket.authorizationError as unknown;
  const verifyError = failure === undefined || failure === null ? undefined : String((failure as { code?: unknown }).code ?? failure);
  const verdict = classifyClientCert(raw !== undefined, socket.authorized === true, verifyError);
  if (verdict !== 'trusted' || !raw) return { verdict, ...(verifyError ? { verifyError } : {}) };
  return { verdict, subject: formatName(parseCertificate(raw).subject) };
}

function matchBearer(presented: string, accepted: NamedSecret[]): NamedSecret | undefined {
  // Compare against every accepted secret, so timing does not reveal which one (if any) matched.
  const matches = accepted.map((candidate) => constantTimeEqual(presented, candidate.secret));
  return accepted[matches.indexOf(true)];
}

/** Decides who the caller is, or throws 401/403. Pure apart from reading the request. */
export function authenticateAdmin(ctx: Koa.Context, auth: AdminAuth): AdminPrincipal {
  const challenge: Record<string, string> = usesBearer(auth.mode) ? { 'WWW-Authenticate': 'Bearer' } : {};
  const cert = usesMtls(auth.mode) ? clientCertificate(ctx) : { verdict: 'none' as const };
  if (cert.verdict === 'trusted') return { actor: cert.subject ?? 'mtls', authMethod: 'mtls' };

  const presented = usesBearer(auth.mode) ? bearerToken(ctx) : undefined;
  if (presented) {
    const match = matchBearer(presented, auth.bearerTokens());
    if (match) return { actor: match.actor, authMethod: 'bearer' };
    throw new HttpError(401, 'invalid bearer token', challenge);
  }
  if (cert.verdict === 'wrong_anchor') throw new HttpError(403, `client certificate is not issued by an admin trust anchor (${cert.verifyError})`);
  if (cert.verdict === 'invalid') throw new HttpError(401, `client certificate rejected (${cert.verifyError ?? 'unverified'})`, challenge);
  const wanted = auth.mode === 'both' ? 'a client certificate or a bearer token' : auth.mode === 'mtls' ? 'a client certificate' : 'a bearer token';
  throw new HttpError(401, `authentication required: present ${wanted}`, challenge);
}

/** Koa middleware: authenticates, then leaves the principal in `ctx.state.admin` for audit metadata. */
export function requireAdmin(auth: AdminAuth): Koa.Middleware {
  return async (ctx, next) => {
    ctx.state.admin = authenticateAdmin(ctx, auth);
    await next();
  };
}

/** Event metadata for a command an authenticated admin request runs: who, how, from where. */
export function adminMetadata(ctx: Koa.Context): EventMetadata {
  const principal = ctx.state.admin as AdminPrincipal;
  return { actor: principal.actor, auth_method: principal.authMethod, client_ip: ctx.ip, request_id: randomUUID() };
}
