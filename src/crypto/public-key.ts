/**
 * SubjectPublicKeyInfo: structure, the keys Signet accepts, fast import into node:crypto, and key identifiers.
 *
 * RFC 5280 4.1:
 *   SubjectPublicKeyInfo ::= SEQUENCE {
 *     algorithm            AlgorithmIdentifier,
 *     subjectPublicKey     BIT STRING }
 *   AlgorithmIdentifier ::= SEQUENCE {
 *     algorithm            OBJECT IDENTIFIER,
 *     parameters           ANY DEFINED BY algorithm OPTIONAL }
 * RFC 5480 2.1.1: ECParameters ::= CHOICE { namedCurve OBJECT IDENTIFIER, ... } (only namedCurve is allowed)
 * RFC 8017 A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
 * RFC 8410 3: for Ed25519 the parameters MUST be absent.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { KeySpec } from '../domain/x509.js';
import { toBase64Url } from './bytes.js';
import {
  DER_NULL,
  Tag,
  decodeOid,
  encodeBitString,
  encodeOid,
  encodeSequence,
  readSingle,
  unsignedIntegerBytes,
} from './der.js';
import { CryptoInputError, malformed } from './errors.js';
import { CurveOid, KeyAlgorithmOid } from './oids.js';

export const MIN_RSA_BITS = 2048;
/** RSA verification cost grows with the square of the modulus; bigger keys are a denial-of-service lever. */
export const MAX_RSA_BITS = 8192;

export interface SpkiStructure {
  algorithmOid: string;
  /** The parameters TLV, if any. */
  parameters?: Uint8Array;
  /** The subjectPublicKey BIT STRING's octets: an EC point, an Ed25519 key, or RSAPublicKey DER. */
  publicKeyBytes: Uint8Array;
}

/** A key Signet accepts, with what import and key identifiers need. */
export interface PublicKeyInfo extends SpkiStructure {
  spec: KeySpec;
  spkiDer: Uint8Array;
  /** RSA only: unsigned big-endian modulus and exponent. */
  rsa?: { modulus: Uint8Array; exponent: Uint8Array };
}

/** The SPKI's parts, any algorithm, checked only for structure. */
export function readSpki(spkiDer: Uint8Array): SpkiStructure {
  const { reader, tlv } = readSingle(spkiDer, Tag.SEQUENCE, 'SubjectPublicKeyInfo');
  const spki = reader.child(tlv);
  const algorithm = spki.enter(Tag.SEQUENCE, 'AlgorithmIdentifier');
  const algorithmOid = algorithm.readOid('key algorithm');
  const parameters = algorithm.atEnd ? undefined : algorithm.raw(algorithm.next());
  algorithm.finish('AlgorithmIdentifier');
  const publicKeyBytes = spki.readOctetAlignedBitString('subjectPublicKey');
  spki.finish('SubjectPublicKeyInfo');
  return { algorithmOid, parameters, publicKeyBytes };
}

const curveByOid = new Map<string, 'P-256' | 'P-384'>([
  [CurveOid['P-256'], 'P-256'],
  [CurveOid['P-384'], 'P-384'],
]);
const coordinateLength = { 'P-256': 32, 'P-384': 48 } as const;

function unsupportedKey(message: string): CryptoInputError {
  return new CryptoInputError('unsupported_key', message);
}

function bitLength(magnitude: Uint8Array): number {
  return magnitude.length === 0 ? 0 : (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]));
}

function parseEc(structure: SpkiStructure): KeySpec {
  if (!structure.parameters || structure.parameters[0] !== Tag.OID) {
    throw unsupportedKey('EC keys must name their curve');
  }
  const named = readSingle(structure.parameters, Tag.OID, 'namedCurve');
  const curveOid = decodeOid(named.reader.content(named.tlv));
  const curve = curveByOid.get(curveOid);
  if (!curve) throw unsupportedKey(`EC curve ${curveOid} is not supported (P-256 and P-384 are)`);
  const point = structure.publicKeyBytes;
  const size = coordinateLength[curve];
  const uncompressed = point.length === 1 + 2 * size && point[0] === 0x04;
  const compressed = point.length === 1 + size && (point[0] === 0x02 || point[0] === 0x03);
  if (!uncompressed && !compressed) throw malformed(`EC point is not a valid ${curve} point encoding`);
  return { kind: 'ec', curve };
}

function parseRsa(structure: SpkiStructure): { spec: KeySpec; rsa: { modulus: Uint8Array; exponent: Uint8Array } } {
  if (structure.parameters && (structure.parameters.length !== 2 || structure.parameters[0] !== Tag.NULL)) {
    throw malformed('rsaEncryption parameters must be NULL');
  }
  const { reader, tlv } = readSingle(structure.publicKeyBytes, Tag.SEQUENCE, 'RSAPublicKey');
  const key = reader.child(tlv);
  const modulus = unsignedIntegerBytes(key.readInteger('modulus'));
  const exponent = unsignedIntegerBytes(key.readInteger('publicExponent'));
  key.finish('RSAPublicKey');
  const bits = bitLength(modulus);
  if (bits < MIN_RSA_BITS) throw unsupportedKey(`RSA keys of ${bits} bits are too small (${MIN_RSA_BITS} minimum)`);
  if (bits > MAX_RSA_BITS) throw unsupportedKey(`RSA keys of ${bits} bits are too large (${MAX_RSA_BITS} maximum)`);
  if (exponent.length > 8 || (exponent[exponent.length - 1] & 1) === 0 || bitLength(exponent) < 2) {
    throw unsupportedKey('RSA public exponent must be odd, at least 3 and at most 64 bits');
  }
  return { spec: { kind: 'rsa', bits }, rsa: { modulus, exponent } };
}

/** Parses an SPKI and checks the key is one Signet accepts: P-256, P-384, Ed25519, RSA 2048..8192. */
export function parseSpki(spkiDer: Uint8Array): PublicKeyInfo {
  const structure = readSpki(spkiDer);
  switch (structure.algorithmOid) {
    case KeyAlgorithmOid.ecPublicKey:
      return { ...structure, spkiDer, spec: parseEc(structure) };
    case KeyAlgorithmOid.ed25519:
      if (structure.parameters) throw malformed('Ed25519 key parameters must be absent');
      if (structure.publicKeyBytes.length !== 32) throw malformed('Ed25519 public key must be 32 bytes');
      return { ...structure, spkiDer, spec: { kind: 'ed25519' } };
    case KeyAlgorithmOid.rsaEncryption:
      return { ...structure, spkiDer, ...parseRsa(structure) };
    case KeyAlgorithmOid.rsassaPss:
      throw unsupportedKey('RSA-PSS-restricted keys are not supported; use an rsaEncryption key');
    default:
      throw unsupportedKey(`public key algorithm ${structure.algorithmOid} is not supported`);
  }
}

/**
 * Imports the key into node:crypto the fastest way measured on Node 20 / OpenSSL 3.0 (createPublicKey, µs):
 * P-256 JWK 46 vs SPKI 91; P-384 JWK 320 vs SPKI 91; Ed25519 JWK 5 vs SPKI 70; RSA-2048 JWK 3 vs SPKI 93.
 * Compressed EC points have no JWK form and go through SPKI.
 */
export function importPublicKey(info: PublicKeyInfo): KeyObject {
  try {
    const { spec, publicKeyBytes } = info;
    if (spec.kind === 'ec' && spec.curve === 'P-256' && publicKeyBytes[0] === 0x04) {
      return createPublicKey({
        key: {
          kty: 'EC',
          crv: 'P-256',
          x: toBase64Url(publicKeyBytes.subarray(1, 33)),
          y: toBase64Url(publicKeyBytes.subarray(33, 65)),
        },
        format: 'jwk',
      });
    }
    if (spec.kind === 'ed25519') {
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(publicKeyBytes) }, format: 'jwk' });
    }
    if (info.rsa) {
      return createPublicKey({
        key: { kty: 'RSA', n: toBase64Url(info.rsa.modulus), e: toBase64Url(info.rsa.exponent) },
        format: 'jwk',
      });
    }
    return createPublicKey({ key: Buffer.from(info.spkiDer), format: 'der', type: 'spki' });
  } catch {
    throw malformed('public key is not a valid key (not a point on the curve?)');
  }
}

/**
 * RFC 5280 4.2.1.2 method (1): the SHA-1 of the subjectPublicKey BIT STRING's value (no tag, length, unused-bits).
 * Used for both the subject key identifier and, from the issuer's SPKI, the authority key identifier.
 */
export function keyIdentifier(spkiDer: Uint8Array): Uint8Array {
  return keyIdentifierOfKeyBytes(readSpki(spkiDer).publicKeyBytes);
}

/** keyIdentifier for an SPKI already read: the SHA-1 of its subjectPublicKey octets. */
export function keyIdentifierOfKeyBytes(publicKeyBytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(publicKeyBytes).digest());
}

/** SPKI DER for a raw EC point (uncompressed) or Ed25519 public key. */
export function encodeSpki(spec: KeySpec, publicKeyBytes: Uint8Array): Uint8Array {
  switch (spec.kind) {
    case 'ec':
      return encodeSequence(
        encodeSequence(encodeOid(KeyAlgorithmOid.ecPublicKey), encodeOid(CurveOid[spec.curve])),
        encodeBitString(publicKeyBytes),
      );
    case 'ed25519':
      return encodeSequence(encodeSequence(encodeOid(KeyAlgorithmOid.ed25519)), encodeBitString(publicKeyBytes));
    case 'rsa':
      return encodeSequence(
        encodeSequence(encodeOid(KeyAlgorithmOid.rsaEncryption), DER_NULL),
        encodeBitString(publicKeyBytes),
      );
  }
}
