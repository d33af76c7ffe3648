/** Subscription.certificateIssued: each recorded certificate matching the filter, as a query would show it. */
import type { SubscriptionResolvers } from '../../generated/resolvers.js';
import { liveCertificateFilter, liveCertificateNode } from './live-certificates.js';

export const certificateIssued: SubscriptionResolvers['certificateIssued'] = {
  subscribe: async (_parent, args, context) => {
    const filter = liveCertificateFilter(args.filter, await context.scope());
    return context.services.live.stream('certificateIssued', filter);
  },
  resolve: liveCertificateNode,
};
