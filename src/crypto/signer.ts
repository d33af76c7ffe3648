/**
 * The signer port: whoever holds a private key turns bytes (a TBSCertificate, a CRL, an OCSP response) into a
 * signature in the form X.509 carries it (ECDSA as DER). Two implementations: node:crypto (the default: P-256 sign
 * measured at ~30k/s) and @noble/curves (pure JS, ~20-40x slower; kept for cross-checks and for environments without
 * OpenSSL's curves).
 */
import type { KeySpec } from '../domain/x509.js';
import type { SignatureAlgorithm } from './algorithms.js';
import { createNobleSigner } from './noble-signer.js';
import { createNodeSigner } from './node-signer.js';

export interface Signer {
  readonly algorithm: SignatureAlgorithm;
  /** The AlgorithmIdentifier DER to put in the TBS and around the signature. */
  readonly algorithmIdentifierDer: Uint8Array;
  readonly keySpec: KeySpec;
  /** The public half, as SubjectPublicKeyInfo DER. */
  readonly spkiDer: Uint8Array;
  sign(data: Uint8Array): Uint8Array;
}

export type SignerImpl = 'node' | 'noble';

export interface SignerOptions {
  impl?: SignerImpl;
  /** Defaults to the key's natural algorithm: ecdsa-sha256 (P-256), ecdsa-sha384 (P-384), ed25519, rsa-pkcs1-sha256. */
  algorithm?: SignatureAlgorithm;
}

/**
 * A signer for a PKCS#8 DER private key, parsed once. Fails with CryptoInputError 'malformed', 'unsupported_key'
 * (including RSA with impl 'noble') or 'unsupported_algorithm' (an algorithm that does not fit the key).
 */
export function createSigner(pkcs8Der: Uint8Array, options: SignerOptions = {}): Signer {
  return options.impl === 'noble'
    ? createNobleSigner(pkcs8Der, options.algorithm)
    : createNodeSigner(pkcs8Der, options.algorithm);
}

export { verifySignature } from './verify.js';
