/**
 * Plain HTTP calls to the OpenBao-compatible API, made the way the spec's curl examples make them: `--header
 * "X-Vault-Token: ..."`, `--request LIST`, and `--data @payload.json` (which curl sends as
 * application/x-www-form-urlencoded with a JSON body). Real TLS, verified against the Signet root.
 */
import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from './server.js';
import { openssl, python } from './tools.js';

export interface BaoResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  /** The parsed JSON body, when there is one. */
  json: any;
}

export interface CallOptions {
  /** JSON-serialized as `--data @payload.json` would send it. */
  data?: unknown;
  /** A raw body instead of `data`. */
  body?: string | Buffer;
  /** Defaults to the root token; null sends none. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface BaoClient {
  rootToken: string;
  rootPem: string;
  call(method: string, path: string, options?: CallOptions): Promise<BaoResponse>;
  /** The same against the public plain-http listener (no token). */
  publicCall(method: string, path: string): Promise<BaoResponse>;
}

function send(make: typeof request | typeof plainRequest, url: string, method: string, headers: Record<string, string>, body: Buffer | undefined, ca?: string): Promise<BaoResponse> {
  return new Promise((resolve, reject) => {
    const req = make(url, { method, headers, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        const text = buffer.toString('utf8');
        let json: unknown;
        if ((res.headers['content-type'] ?? '').includes('json') && text) json = JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buffer, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function baoClient(server: TestServer): BaoClient {
  const rootPem = readFileSync(join(server.dataDir, 'ca/root.pem'), 'utf8');
  // The API's TLS certificate names localhost; connect by that name so verification is real.
  const apiUrl = server.listeners.api.url.replace('127.0.0.1', 'localhost');
  return {
    rootToken: server.boot.rootToken,
    rootPem,
    call(method, path, options = {}) {
      const token = options.token === undefined ? server.boot.rootToken : options.token;
      const body = options.body !== undefined ? Buffer.from(options.body) : options.data !== undefined ? Buffer.from(JSON.stringify(options.data)) : undefined;
      const headers: Record<string, string> = {
        ...(token ? { 'X-Vault-Token': token } : {}),
        ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) } : {}),
        ...options.headers,
      };
      return send(request, apiUrl + path, method, headers, body, rootPem);
    },
    publicCall(method, path) {
      return send(plainRequest, server.listeners.public.url + path, method, {}, undefined);
    },
  };
}

/** Asserts an OpenBao envelope and returns its data. */
export function envelopeData(response: BaoResponse): any {
  if (response.status !== 200 || !response.json || !('request_id' in response.json)) {
    throw new Error(`expected a 200 OpenBao envelope, got ${response.status}: ${response.text.slice(0, 500)}`);
  }
  for (const field of ['lease_id', 'renewable', 'lease_duration', 'data', 'wrap_info', 'warnings', 'auth']) {
    if (!(field in response.json)) throw new Error(`envelope lacks ${field}: ${response.text.slice(0, 300)}`);
  }
  return response.json.data;
}

/** `openssl verify` of a leaf against a root with the intermediates untrusted; returns openssl's output. */
export function verifyChain(rootPem: string, chainPems: string[], leafPem: string, purpose?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'signet-verify-'));
  try {
    writeFileSync(join(dir, 'root.pem'), rootPem);
    writeFileSync(join(dir, 'chain.pem'), chainPems.join('\n'));
    writeFileSync(join(dir, 'leaf.pem'), leafPem);
    const untrusted = chainPems.length ? ['-untrusted', join(dir, 'chain.pem')] : [];
    return openssl(['verify', ...(purpose ? ['-purpose', purpose] : []), '-CAfile', join(dir, 'root.pem'), ...untrusted, join(dir, 'leaf.pem')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** python cryptography loads the private key (PEM or base64 DER) and the certificate, and they share a public key. */
export function pythonKeyMatches(keyText: string, certPem: string): boolean {
  const script = `
import sys, json, base64
from cryptography import x509
from cryptography.hazmat.primitives import serialization
data = json.loads(sys.stdin.read())
raw = data["key"].encode()
key = serialization.load_pem_private_key(raw, None) if raw.startswith(b"-----") else serialization.load_der_private_key(base64.b64decode(raw), None)
cert = x509.load_pem_x509_certificate(data["cert"].encode())
fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
print(json.dumps(key.public_key().public_bytes(*fmt) == cert.public_key().public_bytes(*fmt)))
`;
  return JSON.parse(python(script, JSON.stringify({ key: keyText, cert: certPem }))) as boolean;
}

/** python cryptography parses a CSR and checks its signature; returns its subject. */
export function pythonCsrSubject(csrPem: string): string {
  return python('import sys\nfrom cryptography import x509\nr = x509.load_pem_x509_csr(sys.stdin.buffer.read())\nassert r.is_signature_valid\nprint(r.subject.rfc4514_string())', csrPem).trim();
}
