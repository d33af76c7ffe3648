import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import type { KeySpec } from '../../src/domain/x509.js';
import {
  algorithmIdentifierDer,
  parseSignatureAlgorithm,
  signatureAlgorithms,
  signatureScheme,
} from '../../src/crypto/algorithms.js';
import { CryptoInputError } from '../../src/crypto/errors.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { parseSpki } from '../../src/crypto/public-key.js';
import { createSigner, verifySignature } from '../../src/crypto/signer.js';

const data = randomBytes(300);
const code = (c: string) => (e: unknown) => e instanceof CryptoInputError && e.code === c;

describe('keygen', () => {
  const specs: KeySpec[] = [
    { kind: 'ec', curve: 'P-256' },
    { kind: 'ec', curve: 'P-384' },
    { kind: 'ed25519' },
    { kind: 'rsa', bits: 2048 },
  ];
  for (const spec of specs) {
    it(`generates ${JSON.stringify(spec)} as PKCS#8 + SPKI DER`, () => {
      const pair = generateKeyPair(spec);
      assert.deepEqual(parseSpki(pair.spkiDer).spec, spec);
      assert.deepEqual(createSigner(pair.pkcs8Der).spkiDer, pair.spkiDer);
    });
  }

  it('refuses RSA sizes other than 2048/3072/4096', () => {
    assert.throws(() => generateKeyPair({ kind: 'rsa', bits: 1024 }), code('unsupported_key'));
    assert.throws(() => generateKeyPair({ kind: 'rsa', bits: 2050 }), code('unsupported_key'));
  });
});

describe('node and noble signers cross-check', () => {
  const nobleVerifiers = {
    'P-256': (sig: Uint8Array, pub: Uint8Array) => p256.verify(sig, data, pub, { format: 'der', lowS: false }),
    'P-384': (sig: Uint8Array, pub: Uint8Array) => p384.verify(sig, data, pub, { format: 'der', lowS: false }),
  };

  for (const curve of ['P-256', 'P-384'] as const) {
    it(`${curve}: same public key; each verifies the other's signatures`, () => {
      const { pkcs8Der, spkiDer } = generateKeyPair({ kind: 'ec', curve });
      const node = createSigner(pkcs8Der);
      const noble = createSigner(pkcs8Der, { impl: 'noble' });
      assert.deepEqual(noble.spkiDer, spkiDer);
      assert.equal(noble.algorithm, node.algorithm);
      assert.deepEqual(noble.algorithmIdentifierDer, node.algorithmIdentifierDer);
      const point = parseSpki(spkiDer).publicKeyBytes;
      for (let i = 0; i < 10; i++) {
        const nodeSignature = node.sign(data);
        const nobleSignature = noble.sign(data);
        assert.ok(verifySignature(spkiDer, node.algorithm, data, nobleSignature), 'node verifies noble');
        assert.ok(nobleVerifiers[curve](nodeSignature, point), 'noble verifies node');
        assert.equal(nodeSignature[0], 0x30, 'ECDSA signatures are DER');
      }
      const tampered = new Uint8Array(node.sign(data));
      tampered[tampered.length - 1] ^= 1;
      assert.equal(verifySignature(spkiDer, node.algorithm, data, tampered), false);
    });
  }

  it('Ed25519: both produce the identical (deterministic) signature', () => {
    const { pkcs8Der, spkiDer } = generateKeyPair({ kind: 'ed25519' });
    const node = createSigner(pkcs8Der);
    const noble = createSigner(pkcs8Der, { impl: 'noble' });
    assert.deepEqual(noble.spkiDer, spkiDer);
    assert.deepEqual(Buffer.from(noble.sign(data)), Buffer.from(node.sign(data)));
    assert.ok(ed25519.verify(node.sign(data), data, parseSpki(spkiDer).publicKeyBytes));
    assert.ok(verifySignature(spkiDer, 'ed25519', data, noble.sign(data)));
  });

  it('noble refuses RSA keys and algorithms other than the natural one', () => {
    const rsa = generateKeyPair({ kind: 'rsa', bits: 2048 });
    assert.throws(() => createSigner(rsa.pkcs8Der, { impl: 'noble' }), code('unsupported_key'));
    const ec = generateKeyPair({ kind: 'ec', curve: 'P-256' });
    assert.throws(() => createSigner(ec.pkcs8Der, { impl: 'noble', algorithm: 'ecdsa-sha384' }), code('unsupported_algorithm'));
  });
});

describe('node signer', () => {
  for (const bits of [2048, 3072, 4096]) {
    it(`RSA-${bits}: PKCS#1 v1.5 by default, PSS on request`, () => {
      const { pkcs8Der, spkiDer } = generateKeyPair({ kind: 'rsa', bits });
      const signer = createSigner(pkcs8Der);
      assert.equal(signer.algorithm, 'rsa-pkcs1-sha256');
      assert.deepEqual(signer.keySpec, { kind: 'rsa', bits });
      assert.ok(verifySignature(spkiDer, 'rsa-pkcs1-sha256', data, signer.sign(data)));
      assert.equal(verifySignature(spkiDer, 'rsa-pkcs1-sha384', data, signer.sign(data)), false);
      const pss = createSigner(pkcs8Der, { algorithm: 'rsa-pss-sha512' });
      assert.ok(verifySignature(spkiDer, 'rsa-pss-sha512', data, pss.sign(data)));
    });
  }

  it('refuses algorithms that do not fit the key, and garbage keys', () => {
    const ec = generateKeyPair({ kind: 'ec', curve: 'P-256' });
    assert.equal(createSigner(ec.pkcs8Der, { algorithm: 'ecdsa-sha384' }).algorithm, 'ecdsa-sha384');
    assert.throws(() => createSigner(ec.pkcs8Der, { algorithm: 'ed25519' }), code('unsupported_algorithm'));
    assert.throws(() => createSigner(randomBytes(64)), code('malformed'));
  });

  it('verifySignature answers false for a signature from another key type', () => {
    const ec = generateKeyPair({ kind: 'ec', curve: 'P-256' });
    const ed = createSigner(generateKeyPair({ kind: 'ed25519' }).pkcs8Der);
    assert.equal(verifySignature(ec.spkiDer, 'ed25519', data, ed.sign(data)), false);
  });
});

describe('signature AlgorithmIdentifiers', () => {
  it('every signing algorithm parses back to its own scheme', () => {
    for (const algorithm of signatureAlgorithms) {
      assert.deepEqual(parseSignatureAlgorithm(algorithmIdentifierDer(algorithm)), signatureScheme(algorithm), algorithm);
    }
  });

  it('encodes ECDSA without parameters and RSA PKCS#1 with NULL', () => {
    assert.equal(Buffer.from(algorithmIdentifierDer('ecdsa-sha256')).toString('hex'), '300a06082a8648ce3d040302');
    assert.equal(Buffer.from(algorithmIdentifierDer('rsa-pkcs1-sha256')).toString('hex'), '300d06092a864886f70d01010b0500');
    assert.equal(Buffer.from(algorithmIdentifierDer('ed25519')).toString('hex'), '300506032b6570');
  });
});
