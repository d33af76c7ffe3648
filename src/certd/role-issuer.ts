/**
 * certd's `method = "role"`: the CSR goes through the OpenBao `sign/:role` path of the /v1/pki application
 * service, so a role means the same thing to certd callers as to OpenBao clients (issuer, names, lifetime, usages).
 */
import { createPkiContext } from '../app/pki/context.js';
import { IssueService } from '../app/pki/issue-service.js';
import { EMPTY_CERT_REQUEST } from '../domain/role-issuance.js';
import { derToPem } from '../crypto/pem.js';
import type { Core } from '../core.js';
import type { RoleIssuer } from './service.js';

export function pkiRoleIssuer(core: Core): RoleIssuer {
  const pki = new IssueService(createPkiContext(core));
  return async ({ role, csrDer, ttlSeconds, metadata }) => {
    const issued = await pki.sign({
      roleName: role,
      csr: derToPem(csrDer, 'CERTIFICATE REQUEST'),
      input: { ...EMPTY_CERT_REQUEST, ttl: ttlSeconds ?? 0 },
      metadata,
    });
    return { serial: issued.certificate.serial, issuerId: issued.certificate.issuer.issuerId, certDer: issued.certificate.certDer, issuerChain: issued.caChain };
  };
}
