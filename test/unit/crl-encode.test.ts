/** CRL encoding (src/crypto/crl.ts) checked by openssl and python cryptography, plus our own strict parser. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseCertificate } from '../../src/crypto/certificate.js';
import { encodeRevokedEntry, encodeTbsCertList, parseCrl, signCrl, type CrlFields } from '../../src/crypto/crl.js';
import { derToPem } from '../../src/crypto/pem.js';
import { DAY, NOW, makeRootCa } from '../fixtures/crypto/helpers.js';
import { openssl, python } from '../support/tools.js';

const ca = makeRootCa();
const caCert = parseCertificate(ca.certDer);
const dir = mkdtempSync(join(tmpdir(), 'signet-crl-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, derToPem(ca.certDer, 'CERTIFICATE'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fields(overrides: Partial<CrlFields> = {}): CrlFields {
  return {
    signatureAlgorithm: ca.signer.algorithm,
    issuerNameDer: caCert.subjectDer,
    authorityKeyId: caCert.subjectKeyId!,
    thisUpdate: NOW,
    nextUpdate: NOW + 3 * DAY,
    crlNumber: 7,
    ...overrides,
  };
}

const entries = [
  { serialHex: '0a1b2c', revokedAt: NOW - DAY, reasonCode: 1, invalidityDate: NOW - 2 * DAY },
  { serialHex: '80ff', revokedAt: NOW - 1000 },
  { serialHex: '7f'.repeat(20), revokedAt: NOW, reasonCode: 4 },
];

function opensslCrlText(der: Uint8Array, name: string): string {
  const file = join(dir, name);
  writeFileSync(file, derToPem(der, 'X509 CRL'));
  // -verify fails the command (and so the test) when the signature does not check out against the CA.
  return openssl(['crl', '-in', file, '-noout', '-text', '-verify', '-CAfile', caFile]);
}

describe('CRL encoding', () => {
  it('openssl verifies a complete CRL and lists every serial with its reason and invalidity date', () => {
    const der = signCrl(fields({ distributionPointUrls: ['http://127.0.0.1:8080/v1/pki/crl'], freshestCrlUrls: ['http://127.0.0.1:8080/v1/pki/crl/delta'] }), entries.map(encodeRevokedEntry), (tbs) => ca.signer.sign(tbs));
    const text = opensslCrlText(der, 'full.pem');
    assert.match(text, /Version 2 \(0x1\)/);
    assert.match(text, /X509v3 CRL Number:\s*\n\s*7/);
    assert.match(text, /Serial Number: 0A1B2C[\s\S]*?Key Compromise[\s\S]*?Invalidity Date/);
    assert.match(text, /Serial Number: 80FF/);
    assert.match(text, new RegExp(`Serial Number: ${'7F'.repeat(20)}[\\s\\S]*?Superseded`));
    assert.match(text, /Issuing Distribution Point: critical[\s\S]*?URI:http:\/\/127.0.0.1:8080\/v1\/pki\/crl/);
    assert.match(text, /Freshest CRL:[\s\S]*?URI:http:\/\/127.0.0.1:8080\/v1\/pki\/crl\/delta/);
    assert.doesNotMatch(text, /Delta CRL Indicator/);
  });

  it('a delta CRL carries a critical Delta CRL Indicator naming its base', () => {
    const der = signCrl(fields({ crlNumber: 9, deltaBaseCrlNumber: 7 }), [encodeRevokedEntry(entries[1])], (tbs) => ca.signer.sign(tbs));
    const text = opensslCrlText(der, 'delta.pem');
    assert.match(text, /Delta CRL Indicator: critical\s*\n\s*7/);
    assert.match(text, /X509v3 CRL Number:\s*\n\s*9/);
  });

  it('an empty CRL omits revokedCertificates and still verifies', () => {
    const der = signCrl(fields(), [], (tbs) => ca.signer.sign(tbs));
    assert.match(opensslCrlText(der, 'empty.pem'), /No Revoked Certificates/);
    assert.equal(parseCrl(der).entries.length, 0);
  });

  it('python cryptography loads the CRL and reads reasons, invalidity date, CRL number and delta indicator', () => {
    const der = signCrl(fields({ crlNumber: 10, deltaBaseCrlNumber: 8 }), entries.map(encodeRevokedEntry), (tbs) => ca.signer.sign(tbs));
    const script = `
import sys, json
from cryptography import x509
crl = x509.load_der_x509_crl(sys.stdin.buffer.read())
ca = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read()) if len(sys.argv) > 1 else None
out = {"number": crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number,
       "base": crl.extensions.get_extension_for_class(x509.DeltaCRLIndicator).value.crl_number,
       "entries": []}
for r in crl:
    e = {"serial": format(r.serial_number, "x")}
    for ext in r.extensions:
        if isinstance(ext.value, x509.CRLReason): e["reason"] = ext.value.reason.value
        if isinstance(ext.value, x509.InvalidityDate): e["invalidity"] = ext.value.invalidity_date.isoformat()
    out["entries"].append(e)
print(json.dumps(out))
`;
    const out = JSON.parse(python(script, der)) as { number: number; base: number; entries: { serial: string; reason?: string; invalidity?: string }[] };
    assert.equal(out.number, 10);
    assert.equal(out.base, 8);
    assert.deepEqual(out.entries.map((e) => e.serial), ['a1b2c', '80ff', '7f'.repeat(20)]);
    assert.equal(out.entries[0].reason, 'keyCompromise');
    assert.equal(out.entries[0].invalidity?.slice(0, 19), new Date(NOW - 2 * DAY).toISOString().slice(0, 19));
    assert.equal(out.entries[1].reason, undefined);
  });

  it('parseCrl reads back what encode wrote', () => {
    const der = signCrl(fields({ crlNumber: 3, deltaBaseCrlNumber: 2, distributionPointUrls: ['http://x/crl'], freshestCrlUrls: ['http://x/delta'] }), entries.map(encodeRevokedEntry), (tbs) => ca.signer.sign(tbs));
    const parsed = parseCrl(der);
    assert.equal(parsed.crlNumber, 3);
    assert.equal(parsed.deltaBaseCrlNumber, 2);
    assert.deepEqual(parsed.distributionPointUrls, ['http://x/crl']);
    assert.deepEqual(parsed.freshestCrlUrls, ['http://x/delta']);
    assert.equal(parsed.thisUpdate, NOW);
    assert.equal(parsed.nextUpdate, NOW + 3 * DAY);
    assert.deepEqual(
      parsed.entries.map(({ serialHex, revokedAt, reasonCode, invalidityDate }) => ({ serialHex, revokedAt, reasonCode, invalidityDate })),
      [
        { serialHex: '0a1b2c', revokedAt: NOW - DAY, reasonCode: 1, invalidityDate: NOW - 2 * DAY },
        { serialHex: '80ff', revokedAt: NOW - 1000, reasonCode: undefined, invalidityDate: undefined },
        { serialHex: '7f'.repeat(20), revokedAt: NOW, reasonCode: 4, invalidityDate: undefined },
      ],
    );
    assert.deepEqual(parsed.entries[0].der, encodeRevokedEntry(entries[0]));
  });

  it('entries given as concatenated chunks encode to the same bytes as one entry each', () => {
    const encoded = entries.map(encodeRevokedEntry);
    const chunk = Buffer.concat(encoded);
    assert.deepEqual(encodeTbsCertList(fields(), [chunk]), encodeTbsCertList(fields(), encoded));
  });

  it('lengths above 64 KiB and 16 MiB get long-form headers that openssl accepts', () => {
    const many = Array.from({ length: 350_000 }, (_, i) => encodeRevokedEntry({ serialHex: (i + 1).toString(16).padStart(40, '1'), revokedAt: NOW, reasonCode: 1 }));
    const der = signCrl(fields(), many, (tbs) => ca.signer.sign(tbs));
    assert.ok(der.length > 16 * 1024 * 1024);
    const file = join(dir, 'big.der');
    writeFileSync(file, der);
    const out = openssl(['crl', '-inform', 'DER', '-in', file, '-noout', '-verify', '-CAfile', caFile, '-crlnumber']);
    assert.match(out, /crlNumber=0x07/, out);
    assert.equal(parseCrl(der).entries.length, 350_000);
  });
});
