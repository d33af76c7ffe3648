/** Key pair generation with node:crypto, straight to the DER forms Signet stores (PKCS#8) and certifies (SPKI). */
import { generateKeyPairSync } from 'node:crypto';
import type { KeySpec } from '../domain/x509.js';
import { CryptoInputError } from './errors.js';

export interface GeneratedKeyPair {
  pkcs8Der: Uint8Array;
  spkiDer: Uint8Array;
}

const RSA_SIZES = new Set([2048, 3072, 4096]);
const publicKeyEncoding = { type: 'spki', format: 'der' } as const;
const privateKeyEncoding = { type: 'pkcs8', format: 'der' } as const;

/** Synchronous (RSA-4096 takes seconds): run it in a worker. */
export function generateKeyPair(spec: KeySpec): GeneratedKeyPair {
  const { privateKey, publicKey } = generateDer(spec);
  return { pkcs8Der: new Uint8Array(privateKey), spkiDer: new Uint8Array(publicKey) };
}

function generateDer(spec: KeySpec): { privateKey: Buffer; publicKey: Buffer } {
  switch (spec.kind) {
    case 'ec':
      return generateKeyPairSync('ec', { namedCurve: spec.curve, publicKeyEncoding, privateKeyEncoding });
    case 'ed25519':
      return generateKeyPairSync('ed25519', { publicKeyEncoding, privateKeyEncoding });
    case 'rsa':
      if (!RSA_SIZES.has(spec.bits)) {
        throw new CryptoInputError('unsupported_key', `RSA key size ${spec.bits} is not one of 2048, 3072, 4096`);
      }
      return generateKeyPairSync('rsa', { modulusLength: spec.bits, publicExponent: 65537, publicKeyEncoding, privateKeyEncoding });
  }
}
