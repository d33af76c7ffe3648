/**
 * Signature algorithms: the ones Signet signs with (names and AlgorithmIdentifier DER) and the wider set it accepts
 * when verifying (any SHA-2 hash; never MD5 or SHA-1).
 *
 * RFC 5280 4.1.1.2:
 *   AlgorithmIdentifier ::= SEQUENCE {
 *     algorithm   OBJECT IDENTIFIER,
 *     parameters  ANY DEFINED BY algorithm OPTIONAL }
 * RFC 5758 3.2: ecdsa-with-SHA* parameters MUST be absent. RFC 4055 5: sha*WithRSAEncryption parameters are NULL.
 * RFC 8410 3: Ed25519 parameters MUST be absent.
 * RFC 4055 3.1:
 *   RSASSA-PSS-params ::= SEQUENCE {
 *     hashAlgorithm      [0] HashAlgorithm DEFAULT sha1Identifier,
 *     maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1Identifier,
 *     saltLength         [2] INTEGER DEFAULT 20,
 *     trailerField       [3] INTEGER DEFAULT 1 }
 */
import type { KeySpec } from '../domain/x509.js';
import {
  DER_NULL,
  DerReader,
  Tag,
  contextTag,
  encodeExplicit,
  encodeOid,
  encodeSequence,
  encodeSmallInteger,
  readSingle,
} from './der.js';
import { CryptoInputError, malformed } from './errors.js';
import { HashOid, SignatureAlgorithmOid } from './oids.js';

export type SignatureAlgorithm =
  | 'ecdsa-sha256'
  | 'ecdsa-sha384'
  | 'ecdsa-sha512'
  | 'ed25519'
  | 'rsa-pkcs1-sha256'
  | 'rsa-pkcs1-sha384'
  | 'rsa-pkcs1-sha512'
  | 'rsa-pss-sha256'
  | 'rsa-pss-sha384'
  | 'rsa-pss-sha512';

export type HashName = 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** What node:crypto needs to verify: the key family, the hash (null for Ed25519), RSA padding. */
export type SignatureScheme =
  | { key: 'ec'; hash: HashName }
  | { key: 'ed25519'; hash: null }
  | { key: 'rsa'; hash: HashName; padding: 'pkcs1' }
  | { key: 'rsa'; hash: HashName; padding: 'pss'; saltLength: number };

const schemes: Record<SignatureAlgorithm, SignatureScheme> = {
  'ecdsa-sha256': { key: 'ec', hash: 'sha256' },
  'ecdsa-sha384': { key: 'ec', hash: 'sha384' },
  'ecdsa-sha512': { key: 'ec', hash: 'sha512' },
  ed25519: { key: 'ed25519', hash: null },
  'rsa-pkcs1-sha256': { key: 'rsa', hash: 'sha256', padding: 'pkcs1' },
  'rsa-pkcs1-sha384': { key: 'rsa', hash: 'sha384', padding: 'pkcs1' },
  'rsa-pkcs1-sha512': { key: 'rsa', hash: 'sha512', padding: 'pkcs1' },
  'rsa-pss-sha256': { key: 'rsa', hash: 'sha256', padding: 'pss', saltLength: 32 },
  'rsa-pss-sha384': { key: 'rsa', hash: 'sha384', padding: 'pss', saltLength: 48 },
  'rsa-pss-sha512': { key: 'rsa', hash: 'sha512', padding: 'pss', saltLength: 64 },
};

export const signatureAlgorithms = Object.keys(schemes) as SignatureAlgorithm[];

export function signatureScheme(algorithm: SignatureAlgorithm): SignatureScheme {
  return schemes[algorithm];
}

const ecdsaOidByHash: Record<HashName, string> = {
  sha224: SignatureAlgorithmOid.ecdsaWithSHA224,
  sha256: SignatureAlgorithmOid.ecdsaWithSHA256,
  sha384: SignatureAlgorithmOid.ecdsaWithSHA384,
  sha512: SignatureAlgorithmOid.ecdsaWithSHA512,
};
const rsaOidByHash: Record<HashName, string> = {
  sha224: SignatureAlgorithmOid.sha224WithRSAEncryption,
  sha256: SignatureAlgorithmOid.sha256WithRSAEncryption,
  sha384: SignatureAlgorithmOid.sha384WithRSAEncryption,
  sha512: SignatureAlgorithmOid.sha512WithRSAEncryption,
};

/** SHA-2 AlgorithmIdentifier with absent parameters, as OpenSSL and RFC 5754 write it. */
function hashAlgorithmIdentifier(hash: HashName): Uint8Array {
  return encodeSequence(encodeOid(HashOid[hash]));
}

function encodeAlgorithmIdentifier(scheme: SignatureScheme): Uint8Array {
  switch (scheme.key) {
    case 'ec':
      return encodeSequence(encodeOid(ecdsaOidByHash[scheme.hash]));
    case 'ed25519':
      return encodeSequence(encodeOid(SignatureAlgorithmOid.ed25519));
    case 'rsa':
      if (scheme.padding === 'pkcs1') return encodeSequence(encodeOid(rsaOidByHash[scheme.hash]), DER_NULL);
      return encodeSequence(
        encodeOid(SignatureAlgorithmOid.rsassaPss),
        encodeSequence(
          encodeExplicit(0, hashAlgorithmIdentifier(scheme.hash)),
          encodeExplicit(1, encodeSequence(encodeOid(HashOid.mgf1), hashAlgorithmIdentifier(scheme.hash))),
          encodeExplicit(2, encodeSmallInteger(scheme.saltLength)),
        ),
      );
  }
}

const identifierDers = new Map<SignatureAlgorithm, Uint8Array>(
  signatureAlgorithms.map((a) => [a, encodeAlgorithmIdentifier(schemes[a])]),
);

/** The AlgorithmIdentifier DER for a signing algorithm (shared instance; do not mutate). */
export function algorithmIdentifierDer(algorithm: SignatureAlgorithm): Uint8Array {
  return identifierDers.get(algorithm)!;
}

/** The algorithm Signet signs with for a key when nothing else is asked. */
export function defaultSignatureAlgorithm(spec: KeySpec): SignatureAlgorithm {
  switch (spec.kind) {
    case 'ec':
      return spec.curve === 'P-256' ? 'ecdsa-sha256' : 'ecdsa-sha384';
    case 'ed25519':
      return 'ed25519';
    case 'rsa':
      return 'rsa-pkcs1-sha256';
  }
}

export function algorithmFitsKey(algorithm: SignatureAlgorithm, spec: KeySpec): boolean {
  return schemes[algorithm].key === spec.kind;
}

// ---------------------------------------------------------------------------------------------------------------
// Verification side: any AlgorithmIdentifier from the wire.

function unsupported(message: string): CryptoInputError {
  return new CryptoInputError('unsupported_algorithm', message);
}

const hashNames: readonly HashName[] = ['sha224', 'sha256', 'sha384', 'sha512'];
const hashByOid = new Map<string, HashName>(hashNames.map((h) => [HashOid[h], h]));
const ecdsaHashByOid = new Map<string, HashName>(hashNames.map((h) => [ecdsaOidByHash[h], h]));
const rsaHashByOid = new Map<string, HashName>(hashNames.map((h) => [rsaOidByHash[h], h]));
const refused = new Map<string, string>([
  [SignatureAlgorithmOid.md5WithRSAEncryption, 'MD5 with RSA'],
  [SignatureAlgorithmOid.sha1WithRSAEncryption, 'SHA-1 with RSA'],
  [SignatureAlgorithmOid.ecdsaWithSHA1, 'ECDSA with SHA-1'],
  [SignatureAlgorithmOid.dsaWithSHA1, 'DSA with SHA-1'],
  [SignatureAlgorithmOid.ed448, 'Ed448'],
]);

function expectNoParameters(reader: DerReader, name: string): void {
  if (!reader.atEnd) throw malformed(`${name} signature algorithm parameters must be absent`);
}

function expectNullOrAbsent(reader: DerReader, name: string): void {
  if (!reader.atEnd) reader.readNull(`${name} parameters`);
  reader.finish(`${name} AlgorithmIdentifier`);
}

/** A hash AlgorithmIdentifier inside PSS parameters; NULL and absent parameters are both accepted (RFC 4055 2.1). */
function readHashIdentifier(reader: DerReader, what: string): HashName {
  const id = reader.enter(Tag.SEQUENCE, what);
  const oid = id.readOid(what);
  expectNullOrAbsent(id, what);
  const hash = hashByOid.get(oid);
  if (!hash) throw unsupported(`${what} ${oid} is not a SHA-2 hash`);
  return hash;
}

function readPssParameters(reader: DerReader): SignatureScheme {
  if (reader.atEnd) throw unsupported('RSA-PSS with default (SHA-1) parameters is not supported');
  const params = reader.enter(Tag.SEQUENCE, 'RSASSA-PSS-params');
  reader.finish('RSASSA-PSS AlgorithmIdentifier');
  const hashTlv = params.optional(contextTag(0, true));
  if (!hashTlv) throw unsupported('RSA-PSS with the default SHA-1 hash is not supported');
  const hash = readHashIdentifier(params.child(hashTlv), 'PSS hashAlgorithm');
  const mgfTlv = params.optional(contextTag(1, true));
  if (!mgfTlv) throw unsupported('RSA-PSS with the default MGF1-SHA-1 is not supported');
  const mgf = params.child(mgfTlv).enter(Tag.SEQUENCE, 'maskGenAlgorithm');
  if (mgf.readOid('maskGenAlgorithm') !== HashOid.mgf1) throw unsupported('RSA-PSS mask generation must be MGF1');
  // node:crypto always uses MGF1 with the signature hash.
  if (readHashIdentifier(mgf, 'MGF1 hash') !== hash) throw unsupported('RSA-PSS MGF1 hash must equal the signature hash');
  mgf.finish('maskGenAlgorithm');
  const saltTlv = params.optional(contextTag(2, true));
  const saltLength = saltTlv ? params.child(saltTlv).readSmallInteger('saltLength') : 20;
  const trailerTlv = params.optional(contextTag(3, true));
  if (trailerTlv && params.child(trailerTlv).readSmallInteger('trailerField') !== 1) {
    throw unsupported('RSA-PSS trailerField must be 1');
  }
  params.finish('RSASSA-PSS-params');
  if (saltLength > 1024) throw unsupported('RSA-PSS salt length is implausible');
  return { key: 'rsa', hash, padding: 'pss', saltLength };
}

/** Reads a signature AlgorithmIdentifier from the wire; fails with unsupported_algorithm for anything we refuse. */
export function parseSignatureAlgorithm(algorithmIdentifier: Uint8Array): SignatureScheme {
  const { reader, tlv } = readSingle(algorithmIdentifier, Tag.SEQUENCE, 'AlgorithmIdentifier');
  const id = reader.child(tlv);
  const oid = id.readOid('signature algorithm');
  const ecdsaHash = ecdsaHashByOid.get(oid);
  if (ecdsaHash) {
    expectNoParameters(id, 'ECDSA');
    return { key: 'ec', hash: ecdsaHash };
  }
  const rsaHash = rsaHashByOid.get(oid);
  if (rsaHash) {
    expectNullOrAbsent(id, 'RSA');
    return { key: 'rsa', hash: rsaHash, padding: 'pkcs1' };
  }
  if (oid === SignatureAlgorithmOid.ed25519) {
    expectNoParameters(id, 'Ed25519');
    return { key: 'ed25519', hash: null };
  }
  if (oid === SignatureAlgorithmOid.rsassaPss) return readPssParameters(id);
  const name = refused.get(oid);
  throw unsupported(name ? `${name} signatures are not accepted` : `signature algorithm ${oid} is not supported`);
}
