/**
 * The renewal part of an IDIAL sign request (Signet's extension): `certificate`, the PEM certificate being renewed
 * (optionally followed by its chain), and `private_key`, its PEM private key. The spec's renew_endpoint expects
 * "TLS client authentication with the certificate to be renewed", so the key is needed for that handshake; it is
 * checked against the certificate, used in memory for the one exchange, and never recorded or logged.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { invalid } from '../../domain/errors.js';
import { bytesEqual } from '../../crypto/bytes.js';
import { parseCertificate } from '../../crypto/certificate.js';
import { CryptoInputError } from '../../crypto/errors.js';
import { decodePem, dersToPem } from '../../crypto/pem.js';

export interface Renewal {
  /** Serial (hex) of the certificate renewed. */
  serial: string;
  /** The certificate renewed and its chain, PEM, for the TLS handshake. */
  certPem: string;
  /** Its private key, PEM; absent when the caller sent none (renew_auth "basic" or "none" needs none). */
  keyPem?: string;
}

function certificateChain(value: unknown): { ders: Uint8Array[]; spkiDer: Uint8Array; serial: string } {
  if (typeof value !== 'string' || !value.trim()) throw invalid('invalid_certificate', 'certificate must be the PEM certificate being renewed');
  try {
    const ders = decodePem(value).filter((block) => block.label === 'CERTIFICATE').map((block) => block.der);
    if (ders.length === 0) throw new CryptoInputError('bad_encoding', 'no CERTIFICATE block');
    const leaf = parseCertificate(ders[0]);
    return { ders, spkiDer: leaf.spkiDer, serial: leaf.serialHex };
  } catch (error) {
    if (error instanceof CryptoInputError) throw invalid('invalid_certificate', `certificate is not a PEM certificate: ${error.message}`);
    throw error;
  }
}

/** The key's public half must be the certificate's: a mismatched pair would only fail later, upstream. */
function matchingKey(value: unknown, spkiDer: Uint8Array): string {
  if (typeof value !== 'string' || !value.trim()) throw invalid('invalid_private_key', 'private_key must be the PEM private key of the certificate being renewed');
  let publicDer: Buffer;
  try {
    publicDer = createPublicKey(createPrivateKey(value)).export({ type: 'spki', format: 'der' });
  } catch {
    throw invalid('invalid_private_key', 'private_key is not an unencrypted PEM private key');
  }
  if (!bytesEqual(publicDer, spkiDer)) throw invalid('key_mismatch', 'private_key does not belong to certificate');
  return value;
}

/** Undefined when the request renews nothing (neither field given). */
export function parseRenewal(certificate: unknown, privateKey: unknown): Renewal | undefined {
  if (certificate === undefined && privateKey === undefined) return undefined;
  if (certificate === undefined) throw invalid('missing_certificate', 'private_key needs certificate: the certificate being renewed');
  const chain = certificateChain(certificate);
  return {
    serial: chain.serial,
    certPem: dersToPem(chain.ders, 'CERTIFICATE'),
    ...(privateKey === undefined ? {} : { keyPem: matchingKey(privateKey, chain.spkiDer) }),
  };
}
