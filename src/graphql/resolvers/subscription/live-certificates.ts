/** What both certificate subscriptions share: the filter, and the node each published row becomes. */
import type { CertificateRow } from '../../../../projections/certificates.js';
import type { GraphqlContext } from '../../context.js';
import type { CertificateEventFilter } from '../../generated/resolvers.js';
import { issuerIdOf, type Optional } from '../../inputs.js';
import { certificateMatches } from '../../live-filters.js';
import type { CertificateNode } from '../../mappers/certificate.js';
import { readScope, scoped, type ReadScope } from '../../scope.js';

export function liveCertificateFilter(input: Optional<CertificateEventFilter>, scope: ReadScope): (row: CertificateRow) => boolean {
  const filter = {
    ...(input?.issuer ? { issuerId: issuerIdOf(scope, input.issuer) } : {}),
    ...(input?.profile ? { profile: input.profile } : {}),
    ...(input?.subject ? { subjectContains: input.subject } : {}),
  };
  return (row) => certificateMatches(row, filter);
}

/** Each payload gets a fresh live scope, so its nested fields (issuer, events) read the current state. */
export const liveCertificateNode = (row: CertificateRow, _args: unknown, context: GraphqlContext): CertificateNode =>
  scoped(row, readScope(context.services.liveReads, new Date()));
