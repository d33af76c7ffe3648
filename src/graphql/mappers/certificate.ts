/** Certificate index rows as GraphQL types: enum spellings and the node shape resolvers pass around. */
import type { CertificateRow } from '../../../projections/certificates.js';
import type { RevocationReason as DomainReason } from '../../domain/revocation-reason.js';
import type { San as DomainSan } from '../../domain/x509.js';
import type { CertificateStatus, RevocationReason, San, SanType } from '../generated/resolvers.js';
import type { Scoped } from '../scope.js';

export type CertificateNode = Scoped<CertificateRow>;

export const CERTIFICATE_STATUS: Record<CertificateRow['status'], CertificateStatus> = { active: 'ACTIVE', revoked: 'REVOKED', expired: 'EXPIRED' };

export const statusFromGraphql = (status: CertificateStatus): CertificateRow['status'] => (status === 'ACTIVE' ? 'active' : status === 'REVOKED' ? 'revoked' : 'expired');

const SAN_TYPE: Record<DomainSan['type'], SanType> = { dns: 'DNS', ip: 'IP', email: 'EMAIL', uri: 'URI', other: 'OTHER' };

export const toSan = (san: DomainSan): San => ({ type: SAN_TYPE[san.type], value: san.value });

/** RFC 5280 reason names (keyCompromise) and their GraphQL enum spelling (KEY_COMPROMISE). */
const REASONS: Record<DomainReason, RevocationReason> = {
  unspecified: 'UNSPECIFIED',
  keyCompromise: 'KEY_COMPROMISE',
  cACompromise: 'CA_COMPROMISE',
  affiliationChanged: 'AFFILIATION_CHANGED',
  superseded: 'SUPERSEDED',
  cessationOfOperation: 'CESSATION_OF_OPERATION',
  certificateHold: 'CERTIFICATE_HOLD',
  removeFromCRL: 'REMOVE_FROM_CRL',
  privilegeWithdrawn: 'PRIVILEGE_WITHDRAWN',
  aACompromise: 'AA_COMPROMISE',
};

export const reasonToGraphql = (reason: DomainReason): RevocationReason => REASONS[reason];

export function reasonFromGraphql(reason: RevocationReason): DomainReason {
  const found = (Object.keys(REASONS) as DomainReason[]).find((name) => REASONS[name] === reason);
  if (!found) throw new Error(`unknown revocation reason ${reason}`);
  return found;
}
