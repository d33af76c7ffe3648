import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import * as pkijs from 'pkijs';
import type { CertContent, San } from '../../src/domain/x509.js';
import { createIntermediateCa, issuerTemplateFromCertificate } from '../../src/crypto/ca.js';
import { assembleCertificate, parseCertificate, signCertificate } from '../../src/crypto/certificate.js';
import { csrFacts, parseCsr } from '../../src/crypto/csr.js';
import { CryptoInputError } from '../../src/crypto/errors.js';
import { authorityInfoAccess } from '../../src/crypto/extensions/authority-info-access.js';
import { basicConstraints } from '../../src/crypto/extensions/basic-constraints.js';
import { cRLDistributionPoints } from '../../src/crypto/extensions/crl-distribution-points.js';
import { extKeyUsage } from '../../src/crypto/extensions/ext-key-usage.js';
import { keyUsage } from '../../src/crypto/extensions/key-usage.js';
import { decodeKnownExtension, extensionCodecs } from '../../src/crypto/extensions/registry.js';
import { subjectAltName } from '../../src/crypto/extensions/subject-alt-name.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { ExtensionOid } from '../../src/crypto/oids.js';
import { randomSerialHex } from '../../src/crypto/serial.js';
import { createSigner } from '../../src/crypto/signer.js';
import { encodeTbs } from '../../src/crypto/tbs.js';
import { verifySignature } from '../../src/crypto/verify.js';
import { DAY, NOW, acceptedCsrs, hex, leafContent, loadCsr, makeRootCa, pkijsCertificate } from '../fixtures/crypto/helpers.js';

const root = makeRootCa();
const rootCert = parseCertificate(root.certDer);

function issue(content: CertContent): Uint8Array {
  return signCertificate(root.template, root.signer, content);
}

function invalidContent(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof CryptoInputError && e.code === 'invalid_content' && message.test(e.message));
}

const pkijsSanTypes: Record<number, San['type']> = { 1: 'email', 2: 'dns', 6: 'uri', 7: 'ip' };

describe('issued certificates, read back by pkijs and by parseCertificate', () => {
  for (const name of acceptedCsrs) {
    it(`${name}: pkijs agrees field by field and verifies the signature`, async () => {
      const facts = csrFacts(parseCsr(loadCsr(name)));
      const content = leafContent(facts);
      const der = issue(content);
      const ours = parseCertificate(der);
      const theirs = pkijsCertificate(der);

      assert.equal(theirs.version, 2);
      assert.equal(hex(theirs.serialNumber.valueBlock.valueHexView), content.serialHex);
      assert.equal(ours.serialHex, content.serialHex);
      assert.equal(hex(theirs.issuer.toSchema().toBER()), hex(rootCert.subjectDer));
      assert.equal(hex(theirs.subject.toSchema().toBER()), hex(facts.subjectDer));
      assert.equal(theirs.notBefore.value.getTime(), content.notBefore);
      assert.equal(theirs.notAfter.value.getTime(), content.notAfter);
      assert.equal(ours.notAfter, content.notAfter);
      assert.equal(hex(theirs.subjectPublicKeyInfo.toSchema().toBER()), hex(content.spkiDer));
      assert.equal(hex(theirs.tbsView), hex(ours.tbsDer));

      const extensions = theirs.extensions ?? [];
      assert.deepEqual(
        extensions.map((e) => [e.extnID, e.critical]),
        ours.extensions.map((e) => [e.oid, e.critical]),
      );
      const sanExtension = extensions.find((e) => e.extnID === ExtensionOid.subjectAltName);
      const theirSans = (sanExtension?.parsedValue as pkijs.AltName | undefined)?.altNames.map((n) => n.type) ?? [];
      assert.deepEqual(theirSans.map((t) => pkijsSanTypes[t] ?? 'other'), facts.sans.map((s) => s.type));
      assert.deepEqual(ours.sans, facts.sans);

      const bc = extensions.find((e) => e.extnID === ExtensionOid.basicConstraints)?.parsedValue as pkijs.BasicConstraints;
      assert.equal(bc.cA, false);
      const ski = extensions.find((e) => e.extnID === ExtensionOid.subjectKeyIdentifier)?.parsedValue as { valueBlock: { valueHexView: Uint8Array } };
      const expectedSki = createHash('sha1').update(theirs.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest('hex');
      assert.equal(hex(ski.valueBlock.valueHexView), expectedSki);
      const aki = extensions.find((e) => e.extnID === ExtensionOid.authorityKeyIdentifier)?.parsedValue as pkijs.AuthorityKeyIdentifier;
      assert.equal(hex(aki.keyIdentifier!.valueBlock.valueHexView), hex(rootCert.subjectKeyId!));
      assert.equal(hex(ours.authorityKeyId!), hex(rootCert.subjectKeyId!));

      assert.equal(await theirs.verify(pkijsCertificate(root.certDer)), true);
      assert.ok(verifySignature(rootCert.spkiDer, 'ecdsa-sha256', ours.tbsDer, ours.signature));
    });
  }

  it('parseCertificate returns every extension value we encoded', () => {
    const facts = csrFacts(parseCsr(loadCsr('p256-full')));
    const parsed = parseCertificate(issue(leafContent(facts)));
    assert.deepEqual(parsed.basicConstraints, { ca: false });
    assert.deepEqual(parsed.keyUsage, ['digitalSignature']);
    assert.deepEqual(parsed.extKeyUsage, ['serverAuth', 'clientAuth']);
    assert.deepEqual(parsed.crlDistributionPoints, ['http://pki.example/crl/root.crl']);
    assert.deepEqual(parsed.ocspServers, ['http://pki.example/ocsp']);
    assert.deepEqual(parsed.issuingCertificateUrls, ['http://pki.example/ca/root.der']);
    assert.deepEqual(parsed.issuer, rootCert.subject);
    assert.equal(parsed.signatureAlgorithmOid, '1.2.840.10045.4.3.2');
    assert.deepEqual(
      parsed.extensions.map((e) => decodeKnownExtension(e)?.name),
      ['subjectKeyIdentifier', 'authorityKeyIdentifier', 'basicConstraints', 'keyUsage', 'extKeyUsage', 'subjectAltName', 'cRLDistributionPoints', 'authorityInfoAccess'],
    );
  });

  it('omits optional extensions that have no value', () => {
    const facts = csrFacts(parseCsr(loadCsr('p384')));
    const content: CertContent = { ...leafContent(facts), sans: [], keyUsage: [], extKeyUsage: [] };
    delete content.basicConstraints;
    delete content.crlDistributionPoints;
    delete content.ocspServers;
    delete content.issuingCertificateUrls;
    const parsed = parseCertificate(issue(content));
    assert.deepEqual(parsed.extensions.map((e) => e.oid), [ExtensionOid.subjectKeyIdentifier, ExtensionOid.authorityKeyIdentifier]);
    assert.equal(parsed.basicConstraints, undefined);
  });

  it('marks the SAN critical when the subject is empty', () => {
    const facts = csrFacts(parseCsr(loadCsr('empty-subject')));
    const parsed = parseCertificate(issue(leafContent(facts)));
    assert.deepEqual(parsed.subject, []);
    assert.equal(parsed.extensions.find((e) => e.oid === ExtensionOid.subjectAltName)?.critical, true);
    const withSubject = parseCertificate(issue(leafContent(csrFacts(parseCsr(loadCsr('p384'))))));
    assert.equal(withSubject.extensions.find((e) => e.oid === ExtensionOid.subjectAltName)?.critical, false);
  });

  it('encodes subjects given as attributes, and switches to GeneralizedTime in 2050', () => {
    const facts = csrFacts(parseCsr(loadCsr('p384')));
    const notAfter = Date.UTC(2051, 0, 2, 3, 4, 5);
    const der = issue(leafContent(facts, { subject: [{ type: 'CN', value: 'override.example' }], notAfter }));
    const theirs = pkijsCertificate(der);
    assert.equal(theirs.notAfter.type, 1); // GeneralizedTime
    assert.equal(theirs.notAfter.value.getTime(), notAfter);
    assert.equal(theirs.notBefore.type, 0); // UTCTime
    assert.deepEqual(parseCertificate(der).subject, [{ type: 'CN', value: 'override.example' }]);
  });
});

describe('encodeTbs refuses content it cannot encode', () => {
  const facts = csrFacts(parseCsr(loadCsr('p256-full')));

  it('serials: hex, positive, at most 20 octets', () => {
    invalidContent(() => encodeTbs(root.template, leafContent(facts, { serialHex: 'xyz' })), /not hex/);
    invalidContent(() => encodeTbs(root.template, leafContent(facts, { serialHex: '0000' })), /positive/);
    invalidContent(() => encodeTbs(root.template, leafContent(facts, { serialHex: '80'.padEnd(40, '0') })), /20 octets/);
    assert.equal(parseCertificate(issue(leafContent(facts, { serialHex: '7f'.padEnd(40, 'f') }))).serialHex, '7f'.padEnd(40, 'f'));
    assert.equal(parseCertificate(issue(leafContent(facts, { serialHex: 'abc' }))).serialHex, '0abc');
  });

  it('validity, identity, names and SANs', () => {
    invalidContent(() => encodeTbs(root.template, leafContent(facts, { notAfter: NOW - 1 })), /notAfter/);
    invalidContent(() => encodeTbs(root.template, leafContent(facts, { subject: [], sans: [] })), /subject or a subjectAltName/);
    invalidContent(() => encodeTbs(root.template, leafContent(facts, { sans: [{ type: 'dns', value: 'bücher.example' }] })), /not ASCII/);
    invalidContent(() => encodeTbs(root.template, leafContent(facts, { sans: [{ type: 'ip', value: '300.1.1.1' }] })), /IPv4 or IPv6/);
    invalidContent(() => encodeTbs(root.template, leafContent(facts, { sans: [{ type: 'dns', value: '' }] })), /empty/);
    invalidContent(() => encodeTbs(root.template, leafContent(facts, { sans: [{ type: 'other', value: 'AAAA' }] })), /GeneralName/);
    invalidContent(() => encodeTbs(root.template, leafContent(facts, { extKeyUsage: ['superAuth'] })), /superAuth/);
  });

  it('keeps error messages to one bounded line even when they quote input', () => {
    const hostile = `evil\r\nX-Injected: 1${'x'.repeat(1000)}é`;
    assert.throws(
      () => encodeTbs(root.template, leafContent(facts, { sans: [{ type: 'dns', value: hostile }] })),
      (e: unknown) => e instanceof CryptoInputError && !/[\r\n]/.test(e.message) && e.message.length <= 300,
    );
  });

  it('refuses an SPKI that is malformed or holds a key Signet does not certify', () => {
    const notSpki = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00);
    assert.throws(
      () => encodeTbs(root.template, leafContent(facts, { spkiDer: notSpki })),
      (e: unknown) => e instanceof CryptoInputError && e.code === 'malformed',
    );
    const k1 = new Uint8Array(pkijs.CertificationRequest.fromBER(new Uint8Array(loadCsr('secp256k1'))).subjectPublicKeyInfo.toSchema().toBER());
    assert.throws(
      () => encodeTbs(root.template, leafContent(facts, { spkiDer: k1 })),
      (e: unknown) => e instanceof CryptoInputError && e.code === 'unsupported_key',
    );
  });

  it('throws a plain Error when signer and template disagree (a programming error)', () => {
    const ed = createSigner(generateKeyPair({ kind: 'ed25519' }).pkcs8Der);
    assert.throws(() => signCertificate(root.template, ed, leafContent(facts)), (e: unknown) => !(e instanceof CryptoInputError));
  });
});

describe('CA helpers', () => {
  it('builds a root that is self-signed, a CA, and has AKI = SKI', () => {
    assert.deepEqual(rootCert.issuerDer, rootCert.subjectDer);
    assert.deepEqual(rootCert.basicConstraints, { ca: true });
    assert.deepEqual(rootCert.keyUsage, ['digitalSignature', 'keyCertSign', 'cRLSign']);
    assert.equal(hex(rootCert.authorityKeyId!), hex(rootCert.subjectKeyId!));
    assert.ok(verifySignature(rootCert.spkiDer, 'ecdsa-sha256', rootCert.tbsDer, rootCert.signature));
  });

  it('builds an intermediate whose template links leaves to it', async () => {
    const intermediateKey = generateKeyPair({ kind: 'ec', curve: 'P-384' });
    const intermediateDer = createIntermediateCa(root, intermediateKey.spkiDer, {
      subject: [{ type: 'O', value: 'Signet Test' }, { type: 'CN', value: 'Issuing CA' }],
      serialHex: randomSerialHex(),
      notBefore: NOW,
      notAfter: NOW + 365 * DAY,
      pathLen: 0,
    });
    const intermediate = parseCertificate(intermediateDer);
    assert.deepEqual(intermediate.basicConstraints, { ca: true, pathLen: 0 });
    assert.equal(await pkijsCertificate(intermediateDer).verify(pkijsCertificate(root.certDer)), true);

    const signer = createSigner(intermediateKey.pkcs8Der);
    assert.equal(signer.algorithm, 'ecdsa-sha384');
    const template = issuerTemplateFromCertificate(intermediateDer, signer.algorithm);
    const leaf = parseCertificate(signCertificate(template, signer, leafContent(csrFacts(parseCsr(loadCsr('ed25519'))))));
    assert.deepEqual(leaf.issuerDer, intermediate.subjectDer);
    assert.equal(hex(leaf.authorityKeyId!), hex(intermediate.subjectKeyId!));
    assert.ok(verifySignature(intermediate.spkiDer, 'ecdsa-sha384', leaf.tbsDer, leaf.signature));
  });
});

describe('extension codecs', () => {
  it('has a codec for every extension encodeTbs writes', () => {
    for (const oid of [
      ExtensionOid.subjectKeyIdentifier,
      ExtensionOid.authorityKeyIdentifier,
      ExtensionOid.basicConstraints,
      ExtensionOid.keyUsage,
      ExtensionOid.extKeyUsage,
      ExtensionOid.subjectAltName,
      ExtensionOid.cRLDistributionPoints,
      ExtensionOid.authorityInfoAccess,
    ]) {
      assert.ok(extensionCodecs.has(oid), oid);
    }
  });

  it('encodes keyUsage as a DER named bit list', () => {
    assert.equal(hex(keyUsage.encodeValue(['digitalSignature'])), '03020780');
    assert.equal(hex(keyUsage.encodeValue(['keyCertSign', 'cRLSign'])), '03020106');
    assert.equal(hex(keyUsage.encodeValue(['digitalSignature', 'decipherOnly'])), '0303078080');
    assert.deepEqual(keyUsage.decodeValue(keyUsage.encodeValue(['keyAgreement', 'encipherOnly'])), ['keyAgreement', 'encipherOnly']);
  });

  it('round-trips the other codecs', () => {
    const sans: San[] = [
      { type: 'dns', value: 'a.example' },
      { type: 'ip', value: '::1' },
      { type: 'ip', value: '2001:db8::ff00:42:8329' },
      { type: 'ip', value: '0.0.0.0' },
      { type: 'email', value: 'a@example' },
      { type: 'uri', value: 'spiffe://example/workload' },
      { type: 'other', value: Buffer.from([0x88, 0x03, 0x2a, 0x03, 0x04]).toString('base64') },
    ];
    assert.deepEqual(subjectAltName.decodeValue(subjectAltName.encodeValue(sans)), sans);
    assert.deepEqual(subjectAltName.decodeValue(subjectAltName.encodeValue([{ type: 'ip', value: '2001:0DB8:0:0:0:0:0:1' }])), [{ type: 'ip', value: '2001:db8::1' }]);
    assert.deepEqual(subjectAltName.decodeValue(subjectAltName.encodeValue([{ type: 'ip', value: '::ffff:192.0.2.1' }])), [{ type: 'ip', value: '::ffff:c000:201' }]);
    assert.deepEqual(basicConstraints.decodeValue(basicConstraints.encodeValue({ ca: true, pathLen: 3 })), { ca: true, pathLen: 3 });
    assert.equal(hex(basicConstraints.encodeValue({ ca: false })), '3000');
    assert.deepEqual(extKeyUsage.decodeValue(extKeyUsage.encodeValue(['serverAuth', '1.2.3.4'])), ['serverAuth', '1.2.3.4']);
    const urls = ['http://a.example/1.crl', 'ldap://b.example/cn=x'];
    assert.deepEqual(cRLDistributionPoints.decodeValue(cRLDistributionPoints.encodeValue(urls)), urls);
    const aia = { ocsp: ['http://ocsp.example'], caIssuers: ['http://a.example/ca.der', 'http://b.example/ca.der'] };
    assert.deepEqual(authorityInfoAccess.decodeValue(authorityInfoAccess.encodeValue(aia)), aia);
  });

  it('assembleCertificate wraps TBS, algorithm and signature', () => {
    const tbs = Uint8Array.of(0x30, 0);
    const alg = Uint8Array.of(0x30, 0);
    assert.equal(hex(assembleCertificate(tbs, alg, Uint8Array.of(9))), '30083000300003020009');
  });
});
