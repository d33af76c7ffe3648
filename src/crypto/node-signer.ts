/** The node:crypto (OpenSSL) signer: the private key is parsed once into a KeyObject, every sign is one native call. */
import { constants, createPrivateKey, createPublicKey, sign, type KeyObject, type SignKeyObjectInput } from 'node:crypto';
import type { KeySpec } from '../domain/x509.js';
import {
  algorithmFitsKey,
  algorithmIdentifierDer,
  defaultSignatureAlgorithm,
  signatureScheme,
  type SignatureAlgorithm,
} from './algorithms.js';
import { CryptoInputError } from './errors.js';
import { MAX_RSA_BITS, MIN_RSA_BITS } from './public-key.js';
import type { Signer } from './signer.js';

const curveByOpenSslName: Record<string, 'P-256' | 'P-384'> = { prime256v1: 'P-256', secp384r1: 'P-384' };

function unsupportedKey(message: string): CryptoInputError {
  return new CryptoInputError('unsupported_key', message);
}

export function keySpecOf(key: KeyObject): KeySpec {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = curveByOpenSslName[details.namedCurve ?? ''];
      if (!curve) throw unsupportedKey(`EC curve ${details.namedCurve} is not supported (P-256 and P-384 are)`);
      return { kind: 'ec', curve };
    }
    case 'ed25519':
      return { kind: 'ed25519' };
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) throw unsupportedKey(`RSA keys of ${bits} bits are not supported`);
      return { kind: 'rsa', bits };
    }
    default:
      throw unsupportedKey(`private key type ${key.asymmetricKeyType} is not supported`);
  }
}

export function createNodeSigner(pkcs8Der: Uint8Array, algorithm?: SignatureAlgorithm): Signer {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(pkcs8Der), format: 'der', type: 'pkcs8' });
  } catch {
    throw new CryptoInputError('malformed', 'private key is not PKCS#8 DER');
  }
  const keySpec = keySpecOf(key);
  const chosen = algorithm ?? defaultSignatureAlgorithm(keySpec);
  if (!algorithmFitsKey(chosen, keySpec)) {
    throw new CryptoInputError('unsupported_algorithm', `${chosen} cannot be used with a ${keySpec.kind} key`);
  }
  const scheme = signatureScheme(chosen);
  const signingKey: KeyObject | SignKeyObjectInput =
    scheme.key === 'rsa' && scheme.padding === 'pss'
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength }
      : key;
  return {
    algorithm: chosen,
    algorithmIdentifierDer: algorithmIdentifierDer(chosen),
    keySpec,
    spkiDer: new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' })),
    sign: (data) => sign(scheme.hash, data, signingKey),
  };
}
