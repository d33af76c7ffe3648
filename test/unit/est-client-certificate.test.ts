import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { verifyClientChain } from '../../src/app/est/client-certificate.js';
import { createIntermediateCa, issuerTemplateFromCertificate } from '../../src/crypto/ca.js';
import { signCertificate } from '../../src/crypto/certificate.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { randomSerialHex } from '../../src/crypto/serial.js';
import { createSigner, type Signer } from '../../src/crypto/signer.js';
import type { IssuerTemplate } from '../../src/crypto/tbs.js';
import { DAY, NOW, makeRootCa } from '../fixtures/crypto/helpers.js';

interface Ca {
  certDer: Uint8Array;
  template: IssuerTemplate;
  signer: Signer;
}

function intermediate(parent: Ca, validity: { notBefore: number; notAfter: number } = { notBefore: NOW - DAY, notAfter: NOW + 365 * DAY }): Ca {
  const signer = createSigner(generateKeyPair({ kind: 'ec', curve: 'P-256' }).pkcs8Der);
  const certDer = createIntermediateCa(parent, signer.spkiDer, { subject: [{ type: 'CN', value: `Intermediate ${randomSerialHex().slice(0, 6)}` }], serialHex: randomSerialHex(), ...validity });
  return { certDer, signer, template: issuerTemplateFromCertificate(certDer, signer.algorithm) };
}

function leaf(issuer: Ca, extKeyUsage = ['clientAuth']): Uint8Array {
  const spkiDer = generateKeyPair({ kind: 'ec', curve: 'P-256' }).spkiDer;
  return signCertificate(issuer.template, issuer.signer, {
    serialHex: randomSerialHex(),
    notBefore: NOW - DAY,
    notAfter: NOW + 30 * DAY,
    subject: [{ type: 'CN', value: 'device-7' }],
    spkiDer,
    sans: [],
    basicConstraints: { ca: false },
    keyUsage: ['digitalSignature'],
    extKeyUsage,
  });
}

const x509 = (der: Uint8Array) => new X509Certificate(der);

describe('EST client certificate chains', () => {
  const root = makeRootCa();
  const issuing = intermediate(root);

  test('a leaf issued by an anchor, or through intermediates the client presents, is trusted', () => {
    const direct = leaf(root);
    const viaIssuing = leaf(issuing);
    const check = verifyClientChain([direct], [x509(root.certDer)], NOW);
    assert.ok(check.ok && check.certificate.parsed.subject[0].value === 'device-7');
    assert.ok(verifyClientChain([viaIssuing, issuing.certDer], [x509(root.certDer)], NOW).ok);
    assert.ok(verifyClientChain([viaIssuing], [x509(issuing.certDer), x509(root.certDer)], NOW).ok, 'anchored at the issuing CA itself');
  });

  test('a chain that does not reach an anchor is refused', () => {
    const foreign = makeRootCa();
    const viaIssuing = leaf(issuing);
    assert.deepEqual(verifyClientChain([viaIssuing], [x509(root.certDer)], NOW), { ok: false, reason: 'the client certificate does not chain to a trust anchor of this profile' });
    assert.equal(verifyClientChain([leaf(foreign)], [x509(root.certDer)], NOW).ok, false);
    assert.equal(verifyClientChain([viaIssuing, issuing.certDer], [x509(foreign.certDer)], NOW).ok, false);
    assert.equal(verifyClientChain([], [x509(root.certDer)], NOW).ok, false);
  });

  test('a presented intermediate that is not valid now, or a leaf not for client auth, is refused', () => {
    const expired = intermediate(root, { notBefore: NOW - 10 * DAY, notAfter: NOW - DAY });
    const check = verifyClientChain([leaf(expired), expired.certDer], [x509(root.certDer)], NOW);
    assert.ok(!check.ok && /intermediate certificate .* is not valid now/.test(check.reason));
    const server = verifyClientChain([leaf(root, ['serverAuth'])], [x509(root.certDer)], NOW);
    assert.deepEqual(server, { ok: false, reason: 'the client certificate is not valid for client authentication' });
    assert.ok(verifyClientChain([leaf(root, [])], [x509(root.certDer)], NOW).ok, 'no EKU extension means any purpose');
  });

  test('garbage is refused, not thrown', () => {
    assert.deepEqual(verifyClientChain([Uint8Array.of(0x30, 0x03, 1, 2, 3)], [x509(root.certDer)], NOW), { ok: false, reason: 'the client certificate cannot be parsed' });
  });
});
