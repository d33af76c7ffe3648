/** Certificate fields that are not plain read-model columns; relations go through the request's loaders. */
import { derToPem } from '../../../crypto/pem.js';
import type { RevocationReason } from '../../../domain/revocation-reason.js';
import type { CertificateResolvers } from '../../generated/resolvers.js';
import { CERTIFICATE_STATUS, reasonToGraphql, toSan } from '../../mappers/certificate.js';
import { scoped } from '../../scope.js';

export const Certificate: CertificateResolvers = {
  sans: (certificate) => certificate.sans.map(toSan),
  status: (certificate) => CERTIFICATE_STATUS[certificate.status],
  issuer: async (certificate) => {
    const issuer = await certificate.scope.loaders.issuer.load(certificate.issuerId);
    return issuer ? scoped(issuer, certificate.scope) : null;
  },
  revocation: (certificate) =>
    certificate.revokedAt ? { time: certificate.revokedAt, reason: reasonToGraphql((certificate.revocationReason ?? 'unspecified') as RevocationReason) } : null,
  renews: async (certificate) => {
    if (!certificate.renews) return null;
    const row = await certificate.scope.loaders.certificate.load(certificate.renews);
    return row ? scoped(row, certificate.scope) : null;
  },
  renewedBy: async (certificate) => {
    if (!certificate.renewedBy) return null;
    const row = await certificate.scope.loaders.certificate.load(certificate.renewedBy);
    return row ? scoped(row, certificate.scope) : null;
  },
  pem: (certificate) => derToPem(Buffer.from(certificate.der, 'base64'), 'CERTIFICATE'),
  events: (certificate) => certificate.scope.loaders.certificateEvents.load(certificate.serial),
};
