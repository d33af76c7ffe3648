/** Query.auditEvents: a Relay connection over the audit view, newest first. */
import type { AuditFilter, AuditRow } from '../../../../projections/audit.js';
import { decodeCursor, encodeCursor } from '../../cursor.js';
import type { AuditEventFilter, QueryResolvers } from '../../generated/resolvers.js';
import { hexSerial, issuerIdOf, pageWindow, timeRange, type Optional } from '../../inputs.js';
import type { ConnectionNode } from '../../mappers/connection.js';
import type { ReadScope } from '../../scope.js';

export function auditFilter(filter: Optional<AuditEventFilter>, scope: ReadScope): AuditFilter {
  if (!filter) return {};
  const range = timeRange(filter.from, filter.to, 'filter.from');
  return {
    ...(filter.action?.length ? { actions: filter.action } : {}),
    ...(filter.result?.length ? { results: filter.result } : {}),
    ...(filter.subject ? { subjectContains: filter.subject } : {}),
    ...(filter.issuer ? { issuerId: issuerIdOf(scope, filter.issuer) } : {}),
    ...(filter.serial ? { serial: hexSerial(filter.serial, 'filter.serial') } : {}),
    ...range,
  };
}

const positionOf = (cursor: string, argument: string) => decodeCursor(cursor, 'audit', argument).key as number;
const cursorOf = (row: AuditRow) => encodeCursor('audit', { key: row.position, serial: '' });

export const auditEvents: QueryResolvers['auditEvents'] = async (_parent, args, context) => {
  const scope = await context.scope(args.asOf);
  const window = pageWindow(args);
  const after = args.after ? positionOf(args.after, 'after') : undefined;
  const before = args.before ? positionOf(args.before, 'before') : undefined;
  const filter = auditFilter(args.filter, scope);
  const queries = scope.reads.audit;
  const page = queries.page(filter, { afterPosition: after, beforePosition: before, limit: window.limit, fromEnd: window.fromEnd });
  const edges = page.rows.map((row) => ({ cursor: cursorOf(row), node: row }));
  const connection: ConnectionNode<AuditRow> = {
    edges,
    pageInfo: {
      // Newest first: "next" pages are older events (smaller positions).
      hasNextPage: window.fromEnd ? before !== undefined && queries.anyBeyond(filter, before, 'older') : page.more,
      hasPreviousPage: window.fromEnd ? page.more : after !== undefined && queries.anyBeyond(filter, after, 'newer'),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount: () => queries.count(filter),
  };
  return connection;
};
