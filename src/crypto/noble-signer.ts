/**
 * The @noble/curves signer (P-256, P-384, Ed25519; no RSA). Reads the raw private key out of PKCS#8 itself, so it
 * shares nothing with the node:crypto path and makes an independent cross-check.
 *
 * RFC 5958 2:
 *   OneAsymmetricKey ::= SEQUENCE {
 *     version                   Version,
 *     privateKeyAlgorithm       PrivateKeyAlgorithmIdentifier,
 *     privateKey                PrivateKey,
 *     attributes            [0] Attributes OPTIONAL,
 *     ...,
 *     [[2: publicKey        [1] PublicKey OPTIONAL ]],
 *     ... }
 *   PrivateKey ::= OCTET STRING
 * RFC 5915 3:
 *   ECPrivateKey ::= SEQUENCE {
 *     version        INTEGER { ecPrivkeyVer1(1) } (ecPrivkeyVer1),
 *     privateKey     OCTET STRING,
 *     parameters [0] ECParameters {{ NamedCurve }} OPTIONAL,
 *     publicKey  [1] BIT STRING OPTIONAL }
 * RFC 8410 7: CurvePrivateKey ::= OCTET STRING
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import type { KeySpec } from '../domain/x509.js';
import { algorithmIdentifierDer, defaultSignatureAlgorithm, type SignatureAlgorithm } from './algorithms.js';
import { Tag, readSingle } from './der.js';
import { CryptoInputError, malformed } from './errors.js';
import { CurveOid, KeyAlgorithmOid } from './oids.js';
import { encodeSpki } from './public-key.js';
import type { Signer } from './signer.js';

const curves = { 'P-256': { noble: p256, size: 32 }, 'P-384': { noble: p384, size: 48 } } as const;
const curveByOid = new Map<string, 'P-256' | 'P-384'>([
  [CurveOid['P-256'], 'P-256'],
  [CurveOid['P-384'], 'P-384'],
]);

interface RawPrivateKey {
  spec: KeySpec;
  /** EC: the scalar d, left-padded to the curve size. Ed25519: the 32-byte seed. */
  secret: Uint8Array;
}

function readPkcs8(pkcs8Der: Uint8Array): RawPrivateKey {
  const { reader, tlv } = readSingle(pkcs8Der, Tag.SEQUENCE, 'PrivateKeyInfo');
  const info = reader.child(tlv);
  info.readSmallInteger('version');
  const algorithm = info.enter(Tag.SEQUENCE, 'privateKeyAlgorithm');
  const algorithmOid = algorithm.readOid('private key algorithm');
  const privateKey = info.readOctetString('privateKey');
  if (algorithmOid === KeyAlgorithmOid.ed25519) {
    const seed = readSingle(privateKey, Tag.OCTET_STRING, 'CurvePrivateKey');
    const secret = seed.reader.content(seed.tlv);
    if (secret.length !== 32) throw malformed('Ed25519 private key must be 32 bytes');
    return { spec: { kind: 'ed25519' }, secret };
  }
  if (algorithmOid !== KeyAlgorithmOid.ecPublicKey) {
    throw new CryptoInputError('unsupported_key', `the noble signer supports P-256, P-384 and Ed25519 keys only`);
  }
  const curve = curveByOid.get(algorithm.readOid('namedCurve'));
  if (!curve) throw new CryptoInputError('unsupported_key', 'the noble signer supports P-256 and P-384 curves only');
  const ec = readSingle(privateKey, Tag.SEQUENCE, 'ECPrivateKey');
  const ecKey = ec.reader.child(ec.tlv);
  if (ecKey.readSmallInteger('ECPrivateKey version') !== 1) throw malformed('ECPrivateKey version must be 1');
  const d = ecKey.readOctetString('ECPrivateKey privateKey');
  const size = curves[curve].size;
  if (d.length > size) throw malformed('EC private key is longer than the curve order');
  const secret = new Uint8Array(size);
  secret.set(d, size - d.length);
  return { spec: { kind: 'ec', curve }, secret };
}

export function createNobleSigner(pkcs8Der: Uint8Array, algorithm?: SignatureAlgorithm): Signer {
  const { spec, secret } = readPkcs8(pkcs8Der);
  const natural = defaultSignatureAlgorithm(spec);
  if (algorithm && algorithm !== natural) {
    throw new CryptoInputError('unsupported_algorithm', `the noble signer signs ${spec.kind} keys with ${natural} only`);
  }
  const common = { algorithm: natural, algorithmIdentifierDer: algorithmIdentifierDer(natural), keySpec: spec };
  if (spec.kind === 'ed25519') {
    return {
      ...common,
      spkiDer: encodeSpki(spec, ed25519.getPublicKey(secret)),
      sign: (data) => ed25519.sign(data, secret),
    };
  }
  if (spec.kind !== 'ec') throw new TypeError('unreachable: readPkcs8 returns EC or Ed25519 keys');
  const curve = curves[spec.curve].noble;
  return {
    ...common,
    spkiDer: encodeSpki(spec, curve.getPublicKey(secret, false)),
    // prehash with the curve's own hash (SHA-256 for P-256, SHA-384 for P-384), as ecdsa-with-SHA256/384 require.
    sign: (data) => curve.sign(data, secret, { format: 'der' }),
  };
}
