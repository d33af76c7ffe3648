/** /admin/certs: issued certificates (filtered, paged), one certificate in full, and revocation. */
import type { ParsedUrlQuery } from 'node:querystring';
import Router from '@koa/router';
import type { Core } from '../../core.js';
import { certificateDecider, certificateStream } from '../../domain/certificate.js';
import { parseRevocationReason, type RevocationReason } from '../../domain/revocation-reason.js';
import { parseCertificate } from '../../crypto/certificate.js';
import { formatName } from '../../crypto/name.js';
import { derToPem } from '../../crypto/pem.js';
import type { CertificateFilter, CertificateRow } from '../../../projections/certificates.js';
import { HttpError } from '../errors.js';
import { readJson } from '../middleware/body.js';
import { adminMetadata } from './auth.js';
import { auditEventView } from './audit.js';
import { caIdFilter } from './cas.js';
import { canonicalSerial, pageBody, parsePaging, parseTimeRange, queryEnum, queryParam, rejectUnknownFields, serialPrefix, timestamp } from './params.js';

/** The reasons the admin spec lists, in its spelling (RFC 5280 writes cACompromise). */
const ADMIN_REASONS: Partial<Record<RevocationReason, string>> = {
  unspecified: 'unspecified',
  keyCompromise: 'keyCompromise',
  cACompromise: 'caCompromise',
  affiliationChanged: 'affiliationChanged',
  superseded: 'superseded',
  cessationOfOperation: 'cessationOfOperation',
  privilegeWithdrawn: 'privilegeWithdrawn',
};

export function reasonName(reason: string | null): string | null {
  return reason === null ? null : (ADMIN_REASONS[reason as RevocationReason] ?? reason);
}

/** A revocation reason from the request: one of the spec's names (any case, `_`/`-` allowed) or its RFC 5280 code. */
export function parseAdminReason(input: unknown): RevocationReason {
  const reason = typeof input === 'string' || typeof input === 'number' ? parseRevocationReason(input) : undefined;
  if (!reason || !(reason in ADMIN_REASONS)) throw new HttpError(400, `"reason" must be one of ${Object.values(ADMIN_REASONS).join(', ')}`);
  return reason;
}

/** status, ca, subject (substring), serial (prefix), not_after_from / not_after_to (ISO 8601, inclusive). */
function certificateFilter(core: Core, query: ParsedUrlQuery): CertificateFilter {
  const serial = queryParam(query, 'serial');
  const range = parseTimeRange(query, 'not_after_from', 'not_after_to');
  return {
    status: queryEnum(query, 'status', ['active', 'revoked', 'expired'] as const),
    issuerId: caIdFilter(core, queryParam(query, 'ca')),
    subjectContains: queryParam(query, 'subject'),
    serialPrefix: serial === undefined ? undefined : serialPrefix(serial),
    notAfterFrom: range.from,
    notAfterTo: range.to,
  };
}

function issuerSubjects(core: Core): Map<string, string> {
  return new Map(core.queries.issuers.list().map((issuer) => [issuer.issuerId, issuer.subject]));
}

function certificateSummary(row: CertificateRow, issuerSubject: string | undefined) {
  return {
    serial: row.serial,
    subject: row.subject,
    issuer: issuerSubject ?? formatName(parseCertificate(Buffer.from(row.der, 'base64')).issuer),
    not_before: timestamp(row.notBefore),
    not_after: timestamp(row.notAfter),
    status: row.status,
    ca_id: row.issuerId,
  };
}

function certificateDetail(core: Core, row: CertificateRow) {
  const der = Buffer.from(row.der, 'base64');
  return {
    ...certificateSummary(row, formatName(parseCertificate(der).issuer)),
    sans: row.sans,
    key_type: row.keyType,
    profile: row.profile,
    role: row.role,
    issued_at: timestamp(row.issuedAt),
    revocation_time: row.revokedAt && timestamp(row.revokedAt),
    revocation_reason: reasonName(row.revocationReason),
    renews: row.renews,
    renewed_by: row.renewedBy,
    pem: derToPem(der, 'CERTIFICATE'),
    audit: core.queries.audit.search({ serial: row.serial }, { limit: 1000, offset: 0 }).rows.reverse().map(auditEventView),
  };
}

function findCertificate(core: Core, serial: string): CertificateRow {
  const row = core.queries.certificates.get(serial);
  if (!row) throw new HttpError(404, `no certificate with serial ${serial}`);
  return row;
}

export function certRoutes(core: Core): Router {
  const router = new Router();

  router.get('/certs', (ctx) => {
    const filter = certificateFilter(core, ctx.query);
    const paging = parsePaging(ctx.query, { perPage: 50, max: 1000 });
    const { rows, total } = core.queries.certificates.search(filter, { limit: paging.perPage, offset: paging.offset });
    const subjects = issuerSubjects(core);
    ctx.body = pageBody('certs', rows.map((row) => certificateSummary(row, subjects.get(row.issuerId))), total, paging);
  });

  router.get('/certs/:serial', (ctx) => {
    ctx.body = certificateDetail(core, findCertificate(core, canonicalSerial(ctx.params.serial)));
  });

  router.post('/certs/:serial/revoke', async (ctx) => {
    const serial = canonicalSerial(ctx.params.serial);
    const body = await readJson(ctx);
    rejectUnknownFields(body, ['reason']);
    const reason = parseAdminReason(body.reason ?? 'unspecified');
    const result = await core.commands.handle(
      certificateStream(serial),
      certificateDecider,
      { type: 'RevokeCertificate', data: { serial, reason }, now: new Date() },
      { metadata: { ...adminMetadata(ctx), action: 'revoke' } },
    );
    // Revoking twice is not an error: the answer shows the revocation that stands.
    await core.runner.waitFor(result.position ?? (await core.store.headPosition()));
    const row = findCertificate(core, serial);
    ctx.body = { serial: row.serial, status: 'revoked', revocation_time: row.revokedAt && timestamp(row.revokedAt), revocation_reason: reasonName(row.revocationReason) };
  });
  return router;
}
