/** Every resolver, in the shape the schema expects (typed by the generated resolver types). */
import type { Resolvers } from '../generated/resolvers.js';
import { createOtp } from './mutation/create-otp.js';
import { revokeCertificate } from './mutation/revoke-certificate.js';
import { auditEvents } from './query/audit-events.js';
import { certificate } from './query/certificate.js';
import { certificates } from './query/certificates.js';
import { estProfiles } from './query/est-profiles.js';
import { head } from './query/head.js';
import { issuer } from './query/issuer.js';
import { issuers } from './query/issuers.js';
import { otpTokens } from './query/otp-tokens.js';
import { roles } from './query/roles.js';
import { stats } from './query/stats.js';
import { DateTime, Position } from './scalars.js';
import { auditEvent } from './subscription/audit-event.js';
import { certificateIssued } from './subscription/certificate-issued.js';
import { certificateRevoked } from './subscription/certificate-revoked.js';
import { Certificate } from './types/certificate.js';
import { AuditEventConnection, CertificateConnection } from './types/connections.js';
import { EstProfile, OtpToken, Role } from './types/enrollment.js';
import { Issuer } from './types/issuer.js';

export const resolvers: Resolvers = {
  DateTime,
  Position,
  Query: { head, certificates, certificate, issuers, issuer, auditEvents, otpTokens, estProfiles, roles, stats },
  Mutation: { revokeCertificate, createOtp },
  Subscription: { certificateIssued, certificateRevoked, auditEvent },
  Certificate,
  CertificateConnection,
  AuditEventConnection,
  Issuer,
  OtpToken,
  EstProfile,
  Role,
};
