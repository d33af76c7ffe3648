/**
 * TLS client certificates (RFC 7030 3.3.2): the chain a client presented, checked against a profile's trust
 * anchors with node:crypto's X509Certificate (names, signatures, CA flags, validity of each link). Revocation and
 * "issued by this CA" are the caller's business: they need the read models.
 */
import { X509Certificate } from 'node:crypto';
import { parseCertificate, type ParsedCertificate } from '../../crypto/certificate.js';

export interface VerifiedClientCertificate {
  der: Uint8Array;
  parsed: ParsedCertificate;
  x509: X509Certificate;
}

export type ChainCheck = { ok: true; certificate: VerifiedClientCertificate } | { ok: false; reason: string };

const MAX_CHAIN = 8;
const CLIENT_AUTH = 'clientAuth';
const ANY_PURPOSE = 'anyExtendedKeyUsage';

function within(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/**
 * Builds a path from the leaf (first) through the other presented certificates to one of the anchors. Validity of
 * intermediates is checked here; the leaf's own validity is left to the caller, which answers 403 rather than 401.
 */
export function verifyClientChain(chain: readonly Uint8Array[], anchors: readonly X509Certificate[], now: number): ChainCheck {
  if (chain.length === 0) return { ok: false, reason: 'no client certificate' };
  let certs: X509Certificate[];
  let parsed: ParsedCertificate;
  try {
    certs = chain.map((der) => new X509Certificate(der));
    parsed = parseCertificate(chain[0]);
  } catch {
    return { ok: false, reason: 'the client certificate cannot be parsed' };
  }
  const eku = parsed.extKeyUsage;
  if (eku && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_PURPOSE)) return { ok: false, reason: 'the client certificate is not valid for client authentication' };
  const [leaf, ...presented] = certs;
  const certificate = { der: chain[0], parsed, x509: leaf };
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (anchors.some((anchor) => anchor.raw.equals(current.raw) || signedBy(current, anchor))) return { ok: true, certificate };
    const next = presented.find((candidate) => candidate.ca && signedBy(current, candidate));
    if (!next) break;
    if (!within(next, now)) return { ok: false, reason: `intermediate certificate ${next.subject.replace(/\n/g, ',')} is not valid now` };
    current = next;
  }
  return { ok: false, reason: 'the client certificate does not chain to a trust anchor of this profile' };
}
