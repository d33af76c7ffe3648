/**
 * A pool of distinct, signed PKCS#10 requests for load tests, so the load client spends no time on keygen while
 * measuring. Built with node:crypto keys and Signet's own DER encoder.
 */
import { encodeBitString, encodeOid, encodeSequence, encodeSmallInteger, encodeTlvOf, contextTag, Tag } from '../src/crypto/der.js';
import { encodeExtensionWith } from '../src/crypto/extensions/extension.js';
import { subjectAltName } from '../src/crypto/extensions/subject-alt-name.js';
import { generateKeyPair } from '../src/crypto/keygen.js';
import { encodeName } from '../src/crypto/name.js';
import { createSigner } from '../src/crypto/signer.js';
import type { KeySpec } from '../src/domain/x509.js';

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

export const KEY_SPECS: Record<string, KeySpec> = {
  p256: { kind: 'ec', curve: 'P-256' },
  p384: { kind: 'ec', curve: 'P-384' },
  ed25519: { kind: 'ed25519' },
  rsa2048: { kind: 'rsa', bits: 2048 },
};

/** One CSR for CN=<name> with a DNS SAN <name>.<domain>. */
export function makeCsr(spec: KeySpec, name: string, domain = 'devices.example'): Uint8Array {
  return makeCsrWithKey(spec, name, domain).csr;
}

/** The same, keeping the private key (PKCS#8 DER), for a device that will use its certificate (mTLS). */
export function makeCsrWithKey(spec: KeySpec, name: string, domain = 'devices.example'): { csr: Uint8Array; pkcs8Der: Uint8Array } {
  const pair = generateKeyPair(spec);
  const signer = createSigner(pair.pkcs8Der);
  const san = encodeExtensionWith(subjectAltName, [{ type: 'dns', value: `${name}.${domain}` }], false);
  const extensionRequest = encodeSequence(encodeOid(EXTENSION_REQUEST), encodeTlvOf(Tag.SET, [encodeSequence(san)]));
  const info = encodeSequence(encodeSmallInteger(0), encodeName([{ type: 'CN', value: name }]), pair.spkiDer, encodeTlvOf(contextTag(0, true), [extensionRequest]));
  return { csr: encodeSequence(info, signer.algorithmIdentifierDer, encodeBitString(signer.sign(info))), pkcs8Der: pair.pkcs8Der };
}

export function makeCsrPool(count: number, keyType = 'p256', prefix = 'device'): Uint8Array[] {
  const spec = KEY_SPECS[keyType];
  if (!spec) throw new Error(`unknown key type ${keyType}; use one of ${Object.keys(KEY_SPECS).join(', ')}`);
  return Array.from({ length: count }, (_, i) => makeCsr(spec, `${prefix}-${i}`));
}
