/** Signature verification with node:crypto, shared by CSR self-signature checks and cross-checks of our own output. */
import { constants, verify, type KeyObject } from 'node:crypto';
import { signatureScheme, type SignatureAlgorithm, type SignatureScheme } from './algorithms.js';
import { importPublicKey, parseSpki } from './public-key.js';

/** False for a wrong or unparsable signature; never throws for bad signature bytes. */
export function verifyWithScheme(
  key: KeyObject,
  scheme: SignatureScheme,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (scheme.key === 'rsa' && scheme.padding === 'pss') {
      return verify(
        scheme.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength },
        signature,
      );
    }
    // ECDSA signatures are DER (dsaEncoding 'der' is the default), as X.509 and PKCS#10 carry them.
    return verify(scheme.hash, data, key, signature);
  } catch {
    return false;
  }
}

/** Verifies a signature made by the key in spkiDer; throws CryptoInputError only when the SPKI itself is unusable. */
export function verifySignature(
  spkiDer: Uint8Array,
  algorithm: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const info = parseSpki(spkiDer);
  const scheme = signatureScheme(algorithm);
  if (scheme.key !== info.spec.kind) return false;
  return verifyWithScheme(importPublicKey(info), scheme, data, signature);
}
