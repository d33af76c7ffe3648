/**
 * EST clients for end-to-end tests: the curl CLI (as devices and READMEs use it), Node's https with a keep-alive
 * agent for bursts, and a pool of P-256 CSRs built with node:crypto and Signet's own encoder.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCsr } from '../../src/crypto/csr-builder.js';
import { decodeCertsOnlyPkcs7 } from '../../src/crypto/pkcs7.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { createSigner } from '../../src/crypto/signer.js';
import { derToPem } from '../../src/crypto/pem.js';
import { openssl } from './tools.js';

export interface HttpAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
}

/** Runs a command without blocking the event loop (the server under test shares it); resolves with stdout. */
function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Runs curl with the given arguments (URL included); answers status, headers and body. */
export async function curl(args: string[]): Promise<HttpAnswer> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-curl-'));
  try {
    const headersFile = join(dir, 'headers');
    const bodyFile = join(dir, 'body');
    const status = await run('curl', ['-sS', '-D', headersFile, '-o', bodyFile, '-w', '%{http_code}', ...args]);
    const headers: Record<string, string> = {};
    for (const line of readFileSync(headersFile, 'utf8').split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { status: Number(status), headers, body: readFileSync(bodyFile) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a bash script (errexit, pipefail) in `cwd`; resolves with its stdout. */
export function shell(script: string, cwd: string, env: Record<string, string> = {}): Promise<string> {
  return run('bash', ['-euo', 'pipefail', '-c', script], { cwd, env: { ...process.env, ...env } });
}

/** A fresh P-256 key and CSR made by the openssl CLI in `dir`: `<name>.key`, `<name>.csr` (PEM). */
export function opensslCsr(dir: string, name: string, subject: string, san?: string, key?: string): string {
  const keyArgs = key ? ['-key', key] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`)];
  openssl(['req', '-new', ...keyArgs, '-subj', subject, ...(san ? ['-addext', `subjectAltName=${san}`] : []), '-out', join(dir, `${name}.csr`)]);
  return join(dir, `${name}.csr`);
}

/** The PEM certificates of a base64 certs-only PKCS#7 EST answer, decoded by openssl. */
export function pkcs7BodyToPem(body: Buffer | string): string {
  return execFileSync('bash', ['-o', 'pipefail', '-c', 'openssl base64 -d | openssl pkcs7 -inform DER -print_certs'], { input: body, encoding: 'utf8' });
}

/** The certificate DERs of a base64 certs-only PKCS#7 EST answer, decoded by Signet (for bulk checks). */
export function pkcs7BodyToDers(body: Buffer | string): Uint8Array[] {
  return decodeCertsOnlyPkcs7(new Uint8Array(Buffer.from(body.toString(), 'base64')));
}

/** `count` P-256 requests (DER) with subjects CN=<prefix>-<i>, over a few keys: key import, not signing, is the cost. */
export function csrPool(count: number, prefix: string, keys = 16): Uint8Array[] {
  const signers = Array.from({ length: Math.min(count, keys) }, () => createSigner(generateKeyPair({ kind: 'ec', curve: 'P-256' }).pkcs8Der));
  return Array.from({ length: count }, (_, i) => buildCsr(signers[i % signers.length], { subject: [{ type: 'CN', value: `${prefix}-${i}` }] }));
}

export const csrPem = (der: Uint8Array) => derToPem(der, 'CERTIFICATE REQUEST');

/** A keep-alive https client for bursts against one listener. */
export function httpsClient(ca: string, maxSockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets, ca });
  return {
    post(url: string, body: Uint8Array | string, headers: Record<string, string>): Promise<HttpAnswer> {
      return new Promise((resolve, reject) => {
        const req = request(url, { method: 'POST', agent, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

export const otpAuthorization = (token: string) => `Basic ${Buffer.from(`:${token}`).toString('base64')}`;
