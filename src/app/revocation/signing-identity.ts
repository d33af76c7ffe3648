/**
 * What signing a CRL or an OCSP response for an issuer needs, derived once per issuer and key: the issuer Name and
 * key identifier that go into the signed structure, the algorithm the pool's signer will use for the key, and the
 * wrapped key reference the pool signs with.
 */
import { defaultSignatureAlgorithm, type SignatureAlgorithm } from '../../crypto/algorithms.js';
import { parseCertificate } from '../../crypto/certificate.js';
import { keyIdentifier } from '../../crypto/public-key.js';
import { invalid } from '../../domain/errors.js';
import type { IssuerQueries, IssuerRow, KeyRow } from '../../../projections/issuers.js';
import type { WrappedKeyRef } from '../signing-pool.js';

export interface SigningIdentity {
  issuerId: string;
  certDer: Uint8Array;
  subjectDer: Uint8Array;
  spkiDer: Uint8Array;
  authorityKeyId: Uint8Array;
  algorithm: SignatureAlgorithm;
  key: WrappedKeyRef;
}

export class SigningIdentities {
  private readonly cache = new Map<string, SigningIdentity>();

  constructor(private readonly issuers: IssuerQueries) {}

  /** The identity for an issuer with its key; a 400 when the issuer cannot sign (no key). */
  of(issuer: IssuerRow): SigningIdentity {
    if (!issuer.keyId) throw invalid('issuer_key_missing', `issuer ${issuer.name} has no key and cannot sign revocation data`);
    const cacheKey = `${issuer.issuerId}:${issuer.keyId}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const key = this.issuers.key(issuer.keyId);
    if (!key) throw invalid('issuer_key_missing', `issuer ${issuer.name} has no usable key`);
    const identity = signingIdentity(issuer.issuerId, new Uint8Array(Buffer.from(issuer.certificate, 'base64')), key);
    this.cache.set(cacheKey, identity);
    return identity;
  }
}

/** The identity of a certificate and its stored key (an issuer's, or a delegated OCSP responder's for `issuerId`). */
export function signingIdentity(issuerId: string, certDer: Uint8Array, key: KeyRow): SigningIdentity {
  const cert = parseCertificate(certDer);
  return {
    issuerId,
    certDer,
    subjectDer: cert.subjectDer,
    spkiDer: cert.spkiDer,
    authorityKeyId: cert.subjectKeyId ?? keyIdentifier(cert.spkiDer),
    algorithm: defaultSignatureAlgorithm(key.spec),
    key: { keyId: key.keyId, wrapped: key.wrapped },
  };
}
