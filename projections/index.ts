/** Every projection Signet runs, in one list: the runner, replay and rebuild all use it. */
import { auditProjection } from './audit.js';
import { certificatesProjection } from './certificates.js';
import { credentialsProjection } from './credentials.js';
import { issuersProjection } from './issuers.js';
import type { Projection } from './projection.js';

export const projections: readonly Projection[] = [certificatesProjection, issuersProjection, credentialsProjection, auditProjection];
