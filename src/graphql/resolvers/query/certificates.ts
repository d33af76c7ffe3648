/** Query.certificates: a Relay connection over the certificate index with filters, ordering and keyset cursors. */
import type { CertificateOrder, CertificateSearch, OrderKey } from '../../../../projections/certificate-pages.js';
import { orderKeyOf } from '../../../../projections/certificate-pages.js';
import { decodeCursor, encodeCursor } from '../../cursor.js';
import type { CertificateFilter, CertificateOrder as GraphqlOrder, QueryResolvers } from '../../generated/resolvers.js';
import { hexSerial, issuerIdOf, pageWindow, timeRange, type Optional } from '../../inputs.js';
import { statusFromGraphql, type CertificateNode } from '../../mappers/certificate.js';
import type { ConnectionNode } from '../../mappers/connection.js';
import { scoped, type ReadScope } from '../../scope.js';

const ORDER_FIELDS = { ISSUED: 'issued', NOT_AFTER: 'not_after', SERIAL: 'serial' } as const;

function certificateOrder(order: Optional<GraphqlOrder>): CertificateOrder {
  return { field: ORDER_FIELDS[order?.field ?? 'ISSUED'], direction: order?.direction === 'ASC' ? 'asc' : 'desc' };
}

export function certificateSearch(filter: Optional<CertificateFilter>, scope: ReadScope): CertificateSearch {
  if (!filter) return {};
  const notAfter = timeRange(filter.notAfterAfter, filter.notAfterBefore, 'filter.notAfter');
  const issued = timeRange(filter.issuedAfter, filter.issuedBefore, 'filter.issued');
  const search: CertificateSearch = {
    ...(filter.status ? { status: statusFromGraphql(filter.status) } : {}),
    ...(filter.issuer ? { issuerId: issuerIdOf(scope, filter.issuer) } : {}),
    ...(filter.profile ? { profile: filter.profile } : {}),
    ...(filter.role ? { role: filter.role } : {}),
    ...(filter.subject ? { subjectContains: filter.subject } : {}),
    ...(filter.san ? { san: filter.san.trim() } : {}),
    ...(filter.serialPrefix ? { serialPrefix: hexSerial(filter.serialPrefix, 'filter.serialPrefix') } : {}),
    ...(notAfter.from ? { notAfterFrom: notAfter.from } : {}),
    ...(notAfter.to ? { notAfterTo: notAfter.to } : {}),
    ...(issued.from ? { issuedFrom: issued.from } : {}),
    ...(issued.to ? { issuedTo: issued.to } : {}),
  };
  return search;
}

export const certificates: QueryResolvers['certificates'] = async (_parent, args, context) => {
  const scope = await context.scope(args.asOf);
  const window = pageWindow(args);
  const order = certificateOrder(args.orderBy);
  const after = args.after ? decodeCursor(args.after, order.field, 'after') : undefined;
  const before = args.before ? decodeCursor(args.before, order.field, 'before') : undefined;
  const search = certificateSearch(args.filter, scope);
  const queries = scope.reads.certificates;
  const page = queries.page(search, { order, after, before, limit: window.limit, fromEnd: window.fromEnd }, scope.now);
  const beyond = (key: OrderKey | undefined, side: 'before' | 'after') => key !== undefined && queries.anyBeyond(search, order, key, side, scope.now);
  const edges = page.rows.map((row) => ({ cursor: encodeCursor(order.field, orderKeyOf(row, order.field)), node: scoped(row, scope) }));
  const connection: ConnectionNode<CertificateNode> = {
    edges,
    pageInfo: {
      hasNextPage: window.fromEnd ? beyond(before, 'after') : page.more,
      hasPreviousPage: window.fromEnd ? page.more : beyond(after, 'before'),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount: () => queries.count(search, scope.now),
  };
  return connection;
};
