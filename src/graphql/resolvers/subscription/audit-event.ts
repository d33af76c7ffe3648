/** Subscription.auditEvent: each audited event matching the filter. */
import type { AuditRow } from '../../../../projections/audit.js';
import type { SubscriptionResolvers } from '../../generated/resolvers.js';
import { auditMatches } from '../../live-filters.js';
import { auditFilter } from '../query/audit-events.js';

export const auditEvent: SubscriptionResolvers['auditEvent'] = {
  subscribe: async (_parent, args, context) => {
    const filter = auditFilter(args.filter, await context.scope());
    return context.services.live.stream('auditEvent', (row) => auditMatches(row, filter));
  },
  resolve: (row: AuditRow) => row,
};
