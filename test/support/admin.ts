/**
 * Admin API test helpers: HTTPS requests trusting the test server's root CA (optionally with a client
 * certificate), openssl-made CSRs and admin PKI, and certificates issued through the real issuance path.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { IssuanceService, type IssuedCertificate, type ProfilePolicy } from '../../src/app/issuance.js';
import type { EventMetadata } from '../../src/eventstore/port.js';
import { openssl } from './tools.js';
import type { TestServer } from './server.js';

/** A paged admin answer: `{<key>: [...], total, page, per_page}`. */
export type Paged<Key extends string, Item> = Record<Key, Item[]> & { total: number; page: number; per_page: number };

export interface HttpsResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface AdminCallOptions {
  method?: string;
  token?: string;
  headers?: Record<string, string>;
  body?: string | object;
  /** A client certificate for mTLS: PEM cert and key. */
  clientCert?: { cert: string; key: string };
}

export function httpsCall(url: string, ca: string, options: AdminCallOptions = {}): Promise<HttpsResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', ca, headers, ...options.clientCert, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A client for one test server's admin listener, authenticated with the root token unless told otherwise. */
export function adminClient(server: TestServer, defaults: AdminCallOptions = { token: server.boot.rootToken }) {
  const rootPem = readFileSync(join(server.dataDir, 'ca/root.pem'), 'utf8');
  if (!server.listeners.admin) throw new Error('the admin listener is disabled');
  const base = server.listeners.admin.url.replace('127.0.0.1', 'localhost');
  const call = (path: string, options: AdminCallOptions = {}) => httpsCall(`${base}${path}`, rootPem, { ...defaults, ...options });
  return {
    base,
    rootPem,
    call,
    /** GET/POST… expecting JSON back; returns status and parsed body. */
    async json<T = Record<string, unknown>>(path: string, options: AdminCallOptions = {}): Promise<{ status: number; body: T; headers: HttpsResult['headers'] }> {
      const result = await call(path, options);
      assert.ok(String(result.headers['content-type']).startsWith('application/json'), `${path}: expected JSON, got ${result.headers['content-type']}: ${result.body}`);
      return { status: result.status, body: JSON.parse(result.body) as T, headers: result.headers };
    },
  };
}

/** A P-256 key and CSR made by openssl; the CSR as DER. */
export function opensslCsr(dir: string, name: string, subject: string): { csrDer: Buffer; keyFile: string } {
  const keyFile = join(dir, `${name}.key`);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', subject, '-keyout', keyFile, '-outform', 'DER', '-out', join(dir, `${name}.csr`)]);
  return { csrDer: readFileSync(join(dir, `${name}.csr`)), keyFile };
}

export const TEST_POLICY: ProfilePolicy = {
  name: 'admin-test',
  validitySeconds: 7 * 86_400,
  backdateSeconds: 60,
  keyUsage: ['digitalSignature'],
  extKeyUsage: ['clientAuth'],
  allowedKeys: [{ kind: 'ec', curves: ['P-256'] }],
  requireCommonName: true,
  names: { allowAnyName: true, allowedDomains: [], allowSubdomains: false, allowBareDomains: false, allowGlobDomains: false, allowIpSans: true, allowedUriSans: [], allowEmailSans: false },
};

/** Issues a certificate for `csrDer` through IssuanceService (sign in the pool, record CertificateIssued). */
export async function issueCertificate(
  server: TestServer,
  csrDer: Uint8Array,
  options: { metadata?: EventMetadata; renews?: string; profile?: string; ttlSeconds?: number } = {},
): Promise<IssuedCertificate> {
  const issuance = new IssuanceService(server.core, server.core.pool!);
  const issued = await issuance.issueFromCsr({
    csrDer,
    issuer: issuance.issuer('default'),
    policy: TEST_POLICY,
    profile: options.profile ?? 'admin-test',
    metadata: { actor: 'test', auth_method: 'otp', client_ip: '10.0.1.42', action: 'enroll', ...options.metadata },
    ...(options.renews ? { renews: options.renews } : {}),
    ...(options.ttlSeconds ? { context: { ttlSeconds: options.ttlSeconds } } : {}),
  });
  await server.core.runner.waitFor(issued.position);
  return issued;
}

export interface TestPki {
  caPem: string;
  caFile: string;
  caKeyFile: string;
  client: { cert: string; key: string };
  /** The client certificate and key as files, for curl. */
  clientFiles: { cert: string; key: string };
}

/** A throw-away CA (openssl) and one clientAuth certificate it issued, written under `dir`. */
export function makeTestPki(dir: string, name: string): TestPki {
  const caKey = join(dir, `${name}-ca.key`);
  const caFile = join(dir, `${name}-ca.pem`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '30', '-subj', `/CN=${name} CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const clientKey = join(dir, `${name}-client.key`);
  const clientCsr = join(dir, `${name}-client.csr`);
  const clientCert = join(dir, `${name}-client.pem`);
  const ext = join(dir, `${name}-client.ext`);
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', clientKey, '-out', clientCsr, '-subj', `/CN=${name} operator`]);
  openssl(['x509', '-req', '-in', clientCsr, '-CA', caFile, '-CAkey', caKey, '-set_serial', '0x1001', '-days', '7', '-extfile', ext, '-out', clientCert]);
  return {
    caPem: readFileSync(caFile, 'utf8'),
    caFile,
    caKeyFile: caKey,
    client: { cert: readFileSync(clientCert, 'utf8'), key: readFileSync(clientKey, 'utf8') },
    clientFiles: { cert: clientCert, key: clientKey },
  };
}
