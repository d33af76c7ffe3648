/**
 * /admin/audit: the audit view, filtered and paged, newest first; /admin/audit/export: the same filters as JSON
 * lines, oldest first, streamed in chunks so an export of millions of events never sits in memory.
 */
import { Readable } from 'node:stream';
import type { ParsedUrlQuery } from 'node:querystring';
import Router from '@koa/router';
import type { Core } from '../../core.js';
import type { AuditFilter, AuditQueries, AuditRow } from '../../../projections/audit.js';
import { caIdFilter } from './cas.js';
import { canonicalSerial, pageBody, parsePaging, parseTimeRange, queryParam, queryWords, timestamp } from './params.js';

const EXPORT_CHUNK = 500;

/** One audit event as the admin API shows it (the spec's fields, plus its position in the event log). */
export function auditEventView(row: AuditRow) {
  return {
    position: row.position,
    timestamp: timestamp(row.time),
    action: row.action,
    subject: row.subject,
    ca_id: row.issuerId,
    result: row.result,
    client_ip: row.clientIp,
    auth_method: row.authMethod,
    serial: row.serial,
    actor: row.actor,
    profile: row.profile,
    reason: row.reason,
  };
}

/** action, result (comma lists), subject (substring), ca, serial, start, end (ISO 8601, inclusive). */
function auditFilter(core: Core, query: ParsedUrlQuery): AuditFilter {
  const serial = queryParam(query, 'serial');
  return {
    actions: queryWords(query, 'action'),
    results: queryWords(query, 'result'),
    subjectContains: queryParam(query, 'subject'),
    issuerId: caIdFilter(core, queryParam(query, 'ca')),
    serial: serial === undefined ? undefined : canonicalSerial(serial),
    ...parseTimeRange(query, 'start', 'end'),
  };
}

/** NDJSON of every matching event up to `until`, read chunk by chunk as the client consumes it. */
export async function* auditExportLines(audit: AuditQueries, filter: AuditFilter, until: number, chunkSize = EXPORT_CHUNK): AsyncGenerator<string> {
  let after = 0;
  for (;;) {
    const rows = audit.chunk(filter, after, until, chunkSize);
    if (rows.length === 0) return;
    yield rows.map((row) => `${JSON.stringify(auditEventView(row))}\n`).join('');
    after = rows[rows.length - 1].position;
  }
}

export function auditRoutes(core: Core): Router {
  const router = new Router();
  router.get('/audit', (ctx) => {
    const filter = auditFilter(core, ctx.query);
    const paging = parsePaging(ctx.query, { perPage: 100, max: 1000 });
    const { rows, total } = core.queries.audit.search(filter, { limit: paging.perPage, offset: paging.offset });
    ctx.body = pageBody('events', rows.map(auditEventView), total, paging);
  });
  router.get('/audit/export', (ctx) => {
    const filter = auditFilter(core, ctx.query);
    // A consistent snapshot: everything the read models hold now, nothing appended while the export streams.
    const until = core.runner.position;
    ctx.type = 'application/x-ndjson';
    ctx.set('Content-Disposition', `attachment; filename="signet-audit-${timestamp(new Date()).replace(/:/g, '')}.ndjson"`);
    ctx.body = Readable.from(auditExportLines(core.queries.audit, filter, until));
  });
  return router;
}
