/** Connection totals are counted only when a query asks for them. */
import type { AuditEventConnectionResolvers, CertificateConnectionResolvers } from '../../generated/resolvers.js';

export const CertificateConnection: CertificateConnectionResolvers = {
  totalCount: (connection) => connection.totalCount(),
};

export const AuditEventConnection: AuditEventConnectionResolvers = {
  totalCount: (connection) => connection.totalCount(),
};
