/**
 * A minimal RFC 7030 client for one upstream EST configuration: TLS verified against the configured chain (unless
 * validate_server is false), HTTP Basic or TLS client-certificate auth, and liberal parsing of the answers
 * (RFC 8951: base64 with any line breaks, with or without Content-Transfer-Encoding). Every call has a deadline:
 * a dead or silent upstream becomes an UpstreamError (502 or 504), never a hang.
 */
import { request } from 'node:https';
import { isIP } from 'node:net';
import { decodeCertsOnlyPkcs7Ber } from '../../crypto/pkcs7.js';
import { decodePem, derToPem } from '../../crypto/pem.js';
import { fromBase64 } from '../../crypto/bytes.js';
import { Tag } from '../../crypto/der.js';
import { CryptoInputError } from '../../crypto/errors.js';

/** The upstream failed, or its answer is unusable: 502 (bad gateway) or 504 (no answer in time). */
export class UpstreamError extends Error {
  constructor(
    readonly httpStatus: 502 | 504,
    message: string,
    /** The upstream's HTTP status when it answered with an error. */
    readonly upstreamStatus?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export interface EstEndpoint {
  server: string;
  port: number;
  /** DER certificates the server's TLS certificate must chain to; empty = the system roots. */
  trust: Uint8Array[];
  validateServer: boolean;
  /** Deadline of one exchange, connection to last byte; default 10 s. */
  timeoutMs?: number;
}

export type EstClientAuth = { kind: 'none' } | { kind: 'basic'; username: string; password: string } | { kind: 'certificate'; certPem: string; keyPem: string };

export interface EstCall {
  method: 'GET' | 'POST';
  path: string;
  auth: EstClientAuth;
  body?: Uint8Array;
  contentType?: string;
}

export interface EstAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_ANSWER = 1024 * 1024;

const where = (endpoint: EstEndpoint, path: string) => `https://${endpoint.server}:${endpoint.port}${path}`;

/** One HTTPS exchange. Network and TLS failures are UpstreamErrors; any HTTP status is returned as is. */
export function estExchange(endpoint: EstEndpoint, call: EstCall): Promise<EstAnswer> {
  const url = where(endpoint, call.path);
  const timeoutMs = endpoint.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers: Record<string, string> = {};
  if (call.auth.kind === 'basic') headers.Authorization = `Basic ${Buffer.from(`${call.auth.username}:${call.auth.password}`).toString('base64')}`;
  if (call.body) {
    headers['Content-Type'] = call.contentType ?? 'application/pkcs10';
    headers['Content-Transfer-Encoding'] = 'base64';
  }
  const body = call.body ? Buffer.from(Buffer.from(call.body).toString('base64')) : undefined;
  return new Promise((resolve, reject) => {
    const req = request({
      host: endpoint.server,
      port: endpoint.port,
      path: call.path,
      method: call.method,
      headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
      ...(endpoint.trust.length ? { ca: endpoint.trust.map((der) => derToPem(der, 'CERTIFICATE')) } : {}),
      rejectUnauthorized: endpoint.validateServer,
      ...(isIP(endpoint.server) ? {} : { servername: endpoint.server }),
      ...(call.auth.kind === 'certificate' ? { cert: call.auth.certPem, key: call.auth.keyPem } : {}),
      agent: false,
      timeout: timeoutMs,
    });
    const deadline = setTimeout(() => req.destroy(new UpstreamError(504, `${url}: no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new UpstreamError(504, `${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      reject(error instanceof UpstreamError ? error : new UpstreamError(502, describeNetworkError(url, error)));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER) req.destroy(new UpstreamError(502, `${url}: answer larger than ${MAX_ANSWER} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(deadline);
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) });
      });
      res.on('error', (error) => {
        clearTimeout(deadline);
        reject(error instanceof UpstreamError ? error : new UpstreamError(502, `${url}: ${error.message}`));
      });
    });
    req.end(body);
  });
}

function describeNetworkError(url: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `${url}: connection refused (nothing listening)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${url}: cannot resolve the server name`;
    case 'ECONNRESET':
      return `${url}: connection reset by the server`;
    default:
      return error.code && /CERT|SELF_SIGNED|VERIFY|ALTNAME|ISSUER/.test(error.code) ? `${url}: TLS server certificate not trusted (${error.code}: ${error.message})` : `${url}: ${error.message}`;
  }
}

/** The text of an error answer, one line, bounded: the upstream's reason for the caller. */
function reasonOf(answer: EstAnswer): string {
  const text = answer.body.toString('utf8', 0, Math.min(answer.body.length, 300)).replace(/\s+/g, ' ').trim();
  return text && /^[\x20-\x7e]*$/.test(text) ? `: ${text}` : '';
}

/** A non-2xx answer as an UpstreamError naming what the upstream said. */
export function upstreamRefusal(endpoint: EstEndpoint, path: string, answer: EstAnswer): UpstreamError {
  const what = answer.status === 401 ? 'refused our credentials' : answer.status === 403 ? 'refused the request' : 'failed';
  return new UpstreamError(502, `upstream EST server ${what} (${where(endpoint, path)} answered HTTP ${answer.status}${reasonOf(answer)})`, answer.status);
}

/** The answer's bytes: binary as sent (a SEQUENCE tag; base64 of one starts with "M"), else PEM or base64. */
function answerBytes(body: Buffer): Uint8Array {
  if (body[0] === Tag.SEQUENCE) return body;
  const text = body.toString('latin1');
  if (text.includes('-----BEGIN ')) return decodePem(text)[0].der;
  const compact = text.replace(/\s+/g, '');
  if (!compact || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw new CryptoInputError('bad_encoding', 'the body is neither binary nor base64');
  return fromBase64(compact);
}

/**
 * RFC 8951 3: a certs-only answer is base64 whatever Content-Transfer-Encoding says, possibly with whitespace; a
 * binary body is accepted too, and so is BER (indefinite lengths, chunked strings) as some servers send it.
 * Returns the certificates, in order.
 */
export function parseCertsOnlyAnswer(endpoint: EstEndpoint, path: string, answer: EstAnswer): Uint8Array[] {
  const garbage = (why: string) => new UpstreamError(502, `upstream EST server sent an unusable answer from ${where(endpoint, path)}: ${why}`);
  let certificates: Uint8Array[];
  try {
    certificates = decodeCertsOnlyPkcs7Ber(answerBytes(answer.body));
  } catch (error) {
    if (error instanceof CryptoInputError) throw garbage(`not a PKCS#7 certs-only structure (${error.message})`);
    throw error;
  }
  if (certificates.length === 0) throw garbage('the PKCS#7 structure holds no certificate');
  return certificates;
}
