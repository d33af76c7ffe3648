/** Issuer fields computed from the read models: counters, CRL state, PEM. */
import { derToPem } from '../../../crypto/pem.js';
import type { IssuerResolvers } from '../../generated/resolvers.js';
import { ISSUER_KIND, ISSUER_STATUS } from '../../mappers/issuer.js';

export const Issuer: IssuerResolvers = {
  id: (issuer) => issuer.issuerId,
  kind: (issuer) => ISSUER_KIND[issuer.kind] ?? 'IMPORTED',
  pem: (issuer) => derToPem(Buffer.from(issuer.certificate, 'base64'), 'CERTIFICATE'),
  status: (issuer) => ISSUER_STATUS[issuer.status],
  certsIssuedTotal: (issuer) => issuer.scope.loaders.issuedTotal.load(issuer.issuerId),
  activeCertificates: (issuer) => issuer.scope.loaders.activeCertificates.load(issuer.issuerId),
  crl: async (issuer) => (await issuer.scope.loaders.crl.load(issuer.issuerId)) ?? null,
};
