/**
 * Where relying parties fetch revocation data when config/urls says nothing: the public plain-HTTP listener
 * (RFC 5280 4.2.1.13 and RFC 6960 want CRLs and OCSP reachable without TLS). Per issuer, so certificates keep
 * pointing at their own issuer's CRL after the default issuer changes.
 */
import type { AiaUrls } from '../pki/context.js';

export function publicAiaUrls(publicBaseUrl: string, issuerId: string): AiaUrls {
  return {
    crlDistributionPoints: [`${publicBaseUrl}/v1/pki/issuer/${issuerId}/crl/der`],
    ocspServers: [`${publicBaseUrl}/v1/pki/ocsp`],
    issuingCertificateUrls: [`${publicBaseUrl}/v1/pki/issuer/${issuerId}/der`],
  };
}

export function publicDeltaCrlUrls(publicBaseUrl: string, issuerId: string): string[] {
  return [`${publicBaseUrl}/v1/pki/issuer/${issuerId}/crl/delta/der`];
}
