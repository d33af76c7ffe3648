import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as pkijs from 'pkijs';
import { algorithmIdentifierDer } from '../../src/crypto/algorithms.js';
import { DER_NULL, encodeBoolean, encodeExplicit, encodeOctetString, encodeOid, encodeSequence, encodeSmallInteger, encodeUtf8String } from '../../src/crypto/der.js';
import { CryptoInputError } from '../../src/crypto/errors.js';
import { csrFacts, parseCsr, verifyCsr } from '../../src/crypto/csr.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { ExtensionOid, HashOid, Pkcs9AttributeOid, SignatureAlgorithmOid } from '../../src/crypto/oids.js';
import { createSigner } from '../../src/crypto/signer.js';
import { acceptedCsrs, buildCsr, csrAttribute, csrNames, hex, loadCsr } from '../fixtures/crypto/helpers.js';

function failsWith(code: string, fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CryptoInputError, `expected CryptoInputError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const parseAndVerify = (der: Uint8Array) => {
  const csr = parseCsr(der);
  verifyCsr(csr);
  return csr;
};

const p256Signer = createSigner(generateKeyPair({ kind: 'ec', curve: 'P-256' }).pkcs8Der);

describe('parseCsr + verifyCsr on openssl-made requests', () => {
  it('has every fixture the tests expect', () => {
    for (const name of [...acceptedCsrs, 'secp256k1', 'rsa1024', 'p256-sha1', 'rsa2048-sha1']) {
      assert.ok(csrNames.includes(name), `fixture ${name} is missing; run test/fixtures/crypto/make-csrs.sh`);
    }
  });

  for (const name of acceptedCsrs) {
    it(`accepts ${name} and agrees with pkijs`, () => {
      const der = loadCsr(name);
      const csr = parseAndVerify(der);
      const reference = pkijs.CertificationRequest.fromBER(new Uint8Array(der));
      assert.deepEqual(
        csr.subject.map((a) => a.value),
        reference.subject.typesAndValues.map((t) => t.value.valueBlock.value),
      );
      assert.equal(hex(csr.spkiDer), hex(reference.subjectPublicKeyInfo.toSchema().toBER()));
      assert.equal(hex(csr.infoDer), hex(reference.tbsView));
      assert.equal(csr.signatureAlgorithm, reference.signatureAlgorithm.algorithmId);
    });
  }

  it('reports the key of each request', () => {
    const keys = Object.fromEntries(acceptedCsrs.map((name) => [name, parseCsr(loadCsr(name)).publicKey]));
    assert.deepEqual(keys['p256-full'], { kind: 'ec', curve: 'P-256' });
    assert.deepEqual(keys.p384, { kind: 'ec', curve: 'P-384' });
    assert.deepEqual(keys.ed25519, { kind: 'ed25519' });
    assert.deepEqual(keys.rsa2048, { kind: 'rsa', bits: 2048 });
    assert.deepEqual(keys.rsa3072, { kind: 'rsa', bits: 3072 });
    assert.deepEqual(keys.rsa4096, { kind: 'rsa', bits: 4096 });
  });

  it('decodes subject, every SAN type, requested extensions and the challengePassword', () => {
    for (const name of ['p256-full', 'rsa2048']) {
      const facts = csrFacts(parseAndVerify(loadCsr(name)));
      assert.deepEqual(facts.subject, [
        { type: 'C', value: 'DE' },
        { type: 'ST', value: 'Bayern' },
        { type: 'L', value: 'München' },
        { type: 'O', value: 'Acme Ltd' },
        { type: 'OU', value: 'Devices' },
        { type: 'CN', value: 'device-01.example.com' },
        { type: 'emailAddress', value: 'ops@example.com' },
      ]);
      assert.deepEqual(facts.sans.slice(0, 6), [
        { type: 'dns', value: 'device-01.example.com' },
        { type: 'dns', value: '*.device-01.example.com' },
        { type: 'ip', value: '192.0.2.10' },
        { type: 'ip', value: '2001:db8::42' },
        { type: 'email', value: 'device@example.com' },
        { type: 'uri', value: 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66' },
      ]);
      const other = facts.sans[6];
      assert.equal(other.type, 'other');
      assert.match(Buffer.from(other.value, 'base64').toString('latin1'), /device01@example\.com/);
      assert.equal(facts.challengePassword, 's3cret-otp');
      assert.deepEqual(
        facts.requestedExtensions.map((e) => [e.oid, e.critical]),
        [
          [ExtensionOid.subjectAltName, false],
          [ExtensionOid.keyUsage, true],
          [ExtensionOid.extKeyUsage, false],
        ],
      );
      assert.equal(Object.keys(facts).includes('infoDer'), false);
    }
  });

  it('handles an empty subject and multi-valued RDNs', () => {
    const empty = parseAndVerify(loadCsr('empty-subject'));
    assert.deepEqual(empty.subject, []);
    assert.deepEqual(empty.sans, [{ type: 'dns', value: 'nosubject.example' }]);
    assert.deepEqual(parseAndVerify(loadCsr('multivalue-rdn')).subject.map((a) => a.type).sort(), ['CN', 'O', 'UID']);
  });
});

describe('CSR rejections', () => {
  it('rejects a flipped signature byte and a flipped subject byte as bad_signature', () => {
    for (const name of acceptedCsrs) {
      const der = new Uint8Array(loadCsr(name));
      const csr = parseCsr(der);
      const signatureAt = csr.signature.byteOffset + csr.signature.length - 5;
      const sigFlipped = new Uint8Array(der);
      sigFlipped[signatureAt] ^= 0x01;
      failsWith('bad_signature', () => parseAndVerify(sigFlipped), /does not verify/);
      if (csr.subject.length) {
        const subjectFlipped = new Uint8Array(der);
        subjectFlipped[csr.subjectDer.byteOffset + csr.subjectDer.length - 1] ^= 0x01;
        failsWith('bad_signature', () => parseAndVerify(subjectFlipped));
      }
    }
  });

  it('rejects other curves and small RSA keys as unsupported_key', () => {
    failsWith('unsupported_key', () => parseCsr(loadCsr('secp256k1')), /curve 1\.3\.132\.0\.10/);
    failsWith('unsupported_key', () => parseCsr(loadCsr('rsa1024')), /1024 bits/);
  });

  it('rejects SHA-1 and MD5 signatures as unsupported_algorithm', () => {
    failsWith('unsupported_algorithm', () => parseAndVerify(loadCsr('p256-sha1')), /SHA-1/);
    failsWith('unsupported_algorithm', () => parseAndVerify(loadCsr('rsa2048-sha1')), /SHA-1/);
    const md5 = new Uint8Array(loadCsr('rsa2048'));
    const sha256WithRsa = encodeOid(SignatureAlgorithmOid.sha256WithRSAEncryption);
    const at = Buffer.from(md5).lastIndexOf(Buffer.from(sha256WithRsa));
    md5.set(encodeOid(SignatureAlgorithmOid.md5WithRSAEncryption), at);
    failsWith('unsupported_algorithm', () => parseAndVerify(md5), /MD5/);
  });

  it('rejects garbage, truncation and trailing bytes as malformed', () => {
    failsWith('malformed', () => parseCsr(Buffer.from('hello world')));
    failsWith('malformed', () => parseCsr(new Uint8Array(0)));
    const der = loadCsr('p256-full');
    for (let length = 0; length < der.length; length++) failsWith('malformed', () => parseCsr(der.subarray(0, length)));
    failsWith('malformed', () => parseCsr(Buffer.concat([der, Buffer.from([0x00])])), /trailing/);
  });

  it('rejects a version other than v1', () => {
    failsWith('malformed', () => parseCsr(buildCsr(p256Signer, { version: 1 })), /version 1 is not v1/);
  });

  it('rejects an algorithm that does not fit the key', () => {
    const csr = buildCsr(p256Signer, { algorithmIdentifierDer: algorithmIdentifierDer('rsa-pkcs1-sha256') });
    failsWith('bad_signature', () => parseAndVerify(csr), /rsa algorithm but has a ec key/);
  });

  it('rejects RSA-PSS with default (SHA-1) parameters', () => {
    const rsa = createSigner(generateKeyPair({ kind: 'rsa', bits: 2048 }).pkcs8Der);
    const pssDefaults = encodeSequence(encodeOid(SignatureAlgorithmOid.rsassaPss), encodeSequence());
    failsWith('unsupported_algorithm', () => parseAndVerify(buildCsr(rsa, { algorithmIdentifierDer: pssDefaults })), /SHA-1/);
    const pssSha1 = encodeSequence(
      encodeOid(SignatureAlgorithmOid.rsassaPss),
      encodeSequence(encodeExplicit(0, encodeSequence(encodeOid(HashOid.sha1), DER_NULL))),
    );
    failsWith('unsupported_algorithm', () => parseAndVerify(buildCsr(rsa, { algorithmIdentifierDer: pssSha1 })), /SHA-2/);
  });

  it('accepts RSA-PSS made by our own signer', () => {
    const rsa = createSigner(generateKeyPair({ kind: 'rsa', bits: 2048 }).pkcs8Der, { algorithm: 'rsa-pss-sha384' });
    assert.equal(parseAndVerify(buildCsr(rsa)).signatureAlgorithm, SignatureAlgorithmOid.rsassaPss);
  });
});

describe('CSR attribute edge cases', () => {
  const sanExtension = (critical: boolean | undefined) =>
    encodeSequence(
      encodeOid(ExtensionOid.subjectAltName),
      ...(critical === undefined ? [] : [encodeBoolean(critical)]),
      encodeOctetString(encodeSequence(Uint8Array.of(0x82, 3, 0x61, 0x2e, 0x62))),
    );
  const extensionRequest = (...extensions: Uint8Array[]) =>
    csrAttribute(Pkcs9AttributeOid.extensionRequest, encodeSequence(...extensions));

  it('accepts a request without the [0] attributes field', () => {
    const csr = parseAndVerify(buildCsr(p256Signer, { attributes: null }));
    assert.deepEqual(csr.requestedExtensions, []);
    assert.deepEqual(csr.sans, []);
  });

  it('tolerates an explicit critical FALSE and reads the SAN', () => {
    const csr = parseAndVerify(buildCsr(p256Signer, { attributes: [extensionRequest(sanExtension(false))] }));
    assert.deepEqual(csr.sans, [{ type: 'dns', value: 'a.b' }]);
  });

  it('accepts the Microsoft extension attribute as extensionRequest', () => {
    const attribute = csrAttribute(Pkcs9AttributeOid.msCertExtensions, encodeSequence(sanExtension(undefined)));
    assert.deepEqual(parseAndVerify(buildCsr(p256Signer, { attributes: [attribute] })).sans, [{ type: 'dns', value: 'a.b' }]);
  });

  it('rejects duplicate extensions, duplicate attributes and multi-valued single-value attributes', () => {
    failsWith('malformed', () => parseCsr(buildCsr(p256Signer, { attributes: [extensionRequest(sanExtension(undefined), sanExtension(true))] })), /more than once/);
    const password = csrAttribute(Pkcs9AttributeOid.challengePassword, encodeUtf8String('a'));
    failsWith('malformed', () => parseCsr(buildCsr(p256Signer, { attributes: [password, password] })), /more than once/);
    const twoPasswords = csrAttribute(Pkcs9AttributeOid.challengePassword, encodeUtf8String('a'), encodeUtf8String('b'));
    failsWith('malformed', () => parseCsr(buildCsr(p256Signer, { attributes: [twoPasswords] })), /exactly one/);
  });

  it('rejects a malformed SAN inside the extension request', () => {
    const badIp = encodeSequence(
      encodeOid(ExtensionOid.subjectAltName),
      encodeOctetString(encodeSequence(Uint8Array.of(0x87, 3, 1, 2, 3))),
    );
    failsWith('malformed', () => parseCsr(buildCsr(p256Signer, { attributes: [extensionRequest(badIp)] })), /iPAddress has 3 octets/);
  });

  it('ignores unknown attributes but not empty ones', () => {
    const unknown = csrAttribute('1.2.3.4', encodeSmallInteger(7));
    assert.equal(parseAndVerify(buildCsr(p256Signer, { attributes: [unknown] })).challengePassword, undefined);
    failsWith('malformed', () => parseCsr(buildCsr(p256Signer, { attributes: [csrAttribute('1.2.3.4')] })), /no value/);
  });
});
