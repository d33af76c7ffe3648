/**
 * The OCSP fast path against a running Signet: repeated requests are answered before Koa, byte- and
 * header-identical to the app's answer, a revoke right before a request is answered revoked, nonces are signed
 * fresh, malformed requests still get malformedRequest, and the metrics count every answer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCertificate } from '../../src/crypto/certificate.js';
import { encodeOcspRequest, issuerCertIdHashes } from '../../src/crypto/ocsp.js';
import { certificateDecider, certificateStream } from '../../src/domain/certificate.js';
import { OcspResponder } from '../../src/app/revocation/ocsp-responder.js';
import { SigningIdentities } from '../../src/app/revocation/signing-identity.js';
import { RevocationQueries } from '../../projections/revocation.js';
import { python } from '../support/tools.js';
import { issueCertificate, opensslCsr } from '../support/admin.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let dir: string;
let publicUrl: string;
let requestFor: (serial: string, nonce?: Uint8Array) => Uint8Array;
const serials: string[] = [];

interface Answer {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

async function answer(response: Response): Promise<Answer> {
  const headers = [...response.headers.entries()].filter(([name]) => !['date', 'keep-alive', 'connection'].includes(name));
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

const get = async (der: Uint8Array) => answer(await fetch(`${publicUrl}/v1/pki/ocsp/${encodeURIComponent(Buffer.from(der).toString('base64'))}`));
const post = async (der: Uint8Array, type = 'application/ocsp-request') => answer(await fetch(`${publicUrl}/v1/pki/ocsp`, { method: 'POST', headers: { 'content-type': type }, body: Buffer.from(der) }));

/** GET over the API listener's TLS, trusting the test server's root. */
function apiGet(der: Uint8Array): Promise<{ status: number; type: string | undefined; body: Buffer }> {
  const url = `${server.listeners.api.url.replace('127.0.0.1', 'localhost')}/v1/pki/ocsp/${encodeURIComponent(Buffer.from(der).toString('base64'))}`;
  const ca = readFileSync(join(server.dataDir, 'ca/root.pem'), 'utf8');
  return new Promise((resolve, reject) => {
    httpsRequest(url, { ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

/** [certificate status, revocation reason or null, nonce hex or null], as python cryptography reads the response. */
function summary(body: Buffer): [string, string | null, string | null] {
  return JSON.parse(
    python(
      [
        'import sys, json',
        'from cryptography import x509',
        'from cryptography.x509 import ocsp',
        'r = ocsp.load_der_ocsp_response(sys.stdin.buffer.read())',
        'nonce = [e.value.nonce.hex() for e in r.extensions if isinstance(e.value, x509.OCSPNonce)]',
        'print(json.dumps([r.certificate_status.name, r.revocation_reason.name if r.revocation_reason else None, nonce[0] if nonce else None]))',
      ].join('\n'),
      body,
    ),
  ) as [string, string | null, string | null];
}

async function metricValue(pattern: RegExp): Promise<number> {
  const text = await server.core.metrics.registry.metrics();
  return text
    .split('\n')
    .filter((line) => pattern.test(line))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/**
 * respond() until the answer is remembered for the fast path: it is not when an event (a CRL build after an earlier
 * test's revoke) was projected while the answer was signed.
 */
async function answeredAndRemembered(responder: OcspResponder, request: Uint8Array, key: string): Promise<Uint8Array> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { der } = await responder.respond(request, key);
    if (responder.cached(key)) return der;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the answer was never remembered for the fast path');
}

/** What the PKI API's revoke does: the command, then wait until the read models have it. */
async function revokeNow(serial: string): Promise<void> {
  const result = await server.core.commands.handle(certificateStream(serial), certificateDecider, { type: 'RevokeCertificate', data: { serial, reason: 'keyCompromise' }, now: new Date() });
  await server.core.runner.waitFor(result.position!);
}

before(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'signet-ocsp-fast-'));
  publicUrl = server.listeners.public.url;
  const issuer = server.core.queries.issuers.resolve('default')!;
  const issuerCert = parseCertificate(Buffer.from(issuer.certificate, 'base64'));
  const hashes = issuerCertIdHashes(issuerCert.subjectDer, issuerCert.spkiDer, 'sha1');
  requestFor = (serial, nonce) => encodeOcspRequest([{ hash: 'sha1', issuerNameHash: hashes.nameHash, issuerKeyHash: hashes.keyHash, serialHex: serial }], nonce);
  for (const cn of ['get', 'post', 'nonce', 'direct']) {
    serials.push((await issueCertificate(server, opensslCsr(dir, cn, `/CN=${cn}`).csrDer)).serial);
  }
  await server.core.runner.waitFor(await server.core.store.headPosition());
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('OCSP fast path', () => {
  it('GET: the repeated answer comes from memory, identical in status, headers and bytes; a revoke right before is answered revoked', async () => {
    const request = requestFor(serials[0]);
    const hitsBefore = await metricValue(/^signet_ocsp_requests_total\{.*status="good".*cache="hit"/);
    const routeBefore = await metricValue(/^signet_request_duration_seconds_count\{.*route="\/v1\/pki\/ocsp\/:request".*status="200"/);
    const first = await get(request);
    const second = await get(request);
    assert.equal(first.status, 200);
    assert.deepEqual(second, first);
    assert.deepEqual(first.headers.map(([name]) => name).sort(), ['content-length', 'content-type']);
    assert.equal(first.headers.find(([name]) => name === 'content-type')?.[1], 'application/ocsp-response');
    assert.deepEqual(summary(first.body), ['GOOD', null, null]);
    assert.equal(await metricValue(/^signet_ocsp_requests_total\{.*status="good".*cache="hit"/), hitsBefore + 1, 'the second answer was a cache hit');
    assert.equal(await metricValue(/^signet_request_duration_seconds_count\{.*route="\/v1\/pki\/ocsp\/:request".*status="200"/), routeBefore + 2, 'both requests are in the request metrics');

    const apiHitsBefore = await metricValue(/^signet_request_duration_seconds_count\{.*listener="api".*route="\/v1\/pki\/ocsp\/:request".*status="200"/);
    assert.deepEqual(await apiGet(request), { status: 200, type: 'application/ocsp-response', body: first.body }, 'the API listener shares the fast path');
    assert.equal(await metricValue(/^signet_request_duration_seconds_count\{.*listener="api".*route="\/v1\/pki\/ocsp\/:request".*status="200"/), apiHitsBefore + 1);

    await revokeNow(serials[0]);
    const revoked = await get(request);
    assert.deepEqual(summary(revoked.body), ['REVOKED', 'key_compromise', null]);
    assert.deepEqual(await get(request), revoked, 'the revoked answer is cached in turn');
    assert.deepEqual((await apiGet(request)).body, revoked.body);
  });

  it('POST: answered before Koa, a revoke right before is answered revoked; other media types still get 415', async () => {
    const request = requestFor(serials[1]);
    const first = await post(request);
    assert.deepEqual(summary(first.body), ['GOOD', null, null]);
    assert.deepEqual(await post(request), first);
    await revokeNow(serials[1]);
    const revoked = await post(request);
    assert.equal(revoked.status, 200);
    assert.deepEqual(summary(revoked.body), ['REVOKED', 'key_compromise', null]);
    assert.equal((await post(request, 'text/plain')).status, 415);
  });

  it('a request with a nonce is signed fresh every time and echoes its nonce', async () => {
    const nonce = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const request = requestFor(serials[2], nonce);
    const first = await post(request);
    const second = await post(request);
    assert.deepEqual(summary(first.body), ['GOOD', null, nonce.toString('hex')]);
    assert.notDeepEqual(second.body, first.body, 'a fresh signature (ECDSA signatures differ)');
    await revokeNow(serials[2]);
    assert.deepEqual(summary((await get(request)).body), ['REVOKED', 'key_compromise', nonce.toString('hex')]);
  });

  it('the in-memory index alone catches a revoke: a responder nobody tells about revocations answers revoked at once', async () => {
    const { core } = server;
    const responder = new OcspResponder(
      { issuers: core.queries.issuers, certificates: core.queries.certificates, revocations: new RevocationQueries(core.readDb), identities: new SigningIdentities(core.queries.issuers), pool: core.pool!, logger: core.logger, position: () => core.runner.position },
      () => ({ disabled: false, expirySeconds: 3600, version: 'test' }),
    );
    const request = requestFor(serials[3]);
    assert.equal(responder.cached('k'), undefined);
    const good = await answeredAndRemembered(responder, request, 'k');
    assert.deepEqual(summary(Buffer.from(good)), ['GOOD', null, null]);
    assert.deepEqual(responder.cached('k'), good);
    await revokeNow(serials[3]);
    assert.equal(responder.cached('k'), undefined, 'the revoke dropped the fast entry');
    const revoked = await answeredAndRemembered(responder, request, 'k');
    assert.deepEqual(summary(Buffer.from(revoked)), ['REVOKED', 'key_compromise', null]);
  });

  it('malformed requests still get an OCSP malformedRequest over GET and POST', async () => {
    for (const response of [await get(Buffer.from('not-an-ocsp-request')), await post(Buffer.from('not-an-ocsp-request'))]) {
      assert.equal(response.status, 400);
      assert.deepEqual([...response.body], [0x30, 0x03, 0x0a, 0x01, 0x01]);
      assert.equal(response.headers.find(([name]) => name === 'content-type')?.[1], 'application/ocsp-response');
    }
  });
});
