/** BER → DER for answers from other EST servers: real BER from openssl and python; CSRs stay strict DER. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berToDer } from '../../src/crypto/ber.js';
import { parseCsr } from '../../src/crypto/csr.js';
import { decodePem } from '../../src/crypto/pem.js';
import { decodeCertsOnlyPkcs7, decodeCertsOnlyPkcs7Ber, encodeCertsOnlyPkcs7 } from '../../src/crypto/pkcs7.js';
import { opensslStreamedSignedData, pythonBerCertsOnly } from '../support/ber.js';
import { openssl } from '../support/tools.js';

let dir: string;
const certs: Buffer[] = [];
const pems: string[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'signet-ber-'));
  for (const name of ['a', 'b']) {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-subj', `/CN=${name}`, '-days', '1']);
    pems.push(readFileSync(join(dir, `${name}.pem`), 'utf8'));
    certs.push(Buffer.from(decodePem(pems.at(-1)!)[0].der));
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('BER certs-only PKCS#7', () => {
  it('reads `openssl cms -stream` output (indefinite lengths, chunked eContent) that strict DER refuses', () => {
    const ber = opensslStreamedSignedData(join(dir, 'a.pem'), join(dir, 'a.key'));
    assert.deepEqual([ber[0], ber[1]], [0x30, 0x80], 'openssl streamed an indefinite length');
    assert.throws(() => decodeCertsOnlyPkcs7(ber), /malformed|length/i);
    assert.deepEqual(decodeCertsOnlyPkcs7Ber(ber).map((der) => Buffer.from(der)), [certs[0]]);
  });

  it('reads a python-built BER certs-only structure, certificates byte for byte and in order', () => {
    const ber = pythonBerCertsOnly(pems[1] + pems[0]);
    assert.throws(() => decodeCertsOnlyPkcs7(ber));
    assert.deepEqual(decodeCertsOnlyPkcs7Ber(ber).map((der) => Buffer.from(der)), [certs[1], certs[0]]);
  });

  it('gives DER back unchanged', () => {
    const der = encodeCertsOnlyPkcs7(certs);
    assert.deepEqual(Buffer.from(berToDer(der)), Buffer.from(der));
    const crl2pkcs7 = Buffer.from(openssl(['crl2pkcs7', '-nocrl', '-certfile', join(dir, 'a.pem'), '-outform', 'PEM']).replace(/-----[^-]+-----|\s+/g, ''), 'base64');
    assert.deepEqual(Buffer.from(berToDer(crl2pkcs7)), crl2pkcs7);
  });

  it('joins constructed OCTET and BIT STRING segments', () => {
    assert.deepEqual([...berToDer(Uint8Array.of(0x24, 0x80, 0x04, 0x01, 0xaa, 0x24, 0x03, 0x04, 0x01, 0xbb, 0x00, 0x00))], [0x04, 0x02, 0xaa, 0xbb]);
    assert.deepEqual([...berToDer(Uint8Array.of(0x23, 0x08, 0x03, 0x02, 0x00, 0xaa, 0x03, 0x02, 0x04, 0xb0))], [0x03, 0x03, 0x04, 0xaa, 0xb0]);
  });

  it('refuses what is not BER', () => {
    const cases: [string, number[]][] = [
      ['no end-of-contents', [0x30, 0x80, 0x02, 0x01, 0x01]],
      ['indefinite primitive', [0x04, 0x80, 0x00, 0x00]],
      ['length past the end', [0x30, 0x05, 0x02, 0x01]],
      ['trailing bytes', [0x05, 0x00, 0x05]],
      ['mixed string segments', [0x24, 0x80, 0x0c, 0x01, 0x41, 0x00, 0x00]],
      ['stray end-of-contents', [0x30, 0x02, 0x00, 0x00]],
    ];
    for (const [what, bytes] of cases) assert.throws(() => berToDer(Uint8Array.from(bytes)), /BER|constructed|end-of-contents/, what);
  });

  it('leaves CSRs strict: a BER-wrapped CSR is refused by parseCsr', () => {
    const csr = Buffer.from(decodePem(openssl(['req', '-new', '-key', join(dir, 'a.key'), '-subj', '/CN=a']))[0].der);
    assert.doesNotThrow(() => parseCsr(csr));
    const headerLength = 2 + (csr[1] & 0x7f);
    const ber = Buffer.concat([Buffer.of(0x30, 0x80), csr.subarray(headerLength), Buffer.of(0, 0)]);
    assert.deepEqual(Buffer.from(berToDer(ber)), csr);
    assert.throws(() => parseCsr(ber));
  });
});
