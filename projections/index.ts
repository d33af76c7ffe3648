/** Every projection Signet runs, in one list: the runner, replay and rebuild all use it. */
import { auditProjection } from './audit.js';
import { certificateSansProjection } from './certificate-sans.js';
import { certdProjection } from './certd.js';
import { certificatesProjection } from './certificates.js';
import { credentialsProjection } from './credentials.js';
import { estProfilesProjection } from './est-profiles.js';
import { estUpstreamsProjection } from './est-upstreams.js';
import { issuersProjection } from './issuers.js';
import { pkiCertListingProjection } from './pki-cert-listing.js';
import { pkiConfigProjection } from './pki-config.js';
import { policiesProjection } from './policies.js';
import type { Projection } from './projection.js';
import { revocationProjection } from './revocation.js';
import { rolesProjection } from './roles.js';
import { statsProjection } from './stats.js';
import { treeHeadsProjection } from '../src/audit/tree-heads-projection.js';

export const projections: readonly Projection[] = [certificatesProjection, issuersProjection, credentialsProjection, estProfilesProjection, certdProjection, rolesProjection, policiesProjection, pkiConfigProjection, pkiCertListingProjection, revocationProjection, auditProjection, statsProjection, certificateSansProjection, treeHeadsProjection, estUpstreamsProjection];
