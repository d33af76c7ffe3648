import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CryptoInputError } from '../../src/crypto/errors.js';
import { decodeBodyToDer, decodePem, derToPem, dersToPem, pemToDer } from '../../src/crypto/pem.js';
import { loadCsr } from '../fixtures/crypto/helpers.js';

const der = loadCsr('p256-full');
const b64 = Buffer.from(der).toString('base64');

function badEncoding(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof CryptoInputError && e.code === 'bad_encoding');
}

describe('PEM', () => {
  it('encodes with 64-column lines and decodes back', () => {
    const pem = derToPem(der, 'CERTIFICATE REQUEST');
    assert.match(pem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    assert.ok(pem.split('\n').every((line) => line.length <= 64));
    assert.deepEqual(pemToDer(pem, 'CERTIFICATE REQUEST'), der);
  });

  it('decodes several blocks with any labels, ignoring text around them', () => {
    const text = `subject=foo\n${dersToPem([der, Uint8Array.of(0x30, 0)], 'CERTIFICATE')}junk\n${derToPem(Uint8Array.of(5, 0), 'X')}`;
    const blocks = decodePem(text.replace(/\n/g, '\r\n'));
    assert.deepEqual(
      blocks.map((b) => b.label),
      ['CERTIFICATE', 'CERTIFICATE', 'X'],
    );
    assert.deepEqual(blocks[0].der, der);
    badEncoding(() => pemToDer(text, 'CERTIFICATE'));
    badEncoding(() => pemToDer(text, 'PRIVATE KEY'));
  });

  it('rejects mismatched labels, bad base64 and text without PEM', () => {
    badEncoding(() => decodePem('-----BEGIN A-----\nAAAA\n-----END B-----\n'));
    badEncoding(() => decodePem('-----BEGIN A-----\nAA!A\n-----END A-----\n'));
    badEncoding(() => decodePem('hello'));
  });
});

describe('decodeBodyToDer', () => {
  it('passes raw DER through', () => {
    assert.equal(decodeBodyToDer(der), der);
  });

  it('accepts PEM as text or bytes', () => {
    const pem = derToPem(der, 'CERTIFICATE REQUEST');
    assert.deepEqual(decodeBodyToDer(pem), der);
    assert.deepEqual(decodeBodyToDer(Buffer.from(pem)), der);
  });

  it('accepts base64 with CRLF, spaces and tabs (RFC 8951)', () => {
    const wrapped = b64.replace(/(.{76})/g, '$1\r\n') + '\r\n';
    assert.deepEqual(decodeBodyToDer(Buffer.from(wrapped)), der);
    assert.deepEqual(decodeBodyToDer(` \t${b64.slice(0, 10)} ${b64.slice(10)}\n`), der);
    assert.deepEqual(decodeBodyToDer(b64.replace(/=+$/, '')), der);
  });

  it('rejects what is not DER in any of the forms', () => {
    badEncoding(() => decodeBodyToDer(Buffer.from('not base64 at all!')));
    badEncoding(() => decodeBodyToDer(Buffer.from('')));
    badEncoding(() => decodeBodyToDer(Buffer.from('AAAA')));
    badEncoding(() => decodeBodyToDer(Buffer.concat([der, Buffer.from([0])]).toString('base64')));
  });
});
