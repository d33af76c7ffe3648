/**
 * The IDIAL EST configuration body (POST /pki/est, PATCH /pki/est/{id}) to settings: snake_case fields, `port` as
 * number or numeric string, the password wrapped under the KEK (key id = the configuration id) with its SHA-256
 * kept for display. An empty password counts as no credentials; `validate_server` defaults to true.
 */
import { createHash } from 'node:crypto';
import { invalid } from '../../domain/errors.js';
import type { EstUpstreamAuth, EstUpstreamCredentials, EstUpstreamSettings } from '../../domain/est-upstream.js';
import { wrapPrivateKey } from '../../crypto/keywrap.js';
import { decodeCertsOnlyPkcs7 } from '../../crypto/pkcs7.js';
import { CryptoInputError } from '../../crypto/errors.js';

const FIELDS = ['server', 'port', 'enroll_endpoint', 'renew_endpoint', 'username', 'password', 'enroll_auth', 'renew_auth', 'tlschain', 'validate_server', 'description'] as const;
type Field = (typeof FIELDS)[number];
export type UpstreamBody = Partial<Record<Field, unknown>>;

const REQUIRED_ON_CREATE: readonly Field[] = ['server', 'port', 'enroll_endpoint', 'renew_endpoint'];

/** Upstream key-wrap id of a configuration's password (AAD: a wrapped password cannot move to another id). */
export const passwordKeyId = (id: number) => `est-upstream-${id}`;

function checkShape(body: unknown): UpstreamBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('invalid_body', 'the body must be a JSON object');
  const unknown = Object.keys(body).filter((key) => !(FIELDS as readonly string[]).includes(key));
  if (unknown.length) throw invalid('unknown_field', `unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  return body as UpstreamBody;
}

function text(body: UpstreamBody, field: Field): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid('invalid_field', `${field} must be a string`);
  return value.trim();
}

function port(body: UpstreamBody): number | undefined {
  const value = body.port;
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(number)) throw invalid('invalid_port', 'port must be a number from 1 to 65535');
  return number;
}

function auth(body: UpstreamBody, field: 'enroll_auth' | 'renew_auth'): EstUpstreamAuth | undefined {
  return text(body, field) as EstUpstreamAuth | undefined;
}

/** The tlschain as given (base64 certs-only PKCS#7), checked to hold at least one certificate. */
function tlschain(body: UpstreamBody): string | undefined {
  const value = text(body, 'tlschain');
  if (value === undefined || value === '') return value;
  const compact = value.replace(/\s+/g, '');
  let certificates = 0;
  try {
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) certificates = decodeCertsOnlyPkcs7(Buffer.from(compact, 'base64')).length;
  } catch (error) {
    if (!(error instanceof CryptoInputError)) throw error;
  }
  if (certificates === 0) throw invalid('invalid_tlschain', 'tlschain must be a base64-encoded PKCS#7 (certs-only) holding the TLS server chain');
  return compact;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function credentials(body: UpstreamBody, id: number, kek: Uint8Array, current?: EstUpstreamCredentials): EstUpstreamCredentials | undefined {
  const username = text(body, 'username');
  if (body.password !== undefined && body.password !== null && typeof body.password !== 'string') throw invalid('invalid_field', 'password must be a string');
  const password = typeof body.password === 'string' && body.password !== '' ? body.password : undefined;
  if (password) {
    const name = username ?? current?.username;
    if (!name) throw invalid('username_required', 'a password needs a username');
    return { username: name, passwordWrapped: wrapPrivateKey(Buffer.from(password, 'utf8'), kek, passwordKeyId(id)), passwordHash: sha256Hex(password) };
  }
  if (current && username) return { ...current, username };
  return current;
}

/** Settings of a new configuration `id`. */
export function settingsForCreate(input: unknown, id: number, kek: Uint8Array): EstUpstreamSettings {
  const body = checkShape(input);
  const missing = REQUIRED_ON_CREATE.filter((field) => body[field] === undefined || body[field] === null || body[field] === '');
  if (missing.length) throw invalid('missing_field', `missing required field${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  const creds = credentials(body, id, kek);
  return merge(body, {
    server: '',
    port: 0,
    enrollEndpoint: '',
    renewEndpoint: '',
    ...(creds ? { credentials: creds } : {}),
    enrollAuth: creds ? 'basic' : 'none',
    renewAuth: 'certificate',
    tlschain: '',
    validateServer: true,
    description: '',
  });
}

/** The current settings with the submitted fields replaced. */
export function settingsForUpdate(input: unknown, id: number, kek: Uint8Array, current: EstUpstreamSettings): EstUpstreamSettings {
  const body = checkShape(input);
  if (Object.keys(body).length === 0) throw invalid('empty_update', 'the body names no field to update');
  const creds = credentials(body, id, kek, current.credentials);
  const { credentials: _previous, ...rest } = current;
  return merge(body, { ...rest, ...(creds ? { credentials: creds } : {}) });
}

function merge(body: UpstreamBody, base: EstUpstreamSettings): EstUpstreamSettings {
  const validateServer = body.validate_server;
  if (validateServer !== undefined && validateServer !== null && typeof validateServer !== 'boolean') throw invalid('invalid_field', 'validate_server must be true or false');
  return {
    ...base,
    server: text(body, 'server') ?? base.server,
    port: port(body) ?? base.port,
    enrollEndpoint: text(body, 'enroll_endpoint') ?? base.enrollEndpoint,
    renewEndpoint: text(body, 'renew_endpoint') ?? base.renewEndpoint,
    enrollAuth: auth(body, 'enroll_auth') ?? base.enrollAuth,
    renewAuth: auth(body, 'renew_auth') ?? base.renewAuth,
    tlschain: tlschain(body) ?? base.tlschain,
    validateServer: typeof validateServer === 'boolean' ? validateServer : base.validateServer,
    description: text(body, 'description') ?? base.description,
  };
}
