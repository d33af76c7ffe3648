import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { csrAttributeValues, DecryptKeyOid, encodeCsrAttrs } from '../../src/app/est/pkcs10.js';
import { DerReader, encodeOctetString, encodeOid } from '../../src/crypto/der.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { Pkcs9AttributeOid } from '../../src/crypto/oids.js';
import { derToPem } from '../../src/crypto/pem.js';
import { createSigner } from '../../src/crypto/signer.js';
import { HttpError } from '../../src/http/errors.js';
import { base64Lines, decodeCsrBody, multipartMixed } from '../../src/http/est/wire.js';
import { buildCsr as buildFixtureCsr, csrAttribute, loadCsr } from '../fixtures/crypto/helpers.js';
import { openssl } from '../support/tools.js';

const signer = createSigner(generateKeyPair({ kind: 'ec', curve: 'P-256' }).pkcs8Der);

describe('EST PKCS#10 helpers', () => {
  test('CsrAttrs: bare OIDs and attributes with sorted OID values, as openssl reads them', () => {
    const der = encodeCsrAttrs([{ oid: '1.2.840.113549.1.9.7' }, { oid: '1.2.840.10045.2.1', values: ['1.3.132.0.34', '1.2.840.10045.3.1.7'] }, { oid: '1.2.840.10045.4.3.3' }]);
    const dump = openssl(['asn1parse', '-inform', 'DER'], der);
    assert.match(dump, /OBJECT\s+:challengePassword/);
    assert.match(dump, /OBJECT\s+:id-ecPublicKey\n.*SET\s*\n.*OBJECT\s+:secp384r1\n.*OBJECT\s+:prime256v1/);
    assert.match(dump, /OBJECT\s+:ecdsa-with-SHA384/);
    assert.deepEqual(encodeCsrAttrs([]), Uint8Array.of(0x30, 0));
  });

  test('reads attributes the strict parser leaves alone, such as AsymmetricDecryptKeyIdentifier', () => {
    const keyId = encodeOctetString(Uint8Array.of(1, 2, 3, 4));
    const csr = buildFixtureCsr(signer, { attributes: [csrAttribute(Pkcs9AttributeOid.challengePassword, Uint8Array.of(0x0c, 1, 0x61)), csrAttribute(DecryptKeyOid.asymmetric, keyId)] });
    const values = csrAttributeValues(csr, DecryptKeyOid.asymmetric);
    assert.deepEqual(values, [keyId]);
    assert.deepEqual(new DerReader(values![0]).readOctetString(), Uint8Array.of(1, 2, 3, 4));
    assert.equal(csrAttributeValues(csr, DecryptKeyOid.symmetric), undefined);
    assert.equal(csrAttributeValues(buildFixtureCsr(signer, { attributes: null }), DecryptKeyOid.asymmetric), undefined);
  });
});

describe('EST wire format', () => {
  const csr = loadCsr('p256-full');

  test('base64 bodies come in 64-column lines', () => {
    const text = base64Lines(csr);
    const lines = text.split('\n');
    assert.equal(lines.pop(), '');
    assert.ok(lines.slice(0, -1).every((line) => line.length === 64));
    assert.deepEqual(new Uint8Array(Buffer.from(text, 'base64')), csr);
  });

  test('request bodies: base64 (any whitespace), raw DER and PEM all decode; garbage is a 400', () => {
    const b64 = Buffer.from(csr).toString('base64');
    for (const body of [b64, base64Lines(csr), b64.replace(/(.{10})/g, '$1\r\n  '), derToPem(csr, 'CERTIFICATE REQUEST')]) {
      assert.deepEqual(decodeCsrBody(Buffer.from(body)), csr);
    }
    assert.deepEqual(new Uint8Array(decodeCsrBody(Buffer.from(csr))), csr);
    for (const body of [Buffer.alloc(0), Buffer.from('not a request!'), Buffer.from('AAAA')]) {
      assert.throws(() => decodeCsrBody(body), (error: unknown) => error instanceof HttpError && error.status === 400);
    }
  });

  test('multipart/mixed: each part with its type and base64, closed by the final boundary', () => {
    const { contentType, body } = multipartMixed([
      { contentType: 'application/pkcs8', der: Uint8Array.of(1, 2, 3) },
      { contentType: 'application/pkcs7-mime; smime-type=certs-only', der: encodeOid('1.2.3') },
    ]);
    const boundary = /^multipart\/mixed; boundary=(est-[0-9a-f]{24})$/.exec(contentType)?.[1];
    assert.ok(boundary);
    const parts = body.split(`--${boundary}`);
    assert.deepEqual(parts.map((p) => p.slice(0, 2)), ['', '\r\n', '\r\n', '--']);
    assert.equal(parts[1], '\r\nContent-Type: application/pkcs8\r\nContent-Transfer-Encoding: base64\r\n\r\nAQID\n\r\n');
    assert.match(parts[2], /^\r\nContent-Type: application\/pkcs7-mime; smime-type=certs-only\r\n/);
    assert.equal(parts[3], '--\r\n');
  });
});
