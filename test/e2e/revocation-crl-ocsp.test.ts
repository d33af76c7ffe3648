/**
 * Revocation end to end against a running Signet: certificates issued through IssuanceService, revoked through the
 * certificate decider; CRLs and OCSP fetched over the public plain-HTTP listener and checked with openssl and
 * python cryptography.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IssuanceService, type ProfilePolicy } from '../../src/app/issuance.js';
import { parseCertificate } from '../../src/crypto/certificate.js';
import { parseCrl } from '../../src/crypto/crl.js';
import { derToPem, pemToDer } from '../../src/crypto/pem.js';
import { certificateDecider, certificateStream } from '../../src/domain/certificate.js';
import { CRL_CONFIG_STREAM, crlConfigDecider } from '../../src/domain/crl-config.js';
import { DomainError } from '../../src/domain/errors.js';
import type { RevocationReason } from '../../src/domain/revocation-reason.js';
import { openssl, python } from '../support/tools.js';
import { startTestServer, type TestServer } from '../support/server.js';

const policy: ProfilePolicy = {
  name: 'revocation-test',
  validitySeconds: 86400 * 30,
  backdateSeconds: 30,
  keyUsage: ['digitalSignature'],
  extKeyUsage: ['clientAuth'],
  allowedKeys: [{ kind: 'ec', curves: ['P-256', 'P-384'] }],
  requireCommonName: true,
  names: { allowAnyName: true, allowedDomains: [], allowSubdomains: false, allowBareDomains: false, allowGlobDomains: false, allowIpSans: true, allowedUriSans: [], allowEmailSans: true },
};

let server: TestServer;
let dir: string;
let publicUrl: string;
let issuerPem: string;
let chainFile: string;
const certs: { serial: string; file: string }[] = [];

function newCsr(cn: string): Uint8Array {
  const keyFile = join(dir, `${cn}.key`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  return pemToDer(openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${cn}`]), 'CERTIFICATE REQUEST');
}

async function revoke(serial: string, reason: RevocationReason, invalidityDate?: string) {
  return server.core.commands.handle(certificateStream(serial), certificateDecider, { type: 'RevokeCertificate', data: { serial, reason, ...(invalidityDate ? { invalidityDate } : {}) }, now: new Date() });
}

async function fetchBytes(path: string): Promise<{ status: number; type: string; body: Buffer }> {
  const response = await fetch(`${publicUrl}${path}`);
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: Buffer.from(await response.arrayBuffer()) };
}

/** Polls a CRL path until `check` holds: rebuilds after a revocation run in the background. */
async function crlWhere(path: string, check: (crl: ReturnType<typeof parseCrl>) => boolean): Promise<Buffer> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { status, body } = await fetchBytes(path);
    assert.equal(status, 200, body.toString());
    if (check(parseCrl(body))) return body;
    if (Date.now() > deadline) throw new Error(`CRL at ${path} never satisfied the check`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function opensslCrlText(der: Uint8Array, name: string): string {
  const file = join(dir, name);
  writeFileSync(file, derToPem(der, 'X509 CRL'));
  return openssl(['crl', '-in', file, '-noout', '-text', '-verify', '-CAfile', chainFile]);
}

/** openssl ocsp against the running server: asynchronous, since the server answers from this very process. */
async function ocsp(certFile: string, extra: string[] = []): Promise<{ stdout: string; stderr: string }> {
  const args = ['ocsp', '-issuer', join(dir, 'issuer.pem'), '-CAfile', chainFile, '-cert', certFile, '-url', `${publicUrl}/v1/pki/ocsp`, ...extra];
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { encoding: 'utf8' }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr })));
  });
}

before(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'signet-revocation-'));
  publicUrl = server.listeners.public.url;
  const issuance = new IssuanceService(server.core, server.core.pool!);
  const issuer = issuance.issuer('default');
  issuerPem = derToPem(Buffer.from(issuer.certificate, 'base64'), 'CERTIFICATE');
  writeFileSync(join(dir, 'issuer.pem'), issuerPem);
  chainFile = join(dir, 'chain.pem');
  writeFileSync(chainFile, issuerPem + issuer.chain.map((c) => derToPem(Buffer.from(c, 'base64'), 'CERTIFICATE')).join(''));
  for (const cn of ['good', 'compromised', 'superseded']) {
    const issued = await issuance.issueFromCsr({ csrDer: newCsr(cn), issuer, policy, metadata: { actor: 'test' } });
    const file = join(dir, `${cn}.pem`);
    writeFileSync(file, derToPem(issued.certDer, 'CERTIFICATE'));
    certs.push({ serial: issued.serial, file });
  }
  await server.core.runner.waitFor(await server.core.store.headPosition());
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('revocation: CRLs and OCSP over the public listener', () => {
  it('issued certificates point at the public listener for CRLs, OCSP and the issuer certificate', () => {
    const cert = parseCertificate(pemToDer(readFileSync(certs[0].file, 'utf8'), 'CERTIFICATE'));
    const issuerId = server.core.queries.issuers.resolve('default')!.issuerId;
    assert.deepEqual(cert.crlDistributionPoints, [`${publicUrl}/v1/pki/issuer/${issuerId}/crl/der`]);
    assert.deepEqual(cert.ocspServers, [`${publicUrl}/v1/pki/ocsp`]);
    assert.deepEqual(cert.issuingCertificateUrls, [`${publicUrl}/v1/pki/issuer/${issuerId}/der`]);
  });

  it('revoking is idempotent and an unknown serial is not found', async () => {
    const first = await revoke(certs[1].serial, 'keyCompromise', '2026-01-02T03:04:05.000Z');
    assert.equal(first.events.length, 1);
    const again = await revoke(certs[1].serial, 'superseded');
    assert.equal(again.events.length, 0);
    await revoke(certs[2].serial, 'superseded');
    await assert.rejects(revoke('00aa', 'keyCompromise'), (error: unknown) => error instanceof DomainError && error.kind === 'not_found');
  });

  it('the complete CRL lists the revoked serials with reasons and verifies with openssl and python', async () => {
    const revokedSerials = [certs[1].serial, certs[2].serial];
    const der = await crlWhere('/v1/pki/crl', (crl) => revokedSerials.every((s) => crl.entries.some((e) => e.serialHex === s)));
    const text = opensslCrlText(der, 'full.pem');
    assert.match(text, new RegExp(`Serial Number: ${certs[1].serial.toUpperCase()}[\\s\\S]*?Key Compromise[\\s\\S]*?Invalidity Date`));
    assert.match(text, new RegExp(`Serial Number: ${certs[2].serial.toUpperCase()}[\\s\\S]*?Superseded`));
    assert.doesNotMatch(text, new RegExp(certs[0].serial.toUpperCase()));
    assert.doesNotMatch(text, /Issuing Distribution Point/, 'no IDP until config/urls names the distribution points');
    const out = python(
      `import sys, json\nfrom cryptography import x509\ncrl = x509.load_der_x509_crl(sys.stdin.buffer.read())\nprint(json.dumps(sorted(format(r.serial_number, "040x") for r in crl)))`,
      der,
    );
    assert.deepEqual(JSON.parse(out), [...revokedSerials].sort());
    // the same CRL in every spelling the spec has
    const pem = await fetchBytes('/v1/pki/crl/pem');
    assert.match(pem.body.toString(), /-----BEGIN X509 CRL-----/);
    const json = (await (await fetch(`${publicUrl}/v1/pki/cert/crl`)).json()) as { data: { certificate: string } };
    assert.match(json.data.certificate, /-----BEGIN X509 CRL-----/);
    const issuerJson = (await (await fetch(`${publicUrl}/v1/pki/issuer/default/crl`)).json()) as { data: { crl: string } };
    assert.match(issuerJson.data.crl, /-----BEGIN X509 CRL-----/);
    assert.equal((await fetchBytes('/v1/pki/issuer/default/crl/der')).type, 'application/pkix-crl');
  });

  it('openssl verify -crl_check refuses the revoked certificate and accepts the good one', async () => {
    const der = (await fetchBytes('/v1/pki/crl')).body;
    const root = server.core.queries.issuers.resolve('root')!;
    const rootCrl = (await fetchBytes(`/v1/pki/issuer/${root.issuerId}/crl/der`)).body;
    const crlFile = join(dir, 'crls.pem');
    writeFileSync(crlFile, derToPem(der, 'X509 CRL') + derToPem(rootCrl, 'X509 CRL'));
    const verify = (file: string) => spawnSync('openssl', ['verify', '-crl_check_all', '-CAfile', chainFile, '-CRLfile', crlFile, file], { encoding: 'utf8' });
    assert.equal(verify(certs[0].file).status, 0, verify(certs[0].file).stderr);
    const revoked = verify(certs[1].file);
    assert.notEqual(revoked.status, 0);
    assert.match(revoked.stdout + revoked.stderr, /certificate revoked/);
  });

  it('openssl ocsp reports good and revoked (with reason) against the running server, nonce echoed', async () => {
    const good = await ocsp(certs[0].file);
    assert.match(good.stdout, /good\.pem: good/);
    assert.match(good.stderr, /Response verify OK/);
    assert.doesNotMatch(good.stderr, /nonce/i);
    const revoked = await ocsp(certs[1].file, ['-resp_text']);
    assert.match(revoked.stdout, /compromised\.pem: revoked/);
    assert.match(revoked.stdout, /Reason: keyCompromise/);
    assert.match(revoked.stdout, /OCSP Nonce/);
  });

  it('OCSP over GET with the base64 request, cached answers, unknown serials, and python loads the response', async () => {
    const reqFile = join(dir, 'ocsp-get.der');
    openssl(['ocsp', '-no_nonce', '-issuer', join(dir, 'issuer.pem'), '-cert', certs[2].file, '-reqout', reqFile]);
    const path = `/v1/pki/ocsp/${encodeURIComponent(readFileSync(reqFile).toString('base64'))}`;
    const first = await fetchBytes(path);
    const second = await fetchBytes(path);
    assert.equal(first.status, 200);
    assert.equal(first.type, 'application/ocsp-response');
    assert.deepEqual(second.body, first.body, 'the second answer comes from the cache');
    const summary = JSON.parse(
      python(
        'import sys, json\nfrom cryptography.x509 import ocsp\nr = ocsp.load_der_ocsp_response(sys.stdin.buffer.read())\nprint(json.dumps([r.response_status.name, r.certificate_status.name, r.revocation_reason.name, format(r.serial_number, "040x")]))',
        first.body,
      ),
    ) as string[];
    assert.deepEqual(summary, ['SUCCESSFUL', 'REVOKED', 'superseded', certs[2].serial]);
    const unknownReq = join(dir, 'unknown.der');
    openssl(['ocsp', '-no_nonce', '-issuer', join(dir, 'issuer.pem'), '-serial', '0x0102030405', '-reqout', unknownReq]);
    const unknown = await fetch(`${publicUrl}/v1/pki/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: readFileSync(unknownReq) });
    const status = python('import sys\nfrom cryptography.x509 import ocsp\nprint(ocsp.load_der_ocsp_response(sys.stdin.buffer.read()).certificate_status.name)', Buffer.from(await unknown.arrayBuffer()));
    assert.equal(status.trim(), 'UNKNOWN');
    const malformed = await fetchBytes('/v1/pki/ocsp/bm90LWFuLW9jc3AtcmVxdWVzdA==');
    assert.equal(malformed.status, 400);
    assert.deepEqual([...malformed.body], [0x30, 0x03, 0x0a, 0x01, 0x01]);
    const wrongType = await fetch(`${publicUrl}/v1/pki/ocsp`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    assert.equal(wrongType.status, 415);
  });

  it('with delta CRLs on, a revocation shows up in the next delta, which names its base', async () => {
    await server.core.commands.handle(CRL_CONFIG_STREAM, crlConfigDecider, { type: 'UpdateCrlConfig', data: { autoRebuild: true, enableDelta: true }, now: new Date() });
    const base = parseCrl(await crlWhere('/v1/pki/crl', (crl) => (crl.freshestCrlUrls?.length ?? 0) > 0));
    await crlWhere('/v1/pki/crl/delta', (crl) => crl.deltaBaseCrlNumber === base.crlNumber);
    const issuance = new IssuanceService(server.core, server.core.pool!);
    const issued = await issuance.issueFromCsr({ csrDer: newCsr('late'), issuer: issuance.issuer('default'), policy, metadata: { actor: 'test' } });
    await revoke(issued.serial, 'cessationOfOperation');
    const delta = await crlWhere('/v1/pki/crl/delta', (crl) => crl.entries.some((e) => e.serialHex === issued.serial));
    const parsed = parseCrl(delta);
    assert.equal(parsed.deltaBaseCrlNumber, base.crlNumber);
    assert.ok(parsed.crlNumber! > base.crlNumber!);
    assert.deepEqual(parsed.entries.map((e) => e.serialHex), [issued.serial], 'the delta lists only what was revoked after its base');
    const text = opensslCrlText(delta, 'delta.pem');
    assert.match(text, new RegExp(`Delta CRL Indicator: critical\\s*\\n\\s*${base.crlNumber}`));
    assert.match(text, /Cessation Of Operation/);
    const pem = await fetchBytes('/v1/pki/crl/delta/pem');
    assert.match(pem.body.toString(), /BEGIN X509 CRL/);
    python('import sys\nfrom cryptography import x509\nx509.load_der_x509_crl(sys.stdin.buffer.read())', delta);
  });
});
