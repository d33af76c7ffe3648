/** The audit view: one row per event, shaped for "who did what, when, from where, with what result". */
import type { Projection, RowOp, SignetRecordedEvent } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';

interface AuditFacts {
  action: string;
  result: string;
  serial?: string;
  subject?: string;
  issuerId?: string;
  profile?: string;
  reason?: string;
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
      return { action: 'otp_use', result: 'success' };
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
          client_ip: str(event.metadata.client_ip),
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

export class AuditQueries {
  constructor(private readonly db: ReadModelDb) {}

  /** Newest first. */
  recent(limit: number): AuditRow[] {
    return (this.db.prepare('SELECT * FROM audit_events ORDER BY position DESC LIMIT ?').all(limit) as Record<string, unknown>[]).map((r) => ({
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
    }));
  }
}
