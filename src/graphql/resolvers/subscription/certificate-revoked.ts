/** Subscription.certificateRevoked: each revoked certificate matching the filter. */
import type { SubscriptionResolvers } from '../../generated/resolvers.js';
import { liveCertificateFilter, liveCertificateNode } from './live-certificates.js';

export const certificateRevoked: SubscriptionResolvers['certificateRevoked'] = {
  subscribe: async (_parent, args, context) => {
    const filter = liveCertificateFilter(args.filter, await context.scope());
    return context.services.live.stream('certificateRevoked', filter);
  },
  resolve: liveCertificateNode,
};
