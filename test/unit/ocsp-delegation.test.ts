import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withExtension } from '../../src/app/revocation/ocsp-delegation.js';
import { assembleCertificate, parseCertificate } from '../../src/crypto/certificate.js';
import { encodeExtension } from '../../src/crypto/extensions/extension.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { ExtensionOid } from '../../src/crypto/oids.js';
import { encodeTbs } from '../../src/crypto/tbs.js';
import { makeRootCa } from '../fixtures/crypto/helpers.js';
import { openssl } from '../support/tools.js';

describe('withExtension (delegated OCSP responder certificates)', () => {
  it('appends an extension after the standard ones and keeps the rest of the TBS byte for byte', () => {
    const ca = makeRootCa();
    const now = Date.now();
    const content = {
      serialHex: '0a1b2c',
      notBefore: now,
      notAfter: now + 86_400_000,
      subject: [{ type: 'CN', value: 'Test OCSP Responder' }],
      spkiDer: generateKeyPair({ kind: 'ec', curve: 'P-256' }).spkiDer,
      sans: [],
      basicConstraints: { ca: false },
      keyUsage: ['digitalSignature' as const],
      extKeyUsage: ['OCSPSigning' as const],
    };
    const plain = encodeTbs(ca.template, content);
    const tbs = withExtension(plain, encodeExtension(ExtensionOid.ocspNoCheck, false, Uint8Array.of(0x05, 0x00)));
    const cert = assembleCertificate(tbs, ca.signer.algorithmIdentifierDer, ca.signer.sign(tbs));
    const parsed = parseCertificate(cert);
    assert.deepEqual(parsed.extKeyUsage, ['OCSPSigning']);
    const before = parseCertificate(assembleCertificate(plain, ca.signer.algorithmIdentifierDer, ca.signer.sign(plain)));
    assert.deepEqual(parsed.extensions.map((e) => e.oid), [...before.extensions.map((e) => e.oid), ExtensionOid.ocspNoCheck]);
    for (const field of ['serialHex', 'issuerDer', 'subjectDer', 'spkiDer', 'notBefore', 'notAfter'] as const) assert.deepEqual(parsed[field], before[field], field);
    const text = openssl(['x509', '-inform', 'DER', '-noout', '-text'], Buffer.from(cert));
    assert.match(text, /OCSP No Check/);
    assert.match(text, /OCSP Signing/);
  });
});
