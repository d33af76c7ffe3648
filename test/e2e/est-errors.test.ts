/**
 * EST refusals over real TLS with curl: every status the EST listener answers with (400, 401, 403, 404, 405, 413,
 * 415, 503), each as one line of text/plain, and each refused enrollment recorded as EnrollmentRejected.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EstProfileService } from '../../src/app/est/profile-service.js';
import { OtpService } from '../../src/app/otp-service.js';
import { hashSecret } from '../../src/app/secrets.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { encodeName } from '../../src/crypto/name.js';
import { createSigner } from '../../src/crypto/signer.js';
import { buildCsr } from '../fixtures/crypto/helpers.js';
import { csrPem, csrPool, curl, httpsClient, opensslCsr, otpAuthorization, type HttpAnswer } from '../support/est.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';

describe('EST refusals', () => {
  let server: TestServer;
  let dir: string;
  let est: string;
  let csr: string;
  const otps = () => new OtpService(server.core.commands);
  const newOtp = async (options: { maxUses?: number; profile?: string; now?: Date } = {}) =>
    (await otps().create({ label: 'errors', ttl: '1h', maxUses: options.maxUses ?? 5, ...(options.profile ? { profile: options.profile } : {}) }, {}, options.now)).token;
  const post = (path: string, args: string[]) => curl(['--cacert', join(dir, 'ca.pem'), ...args, `${est}${path}`]);
  const enroll = (path: string, file: string, auth: string[], type = 'application/pkcs10') => post(path, [...auth, '-H', `Content-Type: ${type}`, '--data-binary', `@${file}`]);
  const settle = async () => server.core.runner.waitFor(await server.core.store.headPosition());

  function refusal(answer: HttpAnswer, status: number, message: RegExp): void {
    assert.equal(answer.status, status, answer.body.toString());
    assert.match(answer.headers['content-type'], /^text\/plain/);
    assert.match(answer.body.toString(), /^[^\n]+\n$/, 'one line');
    assert.match(answer.body.toString(), message);
  }

  async function lastRejection() {
    await settle();
    return server.core.queries.audit.recent(10).find((a) => a.type === 'EnrollmentRejected');
  }

  before(async () => {
    server = await startTestServer();
    dir = tempDir('signet-est-errors-');
    copyFileSync(join(server.dataDir, 'ca/root.pem'), join(dir, 'ca.pem'));
    est = `${server.listeners.est.url}/.well-known/est`;
    csr = opensslCsr(dir, 'device', '/CN=device.example');
    await new EstProfileService(server.core).create(
      { name: 'strict', names: { allow_any_name: false, allowed_domains: ['strict.example'], allow_subdomains: true }, serverkeygen: false },
      { actor: 'test' },
    );
    await settle();
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('400: a body that is not a request, a bad signature, an empty body; each audited with its reason', async () => {
    const otp = await newOtp();
    writeFileSync(join(dir, 'garbage.csr'), 'this is not a certification request');
    refusal(await enroll('/simpleenroll', join(dir, 'garbage.csr'), ['-u', `:${otp}`]), 400, /^malformed request body: /);
    const rejected = await lastRejection();
    assert.deepEqual([rejected?.action, rejected?.result, rejected?.authMethod, rejected?.clientIp, rejected?.profile], ['enroll', 'bad_request', 'otp', '127.0.0.1', 'default']);

    const signer = createSigner(generateKeyPair({ kind: 'ec', curve: 'P-256' }).pkcs8Der);
    const tampered = buildCsr(signer, { subject: encodeName([{ type: 'CN', value: 'tampered.example' }]) });
    tampered[tampered.length - 5] ^= 0xff;
    writeFileSync(join(dir, 'tampered.csr'), csrPem(tampered));
    refusal(await enroll('/simpleenroll', join(dir, 'tampered.csr'), ['-u', `:${otp}`]), 400, /signature/);
    assert.equal((await lastRejection())?.subject, 'CN=tampered.example');

    writeFileSync(join(dir, 'empty.csr'), '');
    refusal(await enroll('/simpleenroll', join(dir, 'empty.csr'), ['-u', `:${otp}`]), 400, /empty request body/);
    assert.equal(server.core.queries.credentials.otpByTokenHash(hashSecret(otp))?.uses, 0, 'refused requests use no OTP');
  });

  test('401 with the Basic challenge: no credentials, an unknown OTP, a malformed header', async () => {
    for (const auth of [[], ['-u', ':otp_nosuchtoken'], ['-H', 'Authorization: Basic !!!']]) {
      const answer = await enroll('/simpleenroll', csr, auth);
      refusal(answer, 401, /authentication required|unknown one-time password|malformed Basic credentials/);
      assert.equal(answer.headers['www-authenticate'], 'Basic realm="estrealm"');
    }
    assert.equal((await lastRejection())?.result, 'unauthorized');
  });

  test('403: method not allowed by the profile, policy refusal, used-up / expired / revoked / other-profile OTP, serverkeygen off', async () => {
    refusal(await enroll('/simpleenroll', csr, ['-u', 'someone:some password']), 403, /authentication method basic is not allowed for profile default/);
    const strictOtp = await newOtp({ profile: 'strict' });
    refusal(await enroll('/strict/simpleenroll', csr, ['-u', `:${strictOtp}`]), 403, /common name device\.example not allowed/);
    assert.deepEqual([(await lastRejection())?.result, (await lastRejection())?.profile], ['forbidden', 'strict']);
    refusal(await enroll('/simpleenroll', csr, ['-u', `:${strictOtp}`]), 403, /not valid for profile default/);
    refusal(await enroll('/strict/serverkeygen', csr, ['-u', `:${strictOtp}`]), 403, /server-side key generation is not enabled for profile strict/);

    const expired = await newOtp({ now: new Date(Date.now() - 2 * 3_600_000) });
    refusal(await enroll('/simpleenroll', csr, ['-u', `:${expired}`]), 403, /one-time password has expired/);
    const revoked = await otps().create({ label: 'revoked', ttl: '1h' });
    await otps().revoke(revoked.tokenId);
    await settle();
    refusal(await enroll('/simpleenroll', csr, ['-u', `:${revoked.token}`]), 403, /one-time password has been revoked/);
  });

  test('404 for an unknown label (audited) and an unknown operation; 405 for the wrong method; 501 for fullcmc', async () => {
    refusal(await enroll('/nosuchlabel/simpleenroll', csr, ['-u', ':whatever']), 404, /no EST profile "nosuchlabel"/);
    assert.deepEqual([(await lastRejection())?.result, (await lastRejection())?.profile], ['not_found', 'nosuchlabel']);
    assert.equal((await post('/nosuchop', [])).status, 404);
    assert.equal((await post('/a/b/cacerts', [])).status, 404);
    const wrongMethod = await post('/simpleenroll', []);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.allow, 'POST');
    assert.equal((await post('/fullcmc', ['-X', 'POST'])).status, 501);
  });

  test('413 over 64 KiB and 415 for other content types, before anything is signed', async () => {
    const otp = await newOtp();
    writeFileSync(join(dir, 'huge.csr'), 'A'.repeat(70 * 1024));
    refusal(await enroll('/simpleenroll', join(dir, 'huge.csr'), ['-u', `:${otp}`]), 413, /larger than 65536 bytes/);
    assert.equal((await lastRejection())?.result, 'too_large');
    refusal(await enroll('/simpleenroll', csr, ['-u', `:${otp}`], 'text/plain'), 415, /unsupported content type "text\/plain"; expected application\/pkcs10/);
    assert.equal((await lastRejection())?.result, 'unsupported_media_type');
    refusal(await post('/simpleenroll', ['-u', `:${otp}`, '--data-binary', `@${csr}`]), 415, /application\/x-www-form-urlencoded/);
  });
});

/**
 * A burst of OTP enrollments on a server started with `env`: every answer is a certificate or a 503 with
 * Retry-After and `refusal`, there are some of each, and each refusal used no OTP and was audited. `andThen` checks
 * more on the same server before it stops.
 */
async function burstWithRefusals(
  env: Record<string, string>,
  burst: { label: string; count: number; refusal: string; minAccepted: number },
  andThen: (server: TestServer, refused: number) => Promise<void> = async () => {},
): Promise<void> {
  const server = await startTestServer({ env });
  const client = httpsClient(readFileSync(join(server.dataDir, 'ca/root.pem'), 'utf8'), 64);
  try {
    const otp = await new OtpService(server.core.commands).create({ label: burst.label, ttl: '1h', maxUses: 1000 });
    const url = `${server.listeners.est.url}/.well-known/est/simpleenroll`;
    const answers = await Promise.all(csrPool(burst.count, burst.label).map((der) => client.post(url, der, { 'content-type': 'application/pkcs10', authorization: otpAuthorization(otp.token) })));
    const busy = answers.filter((a) => a.status === 503);
    const ok = answers.filter((a) => a.status === 200);
    assert.ok(busy.length > 0 && ok.length >= burst.minAccepted, `statuses: ${answers.map((a) => a.status).join(',')}`);
    assert.equal(ok.length + busy.length, answers.length);
    for (const answer of busy) {
      assert.equal(answer.headers['retry-after'], '1');
      assert.equal(answer.body.toString(), `${burst.refusal}\n`);
    }
    await server.core.runner.waitFor(await server.core.store.headPosition());
    assert.equal(server.core.queries.credentials.otp(otp.tokenId)?.uses, ok.length);
    assert.equal(server.core.queries.audit.recent(500).filter((a) => a.action === 'enroll' && a.result === 'unavailable').length, busy.length);
    await andThen(server, busy.length);
  } finally {
    client.close();
    await server.stop();
  }
}

describe('EST backpressure', () => {
  test('503 with Retry-After when the signing queue is full; refused requests use no OTP', () =>
    burstWithRefusals({ SIGNET_POOL_MAX_QUEUE: '1', SIGNET_POOL_THREADS: '1' }, { label: 'backpressure', count: 150, refusal: 'signing queue is full, retry later', minAccepted: 0 }));

  test('503 with Retry-After past the in-flight limit, whatever the signing queue holds; the metric counts them', () =>
    burstWithRefusals({ SIGNET_MAX_IN_FLIGHT: '3' }, { label: 'in-flight', count: 100, refusal: 'too many enrollments in progress (3), retry later', minAccepted: 3 }, async (server, refused) => {
      assert.equal(server.core.admission.inFlight, 0);
      const metrics = await server.core.metrics.registry.getSingleMetricAsString('signet_issuance_overload_refused_total');
      assert.match(metrics, new RegExp(`^signet_issuance_overload_refused_total ${refused}$`, 'm'));
    }));
});
