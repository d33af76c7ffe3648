/**
 * Private keys at the API edge: the encodings OpenBao hands out (PKCS#1 for RSA, SEC1 for EC, PKCS#8 for Ed25519,
 * or PKCS#8 for all), reading an uploaded key in any of them, and matching a key to a certificate's public key.
 * Inside Signet a private key is always PKCS#8 DER, and only ever stored wrapped under the KEK.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { KeySpec } from '../domain/x509.js';
import { bytesEqual, toBase64 } from './bytes.js';
import { CryptoInputError } from './errors.js';
import { keySpecOf } from './node-signer.js';
import { derToPem, decodePem } from './pem.js';
import { readSpki } from './public-key.js';

export type PrivateKeyEncoding = 'pem' | 'der';
/** `der`: each key type's own structure (OpenBao's default); `pkcs8`: PKCS#8 for every type. */
export type PrivateKeyFormat = 'der' | 'pkcs8';

const PRIVATE_KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];

function keyObject(pkcs8Der: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8Der), format: 'der', type: 'pkcs8' });
}

/** The key as OpenBao returns it in `private_key`: PEM text, or base64 DER when the encoding is `der`. */
export function exportPrivateKey(pkcs8Der: Uint8Array, encoding: PrivateKeyEncoding, format: PrivateKeyFormat): string {
  const key = keyObject(pkcs8Der);
  const type = format === 'pkcs8' || key.asymmetricKeyType === 'ed25519' ? 'pkcs8' : key.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'sec1';
  const der = new Uint8Array(key.export({ format: 'der', type }));
  if (encoding === 'der') return toBase64(der);
  const label = type === 'pkcs1' ? 'RSA PRIVATE KEY' : type === 'sec1' ? 'EC PRIVATE KEY' : 'PRIVATE KEY';
  return derToPem(der, label);
}

/** Every private key in a PEM text (PKCS#8, PKCS#1 or SEC1; unencrypted), as PKCS#8 DER with its key spec. */
export function readPrivateKeys(pemText: string): { pkcs8Der: Uint8Array; spec: KeySpec }[] {
  return decodePem(pemText)
    .filter((block) => PRIVATE_KEY_LABELS.includes(block.label))
    .map((block) => {
      let key: KeyObject;
      try {
        const type = block.label === 'RSA PRIVATE KEY' ? 'pkcs1' : block.label === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs8';
        key = createPrivateKey({ key: Buffer.from(block.der), format: 'der', type });
      } catch {
        throw new CryptoInputError('malformed', `PEM block "${block.label}" is not a readable unencrypted private key`);
      }
      return { pkcs8Der: new Uint8Array(key.export({ format: 'der', type: 'pkcs8' })), spec: keySpecOf(key) };
    });
}

/** Whether two SubjectPublicKeyInfos carry the same public key. */
export function samePublicKey(spkiA: Uint8Array, spkiB: Uint8Array): boolean {
  const a = readSpki(spkiA);
  const b = readSpki(spkiB);
  return a.algorithmOid === b.algorithmOid && bytesEqual(a.publicKeyBytes, b.publicKeyBytes);
}
