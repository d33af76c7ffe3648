/**
 * EST end to end over real TLS, with curl and openssl as the device and python cryptography checking the answers:
 * cacerts, enroll (OTP, Basic, mTLS), reenroll, serverkeygen (plain and encrypted), csrattrs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OtpService } from '../../src/app/otp-service.js';
import { DecryptKeyOid } from '../../src/app/est/pkcs10.js';
import { certificateDecider, certificateStream } from '../../src/domain/certificate.js';
import { parseCertificate } from '../../src/crypto/certificate.js';
import { Tag, encodeOctetString, encodeSequence, readSingle } from '../../src/crypto/der.js';
import { encodeExtensionWith } from '../../src/crypto/extensions/extension.js';
import { subjectAltName } from '../../src/crypto/extensions/subject-alt-name.js';
import { Pkcs9AttributeOid } from '../../src/crypto/oids.js';
import { encodeName } from '../../src/crypto/name.js';
import { pemToDer } from '../../src/crypto/pem.js';
import { createSigner } from '../../src/crypto/signer.js';
import { buildCsr, csrAttribute } from '../fixtures/crypto/helpers.js';
import { curl, csrPem, opensslCsr, pkcs7BodyToPem, shell } from '../support/est.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';
import { openssl, python, pythonCertSummary } from '../support/tools.js';

/** The README's EST walkthrough, verbatim (run with EST, ADMIN, TOKEN and ca.pem in place). */
export const README_WALKTHROUGH = `
OTP=$(curl -s --cacert ca.pem -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\
  -d '{"label": "device-42", "ttl": "1h", "max_uses": 2}' "$ADMIN/admin/otp" | sed -E 's/.*"token": ?"([^"]+)".*/\\1/')

curl -s --cacert ca.pem "$EST/cacerts" | openssl base64 -d | openssl pkcs7 -inform DER -print_certs -out chain.pem

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout device.key \\
  -subj "/CN=device-42" -addext "subjectAltName=DNS:device-42.example" -out device.csr
curl -s --cacert ca.pem -u ":$OTP" -H "Content-Type: application/pkcs10" --data-binary @device.csr \\
  "$EST/simpleenroll" | openssl base64 -d | openssl pkcs7 -inform DER -print_certs -out device.pem

openssl req -new -key device.key -subj "/CN=device-42" -addext "subjectAltName=DNS:device-42.example" -out renew.csr
curl -s --cacert ca.pem --cert device.pem --key device.key -H "Content-Type: application/pkcs10" --data-binary @renew.csr \\
  "$EST/simplereenroll" | openssl base64 -d | openssl pkcs7 -inform DER -print_certs -out device-renewed.pem

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj "/CN=sensor-7" -out sensor.csr
curl -s --cacert ca.pem -u ":$OTP" -H "Content-Type: application/pkcs10" --data-binary @sensor.csr \\
  "$EST/serverkeygen" -o sensor.multipart
awk '/^--/ { part++; next } /^Content-|^\\r?$/ { next } { print > ("part" part ".b64") }' sensor.multipart
openssl base64 -d -in part1.b64 | openssl pkey -inform DER -out sensor.key
openssl base64 -d -in part2.b64 | openssl pkcs7 -inform DER -print_certs -out sensor.pem
`;

/** The README's profile example, verbatim: a profile with a Basic user, created through the admin API, then used. */
export const README_PROFILE = `
curl -s --cacert ca.pem -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" "$ADMIN/admin/est/profiles" \\
  -d '{"name": "factory", "auth_methods": ["basic", "mtls"], "validity": "90d", "revoke_on_reenroll": true,
       "basic_users": [{"username": "line-7", "password": "correct horse battery"}]}'
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout line-7.key -subj "/CN=line-7.factory.example" -out line-7.csr
curl -s --cacert ca.pem -u "line-7:correct horse battery" -H "Content-Type: application/pkcs10" --data-binary @line-7.csr \\
  "$EST/factory/simpleenroll" | openssl base64 -d | openssl pkcs7 -inform DER -print_certs -out line-7.pem
`;

/** True when the private key file and the certificate file hold the same public key (python cryptography). */
function keyMatchesCert(keyPem: string, certPem: string): boolean {
  const script = `
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
key_pem, cert_pem = sys.stdin.read().split("=====")
key = serialization.load_pem_private_key(key_pem.encode(), password=None)
cert = x509.load_pem_x509_certificates(cert_pem.encode())[0]
spki = lambda k: k.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
print("match" if spki(key.public_key()) == spki(cert.public_key()) else "differ")
`;
  return python(script, `${keyPem}=====${certPem}`).trim() === 'match';
}

const serialOf = (pem: string) => parseCertificate(pemToDer(pem.replace(/^subject=.*\n|^issuer=.*\n/gm, ''), 'CERTIFICATE')).serialHex;

describe('EST over TLS with curl and openssl', () => {
  let server: TestServer;
  let dir: string;
  let est: string;
  let admin: string;
  let adminAuth: string;
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const settle = async () => server.core.runner.waitFor(await server.core.store.headPosition());
  const newOtp = async (maxUses = 1, profile?: string) => (await new OtpService(server.core.commands).create({ label: 'e2e', ttl: '1h', maxUses, ...(profile ? { profile } : {}) })).token;
  const enroll = (path: string, csr: string, auth: string[]) => curl(['--cacert', 'ca.pem', ...auth, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${csr}`, `${est}${path}`].map((a) => (a === 'ca.pem' ? join(dir, a) : a)));
  const createProfile = async (body: object) => {
    const answer = await curl(['--cacert', join(dir, 'ca.pem'), '-H', adminAuth, '-H', 'Content-Type: application/json', '-d', JSON.stringify(body), `${admin}/admin/est/profiles`]);
    assert.equal(answer.status, 201, answer.body.toString());
  };

  before(async () => {
    server = await startTestServer();
    dir = tempDir('signet-est-');
    copyFileSync(join(server.dataDir, 'ca/root.pem'), join(dir, 'ca.pem'));
    est = `${server.listeners.est.url}/.well-known/est`;
    admin = server.listeners.admin!.url;
    adminAuth = `Authorization: Bearer ${server.boot.rootToken}`;
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the README shows these scripts line for line', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const line of `${README_WALKTHROUGH}\n${README_PROFILE}`.split('\n').filter(Boolean)) assert.ok(readme.includes(`${line}\n`), `README lacks: ${line}`);
  });

  test('README walkthrough: cacerts, enroll with an OTP, reenroll over mTLS, serverkeygen', async () => {
    await shell(README_WALKTHROUGH, dir, { EST: est, ADMIN: admin, TOKEN: server.boot.rootToken });

    const [issuing, root] = pythonCertSummary(read('chain.pem'));
    assert.equal(issuing.subject, 'CN=Signet Issuing CA,O=Signet');
    assert.equal(root.subject, 'CN=Signet Root CA,O=Signet');
    const [device] = pythonCertSummary(read('device.pem'));
    assert.equal(device.subject, 'CN=device-42');
    assert.deepEqual(device.sans, ['device-42.example']);
    assert.equal(device.issuer, issuing.subject);
    assert.match(openssl(['verify', '-CAfile', join(dir, 'ca.pem'), '-untrusted', join(dir, 'chain.pem'), '-purpose', 'sslclient', join(dir, 'device.pem')]), /OK/);
    assert.ok(keyMatchesCert(read('device.key'), read('device.pem')));

    const renewed = pythonCertSummary(read('device-renewed.pem'))[0];
    assert.equal(renewed.subject, 'CN=device-42');
    assert.notEqual(renewed.serial, device.serial);
    await settle();
    const row = server.core.queries.certificates.get(serialOf(read('device-renewed.pem')));
    assert.equal(row?.renews, serialOf(read('device.pem')));
    assert.equal(server.core.queries.certificates.get(serialOf(read('device.pem')))?.status, 'active', 'the default profile does not revoke what it renews');

    const [sensor] = pythonCertSummary(read('sensor.pem'));
    assert.equal(sensor.subject, 'CN=sensor-7');
    assert.ok(keyMatchesCert(read('sensor.key'), read('sensor.pem')), 'the server-generated key belongs to its certificate');
    assert.doesNotMatch(readFileSync(join(server.dataDir, 'events.db')).toString('latin1') + readFileSync(join(server.dataDir, 'events.db-wal')).toString('latin1'), new RegExp(read('part1.b64').split('\n')[1]), 'the generated key is not in the log');

    const audit = server.core.queries.audit.recent(20);
    const issued = (action: string) => audit.find((a) => a.action === action && a.result === 'success');
    assert.deepEqual([issued('enroll')?.authMethod, issued('enroll')?.actor, issued('enroll')?.clientIp, issued('enroll')?.subject], ['otp', 'otp:device-42', '127.0.0.1', 'CN=device-42']);
    assert.deepEqual([issued('reenroll')?.authMethod, issued('reenroll')?.actor, issued('reenroll')?.serial], ['mtls', 'CN=device-42', renewed.serial.padStart(40, '0')]);
    assert.equal(issued('serverkeygen')?.profile, 'default');
    assert.equal(audit.filter((a) => a.action === 'otp_use').length, 2);
    assert.equal(audit.find((a) => a.action === 'otp_use')?.clientIp, '127.0.0.1');
  });

  test('README: a profile with Basic users from the admin API; they enroll, a wrong password is 401 with the EST challenge', async () => {
    await shell(README_PROFILE, dir, { EST: est, ADMIN: admin, TOKEN: server.boot.rootToken });
    const [line7] = pythonCertSummary(read('line-7.pem'));
    assert.equal(line7.subject, 'CN=line-7.factory.example');
    const days = (parseCertificate(pemToDer(read('line-7.pem').replace(/^(subject|issuer)=.*\n/gm, ''), 'CERTIFICATE')).notAfter - Date.now()) / 86_400_000;
    assert.ok(days > 89 && days <= 90, `the factory profile's 90 days, got ${days}`);
    const wrong = await enroll('/factory/simpleenroll', join(dir, 'line-7.csr'), ['-u', 'line-7:wrong password']);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['www-authenticate'], 'Basic realm="estrealm"');
    await settle();
    assert.deepEqual(server.core.queries.audit.recent(5).find((a) => a.action === 'enroll' && a.result === 'success')?.actor, 'line-7');
  });

  test('cacerts with and without a label: base64 certs-only PKCS#7 of the issuing chain', async () => {
    for (const path of ['/cacerts', '/factory/cacerts']) {
      const answer = await curl(['--cacert', join(dir, 'ca.pem'), `${est}${path}`]);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['content-type'], 'application/pkcs7-mime');
      assert.equal(answer.headers['content-transfer-encoding'], 'base64');
      assert.match(answer.body.toString(), /^([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n$/);
      assert.deepEqual(pythonCertSummary(pkcs7BodyToPem(answer.body)).map((c) => [c.subject, c.ca]), [
        ['CN=Signet Issuing CA,O=Signet', true],
        ['CN=Signet Root CA,O=Signet', true],
      ]);
    }
    assert.equal((await curl(['--cacert', join(dir, 'ca.pem'), `${est}/nosuchlabel/cacerts`])).status, 404);
  });

  test('an OTP with max_uses 1 enrolls once; the second use is 403', async () => {
    const otp = await newOtp(1);
    const csr = opensslCsr(dir, 'once', '/CN=once.example');
    const first = await enroll('/simpleenroll', csr, ['-u', `:${otp}`]);
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-type'], 'application/pkcs7-mime; smime-type=certs-only');
    assert.equal(first.headers['content-transfer-encoding'], 'base64');
    assert.equal(pythonCertSummary(pkcs7BodyToPem(first.body))[0].subject, 'CN=once.example');
    await settle();
    const second = await enroll('/simpleenroll', csr, ['-u', `:${otp}`]);
    assert.equal(second.status, 403);
    assert.equal(second.body.toString(), 'one-time password has no uses left\n');
  });

  test('mTLS: a certificate of this CA enrolls; a revoked one is 403, a foreign one 401', async () => {
    const csr = opensslCsr(dir, 'extra', '/CN=extra.example');
    const ok = await enroll('/simpleenroll', csr, ['--cert', join(dir, 'device-renewed.pem'), '--key', join(dir, 'device.key')]);
    assert.equal(ok.status, 200, ok.body.toString());
    await settle();
    assert.equal(server.core.queries.audit.recent(5).find((a) => a.action === 'enroll')?.authMethod, 'mtls');

    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'foreign.key'), '-subj', '/CN=device-42', '-addext', 'subjectAltName=DNS:device-42.example', '-days', '2', '-out', join(dir, 'foreign.pem')]);
    const foreign = await enroll('/simpleenroll', csr, ['--cert', join(dir, 'foreign.pem'), '--key', join(dir, 'foreign.key')]);
    assert.equal(foreign.status, 401);
    assert.match(foreign.body.toString(), /does not chain to a trust anchor/);
    const foreignRenewal = await enroll('/simplereenroll', join(dir, 'renew.csr'), ['--cert', join(dir, 'foreign.pem'), '--key', join(dir, 'foreign.key')]);
    assert.equal(foreignRenewal.status, 401);
    assert.equal(foreignRenewal.headers['www-authenticate'], 'Basic realm="estrealm"');

    const serial = serialOf(read('device.pem'));
    const revoked = await server.core.commands.handle(certificateStream(serial), certificateDecider, { type: 'RevokeCertificate', data: { serial, reason: 'keyCompromise' }, now: new Date() });
    await server.core.runner.waitFor(revoked.position!);
    for (const path of ['/simpleenroll', '/simplereenroll']) {
      const refused = await enroll(path, join(dir, 'renew.csr'), ['--cert', join(dir, 'device.pem'), '--key', join(dir, 'device.key')]);
      assert.equal(refused.status, 403, path);
      assert.match(refused.body.toString(), /is revoked \(keyCompromise\)/);
    }
  });

  test('reenroll: subject and SANs must match, the profile must be the same, and revoke_on_reenroll supersedes', async () => {
    const mtls = ['--cert', join(dir, 'device-renewed.pem'), '--key', join(dir, 'device.key')];
    const otherSubject = opensslCsr(dir, 'other', '/CN=device-43', 'DNS:device-42.example', join(dir, 'device.key'));
    const mismatch = await enroll('/simplereenroll', otherSubject, mtls);
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.body.toString(), /subject "CN=device-43" differs from the certificate being renewed/);
    const otherSans = opensslCsr(dir, 'othersan', '/CN=device-42', 'DNS:elsewhere.example', join(dir, 'device.key'));
    assert.equal((await enroll('/simplereenroll', otherSans, mtls)).status, 400);
    const crossProfile = await enroll('/factory/simplereenroll', join(dir, 'renew.csr'), mtls);
    assert.equal(crossProfile.status, 403);
    assert.match(crossProfile.body.toString(), /issued under profile default, not factory/);

    const line = opensslCsr(dir, 'line2', '/CN=line-8.factory.example');
    const first = await enroll('/factory/simpleenroll', line, ['-u', 'line-7:correct horse battery']);
    writeFileSync(join(dir, 'line2.pem'), pkcs7BodyToPem(first.body));
    const renewal = opensslCsr(dir, 'line2-renew', '/CN=line-8.factory.example', undefined, join(dir, 'line2.key'));
    const renewed = await enroll('/factory/simplereenroll', renewal, ['--cert', join(dir, 'line2.pem'), '--key', join(dir, 'line2.key')]);
    assert.equal(renewed.status, 200, renewed.body.toString());
    await settle();
    const old = server.core.queries.certificates.get(serialOf(read('line2.pem')));
    assert.equal(old?.status, 'revoked');
    assert.equal(old?.revocationReason, 'superseded');
    assert.equal(old?.renewedBy, serialOf(pkcs7BodyToPem(renewed.body)));
  });

  test('reenroll: an expired certificate is 403, and so is one outside the reenroll window', async () => {
    await createProfile({ name: 'short', validity: '1s', backdate: 0, reenroll_window: null });
    await createProfile({ name: 'windowed', reenroll_window: '1h' });
    const cases: [string, RegExp][] = [
      ['short', /is not valid now/],
      ['windowed', /reenrollment opens/],
    ];
    for (const [profile, reason] of cases) {
      const csr = opensslCsr(dir, profile, `/CN=${profile}.example`);
      const issued = await enroll(`/${profile}/simpleenroll`, csr, ['-u', `:${await newOtp(1)}`]);
      assert.equal(issued.status, 200, issued.body.toString());
      writeFileSync(join(dir, `${profile}.pem`), pkcs7BodyToPem(issued.body));
      await settle();
      if (profile === 'short') await new Promise((resolve) => setTimeout(resolve, 1500));
      const renewal = await enroll(`/${profile}/simplereenroll`, csr, ['--cert', join(dir, `${profile}.pem`), '--key', join(dir, `${profile}.key`)]);
      assert.equal(renewal.status, 403, profile);
      assert.match(renewal.body.toString(), reason);
    }
  });

  test('serverkeygen with AsymmetricDecryptKeyIdentifier: the key comes as EnvelopedData that openssl cms decrypts (EC and RSA)', async () => {
    await shell('openssl req -new -newkey rsa:2048 -nodes -keyout rsa.key -subj "/CN=rsa-client" -out rsa.csr 2>/dev/null', dir);
    const rsa = await enroll('/simpleenroll', join(dir, 'rsa.csr'), ['-u', `:${await newOtp(1)}`]);
    writeFileSync(join(dir, 'rsa.pem'), pkcs7BodyToPem(rsa.body));
    const signer = createSigner(pemToDer(openssl(['pkey', '-in', join(dir, 'device.key')]), 'PRIVATE KEY'));
    for (const [cert, key] of [['device-renewed.pem', 'device.key'], ['rsa.pem', 'rsa.key']]) {
      const client = parseCertificate(pemToDer(read(cert).replace(/^(subject|issuer)=.*\n/gm, ''), 'CERTIFICATE'));
      const sans = csrAttribute(Pkcs9AttributeOid.extensionRequest, encodeSequence(encodeExtensionWith(subjectAltName, [{ type: 'dns', value: 'sealed.example' }], false)));
      const csr = buildCsr(signer, { subject: encodeName([{ type: 'CN', value: `sealed-for-${cert}` }]), attributes: [sans, csrAttribute(DecryptKeyOid.asymmetric, encodeOctetString(client.subjectKeyId!))] });
      writeFileSync(join(dir, 'sealed.csr'), csrPem(csr));
      const answer = await enroll('/serverkeygen', join(dir, 'sealed.csr'), ['-u', `:${await newOtp(1)}`, '--cert', join(dir, cert), '--key', join(dir, key)]);
      assert.equal(answer.status, 200, answer.body.toString());
      writeFileSync(join(dir, 'sealed.multipart'), answer.body);
      assert.match(answer.body.toString(), /Content-Type: application\/pkcs7-mime; smime-type=server-generated-key\r\n/);
      const script = `
rm -f sealed*.b64
awk '/^--/ { part++; next } /^Content-|^\\r?$/ { next } { print > ("sealed" part ".b64") }' sealed.multipart
openssl base64 -d -in sealed1.b64 -out sealed.p7
openssl cms -decrypt -inform DER -in sealed.p7 -recip ${cert} -inkey ${key} -out package.der
openssl cms -cmsout -print -inform DER -in sealed.p7 | grep -A1 encryptedContentInfo
openssl base64 -d -in sealed2.b64 | openssl pkcs7 -inform DER -print_certs -out sealed.pem
`;
      assert.match(await shell(script, dir), /contentType: .*\b2\.16\.840\.1\.101\.2\.1\.2\.78\.5\b/);
      // AsymmetricKeyPackage ::= SEQUENCE OF OneAsymmetricKey: its single element is the PKCS#8 key.
      const { reader, tlv } = readSingle(readFileSync(join(dir, 'package.der')), Tag.SEQUENCE, 'AsymmetricKeyPackage');
      const keyDer = reader.child(tlv).readRaw(Tag.SEQUENCE, 'OneAsymmetricKey');
      writeFileSync(join(dir, 'sealed.key'), execFileSync('openssl', ['pkey', '-inform', 'DER'], { input: keyDer, encoding: 'utf8' }));
      assert.ok(keyMatchesCert(read('sealed.key'), read('sealed.pem')), `the key decrypted with ${key} belongs to the certificate`);
      const [sealed] = pythonCertSummary(read('sealed.pem'));
      assert.deepEqual([sealed.subject, sealed.sans], [`CN=sealed-for-${cert}`, ['sealed.example']], 'subject and SANs come from the request');
    }

    const unknown = buildCsr(signer, { subject: encodeName([{ type: 'CN', value: 'sealed-2' }]), attributes: [csrAttribute(DecryptKeyOid.asymmetric, encodeOctetString(Uint8Array.of(1, 2, 3)))] });
    writeFileSync(join(dir, 'unknown.csr'), csrPem(unknown));
    const refused = await enroll('/serverkeygen', join(dir, 'unknown.csr'), ['-u', `:${await newOtp(1)}`]);
    assert.equal(refused.status, 400);
    assert.match(refused.body.toString(), /no TLS client certificate with key identifier 010203/);
    const symmetric = buildCsr(signer, { subject: encodeName([{ type: 'CN', value: 'sealed-3' }]), attributes: [csrAttribute(DecryptKeyOid.symmetric, encodeOctetString(Uint8Array.of(9)))] });
    writeFileSync(join(dir, 'symmetric.csr'), csrPem(symmetric));
    const unsupported = await enroll('/serverkeygen', join(dir, 'symmetric.csr'), ['-u', `:${await newOtp(1)}`]);
    assert.equal(unsupported.status, 400);
    assert.match(unsupported.body.toString(), /DecryptKeyIdentifier \(symmetric key encryption\) is not supported/);
  });

  test('csrattrs: 204 without attributes; base64 DER CsrAttrs with them', async () => {
    assert.equal((await curl(['--cacert', join(dir, 'ca.pem'), `${est}/csrattrs`])).status, 204);
    await createProfile({ name: 'p384', allowed_keys: [{ type: 'ec', curves: ['P-384'] }], serverkeygen_key: { type: 'ec', curve: 'P-384' }, csrattrs: ['1.2.840.113549.1.9.7', { oid: '1.2.840.10045.2.1', values: ['1.3.132.0.34'] }, '1.2.840.10045.4.3.3'] });
    const answer = await curl(['--cacert', join(dir, 'ca.pem'), `${est}/p384/csrattrs`]);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'application/csrattrs');
    assert.equal(answer.headers['content-transfer-encoding'], 'base64');
    const parsed = execFileSync('bash', ['-o', 'pipefail', '-c', 'openssl base64 -d | openssl asn1parse -inform DER'], { input: answer.body, encoding: 'utf8' });
    assert.match(parsed, /:challengePassword\n.*SEQUENCE\s*\n.*:id-ecPublicKey\n.*SET\s*\n.*:secp384r1\n.*:ecdsa-with-SHA384/);
  });
});
