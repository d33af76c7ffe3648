/**
 * The OTP race: 2,000 concurrent enrollments over keep-alive TLS against one token with max_uses 1,000 must give
 * exactly 1,000 certificates and 1,000 refusals (403), with no serial issued twice.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OtpService } from '../../src/app/otp-service.js';
import { parseCertificate } from '../../src/crypto/certificate.js';
import { csrPool, httpsClient, otpAuthorization, pkcs7BodyToDers } from '../support/est.js';
import { startTestServer, type TestServer } from '../support/server.js';

const REQUESTS = 2000;
const MAX_USES = 1000;

describe('EST burst on one OTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.stop());

  test(`${REQUESTS} concurrent enrollments, max_uses ${MAX_USES}: exactly ${MAX_USES} certificates, the rest 403`, async () => {
    const csrs = csrPool(REQUESTS, 'burst');
    const otp = await new OtpService(server.core.commands).create({ label: 'burst', ttl: '1h', maxUses: MAX_USES });
    await server.core.runner.waitFor(otp.position);
    const client = httpsClient(readFileSync(join(server.dataDir, 'ca/root.pem'), 'utf8'), 64);
    const url = `${server.listeners.est.url}/.well-known/est/simpleenroll`;
    const started = Date.now();
    const answers = await Promise.all(csrs.map((der) => client.post(url, der, { 'content-type': 'application/pkcs10', authorization: otpAuthorization(otp.token) })));
    const seconds = (Date.now() - started) / 1000;
    client.close();

    const statuses = new Map<number, number>();
    for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(statuses), { 200: MAX_USES, 403: REQUESTS - MAX_USES }, `statuses after ${seconds} s`);
    for (const answer of answers.filter((a) => a.status === 403)) assert.equal(answer.body.toString(), 'one-time password has no uses left\n');

    const serials = answers.filter((a) => a.status === 200).map((a) => parseCertificate(pkcs7BodyToDers(a.body)[0]).serialHex);
    assert.equal(new Set(serials).size, MAX_USES, 'no serial issued twice');
    const subjects = new Set(answers.filter((a) => a.status === 200).map((a) => parseCertificate(pkcs7BodyToDers(a.body)[0]).subject[0].value));
    assert.equal(subjects.size, MAX_USES, 'each certificate answers its own request');

    await server.core.runner.waitFor(await server.core.store.headPosition());
    assert.equal(server.core.queries.credentials.otp(otp.tokenId)?.uses, MAX_USES);
    for (const serial of serials) assert.equal(server.core.queries.certificates.get(serial)?.status, 'active');
    const audit = server.core.queries.audit.recent(10_000);
    assert.equal(audit.filter((a) => a.action === 'otp_use').length, MAX_USES);
    assert.equal(audit.filter((a) => a.action === 'enroll' && a.result === 'success').length, MAX_USES);
    assert.equal(audit.filter((a) => a.action === 'enroll' && a.result === 'forbidden').length, REQUESTS - MAX_USES);
  });
});
