/** The audit view: one row per event, shaped for "who did what, when, from where, with what result". */
import type { Projection, RowOp, SignetRecordedEvent } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import { likeContains, SqlWhere } from './sql-where.js';

interface AuditFacts {
  action: string;
  result: string;
  serial?: string;
  subject?: string;
  issuerId?: string;
  profile?: string;
  reason?: string;
  clientIp?: string;
}

/** Pure: what an event means for the audit trail. `metadata.action` (set by the command) refines the default. */
export function auditFacts(event: SignetRecordedEvent): AuditFacts {
  const action = typeof event.metadata.action === 'string' ? event.metadata.action : undefined;
  switch (event.type) {
    case 'CertificateIssued':
      return { action: action ?? 'issue', result: 'success', serial: event.data.serial, subject: event.data.subject, issuerId: event.data.issuerId, profile: event.data.profile ?? event.data.role };
    case 'CertificateRevoked':
      return { action: 'revoke', result: 'success', serial: event.data.serial, issuerId: event.data.issuerId, reason: event.data.reason };
    case 'EnrollmentRejected':
      return { action: event.data.action, result: event.data.result, subject: event.data.subject, profile: event.data.profile, reason: event.data.reason };
    case 'OtpIssued':
      return { action: 'otp_generate', result: 'success', subject: event.data.label, profile: event.data.profile };
    case 'OtpConsumed':
      return { action: 'otp_use', result: 'success', clientIp: event.data.clientIp };
    case 'OtpRevoked':
      return { action: 'otp_revoke', result: 'success' };
    case 'IssuerCreated':
      return { action: 'issuer_create', result: 'success', issuerId: event.data.issuerId, subject: event.data.subject, serial: event.data.serial };
    case 'IssuerUpdated':
      return { action: 'issuer_update', result: 'success', issuerId: event.data.issuerId };
    case 'IssuerRevoked':
      return { action: 'issuer_revoke', result: 'success', issuerId: event.data.issuerId };
    case 'IssuerDeleted':
      return { action: 'issuer_delete', result: 'success', issuerId: event.data.issuerId };
    case 'DefaultIssuerSet':
      return { action: 'issuer_set_default', result: 'success', issuerId: event.data.issuerId };
    case 'CaBootstrapClaimed':
      return { action: 'ca_bootstrap', result: 'success' };
    case 'KeyGenerated':
      return { action: 'key_generate', result: 'success' };
    case 'KeyImported':
      return { action: 'key_import', result: 'success' };
    case 'KeyUpdated':
      return { action: 'key_update', result: 'success' };
    case 'KeyDeleted':
      return { action: 'key_delete', result: 'success' };
    case 'TokenCreated':
      return { action: 'token_create', result: 'success', subject: event.data.displayName };
    case 'TokenRevoked':
      return { action: 'token_revoke', result: 'success' };
    case 'EstProfileCreated':
      return { action: 'est_profile_create', result: 'success', profile: event.data.name };
    case 'EstProfileUpdated':
      return { action: 'est_profile_update', result: 'success', profile: event.data.name };
    case 'EstProfileDeleted':
      return { action: 'est_profile_delete', result: 'success', profile: event.data.name };
    case 'RoleWritten':
      return { action: action ?? 'role_write', result: 'success', profile: event.data.name };
    case 'RoleDeleted':
      return { action: 'role_delete', result: 'success', profile: event.data.name };
    case 'PolicyWritten':
      return { action: 'policy_write', result: 'success', subject: event.data.name };
    case 'PolicyDeleted':
      return { action: 'policy_delete', result: 'success', subject: event.data.name };
    case 'UrlsConfigured':
    case 'ClusterConfigured':
    case 'DefaultKeySet':
    case 'AutoTidyConfigured':
    case 'IssuerBehaviorConfigured':
      return { action: 'pki_config', result: 'success', subject: event.type };
    case 'TidyStarted':
      return { action: 'tidy_start', result: 'success' };
    case 'CertificatesTidied':
      return { action: 'tidy_certificates', result: 'success', reason: `${event.data.serials.length} ${event.data.kind} certificates` };
    case 'TidyFinished':
      return { action: 'tidy_finish', result: event.data.state.toLowerCase(), reason: event.data.error };
    case 'CertdCertificateCreated':
      return { action: 'certd_create', result: 'success', serial: event.data.serial, subject: event.data.subject, issuerId: event.data.issuerId, profile: event.data.role };
    case 'CertdCertificateImported':
      return { action: 'certd_import', result: 'success', subject: event.data.subject };
    case 'CertdCertificateDeleted':
      return { action: 'certd_delete', result: 'success' };
    case 'CrlNumberAllocated':
      return { action: 'crl_build', result: 'success', issuerId: event.data.issuerId, reason: `${event.data.kind} CRL #${event.data.number}` };
    case 'RevocationListSigned':
      return { action: 'crl_sign', result: 'success', issuerId: event.data.issuerId, reason: `${event.data.source}: CRL #${event.data.number}, ${event.data.entries} entries` };
    case 'CrlConfigUpdated':
      return { action: 'crl_config_update', result: 'success' };
    case 'TreeHeadSigned':
      return { action: 'audit_tree_head', result: 'success', reason: `${event.data.treeSize} events, root ${event.data.rootHash}` };
    case 'EstUpstreamCreated':
      return { action: 'est_upstream_create', result: 'success', subject: `${event.data.settings.server}:${event.data.settings.port}`, profile: `est-upstream-${event.data.id}` };
    case 'EstUpstreamUpdated':
      return { action: 'est_upstream_update', result: 'success', subject: `${event.data.settings.server}:${event.data.settings.port}`, profile: `est-upstream-${event.data.id}` };
    case 'EstUpstreamValidated':
      return { action: 'est_upstream_validate', result: 'success', profile: `est-upstream-${event.data.id}` };
    case 'EstUpstreamValidationFailed':
      return { action: 'est_upstream_validate', result: 'failure', profile: `est-upstream-${event.data.id}`, reason: event.data.reason };
    case 'EstUpstreamDeleted':
      return { action: 'est_upstream_delete', result: 'success', profile: `est-upstream-${event.data.id}` };
  }
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export const auditProjection: Projection = {
  name: 'audit',
  version: 1,
  tables: {
    audit_events: [
      `CREATE TABLE IF NOT EXISTS audit_events (
        position INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        stream TEXT NOT NULL,
        type TEXT NOT NULL,
        action TEXT NOT NULL,
        result TEXT NOT NULL,
        actor TEXT,
        auth_method TEXT,
        client_ip TEXT,
        serial TEXT,
        subject TEXT,
        issuer_id TEXT,
        profile TEXT,
        reason TEXT
      )`,
      'CREATE INDEX IF NOT EXISTS audit_events_action ON audit_events (action, time)',
      'CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (time)',
      'CREATE INDEX IF NOT EXISTS audit_events_serial ON audit_events (serial)',
    ],
  },
  canHandle: [
    'CertificateIssued', 'CertificateRevoked', 'EnrollmentRejected', 'OtpIssued', 'OtpConsumed', 'OtpRevoked',
    'IssuerCreated', 'IssuerUpdated', 'IssuerRevoked', 'IssuerDeleted', 'DefaultIssuerSet', 'CaBootstrapClaimed',
    'KeyGenerated', 'KeyImported', 'KeyUpdated', 'KeyDeleted', 'TokenCreated', 'TokenRevoked',
    'EstProfileCreated', 'EstProfileUpdated', 'EstProfileDeleted',
    'RoleWritten', 'RoleDeleted', 'PolicyWritten', 'PolicyDeleted', 'UrlsConfigured', 'ClusterConfigured', 'DefaultKeySet',
    'AutoTidyConfigured', 'IssuerBehaviorConfigured', 'TidyStarted', 'CertificatesTidied', 'TidyFinished',
    'CertdCertificateCreated', 'CertdCertificateImported', 'CertdCertificateDeleted',
    'CrlNumberAllocated', 'RevocationListSigned', 'CrlConfigUpdated', 'TreeHeadSigned',
    'EstUpstreamCreated', 'EstUpstreamUpdated', 'EstUpstreamValidated', 'EstUpstreamValidationFailed', 'EstUpstreamDeleted',
  ],
  reduce(event): RowOp[] {
    const facts = auditFacts(event);
    return [
      {
        op: 'insert',
        table: 'audit_events',
        row: {
          position: event.position,
          time: new Date(event.created).toISOString(),
          stream: event.streamId,
          type: event.type,
          action: facts.action,
          result: facts.result,
          actor: str(event.metadata.actor),
          auth_method: str(event.metadata.auth_method),
          client_ip: str(event.metadata.client_ip) ?? facts.clientIp ?? null,
          serial: facts.serial ?? null,
          subject: facts.subject ?? null,
          issuer_id: facts.issuerId ?? null,
          profile: facts.profile ?? null,
          reason: facts.reason ?? null,
        },
      },
    ];
  },
};

export interface AuditRow {
  position: number;
  time: string;
  stream: string;
  type: string;
  action: string;
  result: string;
  actor: string | null;
  authMethod: string | null;
  clientIp: string | null;
  serial: string | null;
  subject: string | null;
  issuerId: string | null;
  profile: string | null;
  reason: string | null;
}

export const toAuditRow = (r: Record<string, unknown>): AuditRow => ({
  position: r.position as number,
  time: r.time as string,
  stream: r.stream as string,
  type: r.type as string,
  action: r.action as string,
  result: r.result as string,
  actor: r.actor as string | null,
  authMethod: r.auth_method as string | null,
  clientIp: r.client_ip as string | null,
  serial: r.serial as string | null,
  subject: r.subject as string | null,
  issuerId: r.issuer_id as string | null,
  profile: r.profile as string | null,
  reason: r.reason as string | null,
});

/** Audit search; every field optional, all given ones must match. Times are ISO strings, `to` exclusive. */
export interface AuditFilter {
  actions?: string[];
  results?: string[];
  /** Case-insensitive substring of the subject (a revocation's subject is its certificate's). */
  subjectContains?: string;
  issuerId?: string;
  serial?: string;
  from?: string;
  to?: string;
}

/**
 * Events such as CertificateRevoked do not repeat the subject; it comes from the certificate index, which the
 * runner updates in the same transaction as this view.
 */
const WITH_CERTIFICATES = 'audit_events a LEFT JOIN certificates c ON c.serial = a.serial';
export const AUDIT_SELECT = `SELECT a.position, a.time, a.stream, a.type, a.action, a.result, a.actor, a.auth_method, a.client_ip, a.serial,
  COALESCE(a.subject, c.subject) AS subject, a.issuer_id, a.profile, a.reason FROM ${WITH_CERTIFICATES}`;

/** The FROM clause a count needs: the join with the certificate index only when a subject filter reads it. */
export const auditFrom = (filter: AuditFilter): string => (filter.subjectContains === undefined ? 'audit_events a' : WITH_CERTIFICATES);

export function auditWhere(filter: AuditFilter): SqlWhere {
  const where = new SqlWhere();
  const anyOf = (column: string, values: string[]) => where.add(`${column} IN (${values.map(() => '?').join(',')})`, ...values);
  if (filter.actions?.length) anyOf('a.action', filter.actions);
  if (filter.results?.length) anyOf('a.result', filter.results);
  if (filter.subjectContains !== undefined) where.add("COALESCE(a.subject, c.subject) LIKE ? ESCAPE '\\'", likeContains(filter.subjectContains));
  if (filter.issuerId !== undefined) where.add('a.issuer_id = ?', filter.issuerId);
  if (filter.serial !== undefined) where.add('a.serial = ?', filter.serial);
  if (filter.from !== undefined) where.add('a.time >= ?', filter.from);
  if (filter.to !== undefined) where.add('a.time < ?', filter.to);
  return where;
}

export class AuditQueries {
  constructor(private readonly db: ReadModelDb) {}

  /** Newest first. */
  recent(limit: number): AuditRow[] {
    return (this.db.prepare('SELECT * FROM audit_events ORDER BY position DESC LIMIT ?').all(limit) as Record<string, unknown>[]).map(toAuditRow);
  }

  /** One page of matching events, newest first, and how many match in all. */
  search(filter: AuditFilter, page: { limit: number; offset: number }): { rows: AuditRow[]; total: number } {
    const where = auditWhere(filter);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM ${auditFrom(filter)} ${where}`).get(...where.params) as { n: number }).n;
    const rows = this.db.prepare(`${AUDIT_SELECT} ${where} ORDER BY a.position DESC LIMIT ? OFFSET ?`).all(...where.params, page.limit, page.offset);
    return { rows: (rows as Record<string, unknown>[]).map(toAuditRow), total };
  }

  /** Matching events after position `after` up to `until` (inclusive), oldest first: one chunk of an export. */
  chunk(filter: AuditFilter, after: number, until: number, limit: number): AuditRow[] {
    const where = auditWhere(filter).add('a.position > ? AND a.position <= ?', after, until);
    const rows = this.db.prepare(`${AUDIT_SELECT} ${where} ORDER BY a.position LIMIT ?`).all(...where.params, limit);
    return (rows as Record<string, unknown>[]).map(toAuditRow);
  }
}
