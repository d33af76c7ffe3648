/** Query.stats: chart data per UTC hour or day, from the stats counters. */
import { hourKey, type StatsBucketSize, type StatsScope } from '../../../../projections/stats.js';
import { badUserInput } from '../../errors.js';
import type { QueryResolvers, StatsBucketCounts } from '../../generated/resolvers.js';
import { issuerIdOf, MAX_PAGE_SIZE } from '../../inputs.js';

const BUCKET_MS: Record<StatsBucketSize, number> = { hour: 3_600_000, day: 86_400_000 };

/** Pure: the bucket starts covering [from, to), from rounded down and to rounded up to whole buckets. */
export function bucketStarts(from: Date, to: Date, size: StatsBucketSize): Date[] {
  const step = BUCKET_MS[size];
  const first = Math.floor(from.getTime() / step) * step;
  const end = Math.ceil(to.getTime() / step) * step;
  if (end <= first) throw badUserInput('stats: "to" must be after "from"', 'to');
  const count = (end - first) / step;
  if (count > MAX_PAGE_SIZE) throw badUserInput(`stats: ${count} buckets requested; at most ${MAX_PAGE_SIZE}`, 'to');
  return Array.from({ length: count }, (_, i) => new Date(first + i * step));
}

export const stats: QueryResolvers['stats'] = async (_parent, args, context) => {
  const scope = await context.scope(args.asOf);
  const size: StatsBucketSize = args.bucket === 'DAY' ? 'day' : 'hour';
  const starts = bucketStarts(new Date(args.from), new Date(args.to), size);
  const end = new Date(starts[starts.length - 1].getTime() + BUCKET_MS[size]);
  const statsScope: StatsScope = {
    ...(args.filter?.issuer ? { issuerId: issuerIdOf(scope, args.filter.issuer) } : {}),
    ...(args.filter?.profile ? { profile: args.filter.profile } : {}),
  };
  const counted = new Map(scope.reads.stats.buckets(size, hourKey(starts[0].toISOString()), hourKey(end.toISOString()), statsScope).map((row) => [row.bucket, row]));
  const keyLength = size === 'hour' ? 13 : 10;
  const buckets: StatsBucketCounts[] = starts.map((start) => {
    const row = counted.get(start.toISOString().slice(0, keyLength));
    return {
      start: start.toISOString(),
      end: new Date(start.getTime() + BUCKET_MS[size]).toISOString(),
      issued: row?.issued ?? 0,
      renewed: row?.renewed ?? 0,
      revoked: row?.revoked ?? 0,
      refused: row?.refused ?? 0,
      expiring: row?.expiring ?? 0,
    };
  });
  return {
    from: starts[0].toISOString(),
    to: end.toISOString(),
    bucket: args.bucket ?? 'HOUR',
    buckets,
    activeCertificates: scope.reads.stats.certificateCount('active', statsScope, scope.now),
  };
};
