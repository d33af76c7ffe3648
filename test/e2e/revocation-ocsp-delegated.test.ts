/**
 * Delegated OCSP responder (SIGNET_OCSP_DELEGATED_RESPONDER=true): Signet issues a responder certificate from the
 * issuer (recorded as events, key wrapped), signs OCSP with it and sends it in `certs`; openssl verifies the
 * response against the CA chain alone and python cryptography reads the responder certificate.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OCSP_RESPONDER_PROFILE } from '../../src/app/revocation/ocsp-delegation.js';
import { derToPem } from '../../src/crypto/pem.js';
import { certificateDecider, certificateStream } from '../../src/domain/certificate.js';
import { openssl, python } from '../support/tools.js';
import { issueCertificate, opensslCsr } from '../support/admin.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let dir: string;
const leafFiles: string[] = [];

function ocsp(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('openssl', ['ocsp', ...args], { encoding: 'utf8' }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr })));
  });
}

before(async () => {
  server = await startTestServer({ env: { SIGNET_OCSP_DELEGATED_RESPONDER: 'true' } });
  dir = mkdtempSync(join(tmpdir(), 'signet-ocsp-delegated-'));
  const issuer = server.core.queries.issuers.resolve('default')!;
  writeFileSync(join(dir, 'issuer.pem'), derToPem(Buffer.from(issuer.certificate, 'base64'), 'CERTIFICATE'));
  writeFileSync(join(dir, 'chain.pem'), [issuer.certificate, ...issuer.chain].map((c) => derToPem(Buffer.from(c, 'base64'), 'CERTIFICATE')).join(''));
  for (const cn of ['good', 'revoked']) {
    const issued = await issueCertificate(server, opensslCsr(dir, cn, `/CN=${cn}`).csrDer);
    const file = join(dir, `${cn}.pem`);
    writeFileSync(file, derToPem(issued.certDer, 'CERTIFICATE'));
    leafFiles.push(file);
    if (cn === 'revoked') {
      const result = await server.core.commands.handle(certificateStream(issued.serial), certificateDecider, { type: 'RevokeCertificate', data: { serial: issued.serial, reason: 'superseded' }, now: new Date() });
      await server.core.runner.waitFor(result.position!);
    }
  }
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('delegated OCSP responder', () => {
  it('is issued by the issuer as events, with OCSPSigning, ocsp-nocheck and a wrapped key', () => {
    const issuerId = server.core.queries.issuers.resolve('default')!.issuerId;
    const responderOf = (name: string) => server.core.queries.certificates.get(name.slice('ocsp-responder-'.length));
    const responderKey = server.core.queries.issuers.keys().find((k) => k.name.startsWith('ocsp-responder-') && responderOf(k.name)?.issuerId === issuerId);
    assert.ok(responderKey, 'a KeyGenerated event for the responder key');
    assert.doesNotMatch(responderKey.wrapped, /PRIVATE KEY/);
    const row = responderOf(responderKey.name);
    assert.ok(row);
    assert.equal(row?.profile, OCSP_RESPONDER_PROFILE);
    const text = openssl(['x509', '-inform', 'DER', '-noout', '-text'], Buffer.from(row.der, 'base64'));
    assert.match(text, /Extended Key Usage:\s*\n\s*OCSP Signing/);
    assert.match(text, /OCSP No Check/);
  });

  it('openssl verifies good and revoked answers signed by the responder with only the CA chain; python reads the responder certificate', async () => {
    const url = `${server.listeners.public.url}/v1/pki/ocsp`;
    const base = ['-issuer', join(dir, 'issuer.pem'), '-CAfile', join(dir, 'chain.pem'), '-url', url];
    const good = await ocsp([...base, '-cert', leafFiles[0], '-resp_text']);
    assert.match(good.stderr, /Response verify OK/);
    assert.match(good.stdout, /good\.pem: good/);
    assert.match(good.stdout, /Responder Id: [0-9A-F]{40}/);
    assert.match(good.stdout, /OCSP Responder/, 'the responder certificate is in certs');
    const respFile = join(dir, 'revoked.resp');
    const revoked = await ocsp([...base, '-no_nonce', '-cert', leafFiles[1], '-respout', respFile]);
    assert.match(revoked.stderr, /Response verify OK/);
    assert.match(revoked.stdout, /revoked\.pem: revoked/);
    const summary = python(
      [
        'import sys, json',
        'from cryptography import x509',
        'from cryptography.hazmat.primitives import hashes',
        'from cryptography.hazmat.primitives.asymmetric import ec',
        'from cryptography.x509 import ocsp',
        `r = ocsp.load_der_ocsp_response(open(${JSON.stringify(respFile)}, 'rb').read())`,
        'responder = r.certificates[0]',
        'responder.public_key().verify(r.signature, r.tbs_response_bytes, ec.ECDSA(r.signature_hash_algorithm))',
        'eku = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value',
        'nocheck = responder.extensions.get_extension_for_class(x509.OCSPNoCheck)',
        'print(json.dumps([r.certificate_status.name, r.revocation_reason.name, x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING in eku, len(r.certificates)]))',
      ].join('\n'),
      Buffer.alloc(0),
    );
    assert.deepEqual(JSON.parse(summary), ['REVOKED', 'superseded', true, 1]);
  });

  it('a revoked responder is replaced: the next signed answer carries a new responder certificate that verifies', async () => {
    const url = `${server.listeners.public.url}/v1/pki/ocsp`;
    const responderSerial = (file: string) => python(`from cryptography.x509 import ocsp\nprint(format(ocsp.load_der_ocsp_response(open(${JSON.stringify(file)}, 'rb').read()).certificates[0].serial_number, 'x'))`).trim();
    const base = ['-issuer', join(dir, 'issuer.pem'), '-CAfile', join(dir, 'chain.pem'), '-url', url, '-cert', leafFiles[0]];
    const before = join(dir, 'before.resp');
    await ocsp([...base, '-respout', before]);
    const old = responderSerial(before);
    const row = server.core.queries.certificates.get(old) ?? server.core.queries.certificates.get(old.padStart(old.length + (old.length % 2), '0'));
    assert.ok(row, 'the responder certificate is in the certificate read model');
    const result = await server.core.commands.handle(certificateStream(row.serial), certificateDecider, { type: 'RevokeCertificate', data: { serial: row.serial, reason: 'keyCompromise' }, now: new Date() });
    await server.core.runner.waitFor(result.position!);
    const after = join(dir, 'after.resp');
    const answer = await ocsp([...base, '-respout', after]); // with a nonce: signed now
    assert.match(answer.stderr, /Response verify OK/);
    assert.notEqual(responderSerial(after), old);
  });
});
