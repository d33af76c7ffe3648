/** Certificate chains: who signed a certificate, and the path from a certificate up to a self-signed root. */
import { bytesEqual } from './bytes.js';
import type { ParsedCertificate } from './certificate.js';
import { parseSignatureAlgorithm } from './algorithms.js';
import { CryptoInputError } from './errors.js';
import { importPublicKey, parseSpki } from './public-key.js';
import { verifyWithScheme } from './verify.js';

/** Whether `cert` was signed by the key in `issuerSpkiDer` (false, never a throw, for unusable keys or algorithms). */
export function signedBy(cert: ParsedCertificate, issuerSpkiDer: Uint8Array): boolean {
  try {
    const scheme = parseSignatureAlgorithm(cert.signatureAlgorithmDer);
    const info = parseSpki(issuerSpkiDer);
    if (scheme.key !== info.spec.kind) return false;
    return verifyWithScheme(importPublicKey(info), scheme, cert.tbsDer, cert.signature);
  } catch (error) {
    if (error instanceof CryptoInputError) return false;
    throw error;
  }
}

export function isSelfIssued(cert: ParsedCertificate): boolean {
  return bytesEqual(cert.issuerDer, cert.subjectDer);
}

export function isSelfSigned(cert: ParsedCertificate): boolean {
  return isSelfIssued(cert) && signedBy(cert, cert.spkiDer);
}

/**
 * The certificates above `cert`, nearest first, picked from `candidates` by issuer name and verified signature,
 * ending at a self-signed root or where no issuer is known.
 */
export function chainAbove<T extends { parsed: ParsedCertificate }>(cert: ParsedCertificate, candidates: readonly T[]): T[] {
  const chain: T[] = [];
  let current = cert;
  while (!isSelfSigned(current) && chain.length < candidates.length) {
    const parent = candidates.find(
      (c) => bytesEqual(c.parsed.subjectDer, current.issuerDer) && !chain.includes(c) && c.parsed !== current && signedBy(current, c.parsed.spkiDer),
    );
    if (!parent) break;
    chain.push(parent);
    current = parent.parsed;
  }
  return chain;
}
