import type { San } from './x509.js';
import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { conflict, notFound } from './errors.js';
import type { RevocationReason } from './revocation-reason.js';

/** Stream of one certificate: `cert-<serial hex>`. A new serial is appended with expected `no_stream`, so serials are unique by construction. */
export const certificateStream = (serialHex: string) => `cert-${serialHex}`;

export interface CertificateIssuedData {
  serial: string;
  issuerId: string;
  /** RFC 4514-style display form of the subject. */
  subject: string;
  sans: San[];
  notBefore: string;
  notAfter: string;
  /** The certificate, base64 DER. */
  der: string;
  keyType: string;
  profile?: string;
  role?: string;
  /** Serial this certificate renews (EST simplereenroll). */
  renews?: string;
  /** Issued under an OpenBao role with no_store: recorded for audit, hidden from certificate listings. */
  noStore?: boolean;
  /** Issued by an upstream EST server (Signet as RA): the upstream configuration's id. */
  upstream?: number;
  issuedAt: string;
}

export interface CertificateRevokedData {
  serial: string;
  issuerId: string;
  reason: RevocationReason;
  revokedAt: string;
  invalidityDate?: string;
}

export type CertificateEvent =
  | DomainEvent<'CertificateIssued', CertificateIssuedData>
  | DomainEvent<'CertificateRevoked', CertificateRevokedData>;

export type CertificateState =
  | { status: 'none' }
  | { status: 'active'; serial: string; issuerId: string; notAfter: string }
  | { status: 'revoked'; serial: string; issuerId: string; notAfter: string; reason: RevocationReason; revokedAt: string };

export type CertificateCommand =
  | { type: 'RecordIssuedCertificate'; data: Omit<CertificateIssuedData, 'issuedAt'>; now: Date }
  | { type: 'RevokeCertificate'; data: { serial: string; reason: RevocationReason; invalidityDate?: string }; now: Date };

function decide(command: CertificateCommand, state: CertificateState): CertificateEvent[] {
  switch (command.type) {
    case 'RecordIssuedCertificate':
      if (state.status !== 'none') throw conflict('serial_in_use', `serial ${command.data.serial} already exists`);
      return [{ type: 'CertificateIssued', data: { ...command.data, issuedAt: command.now.toISOString() } }];
    case 'RevokeCertificate': {
      if (state.status === 'none') throw notFound('unknown_serial', `certificate with serial ${command.data.serial} not found`);
      if (state.status === 'revoked') return [];
      const data: CertificateRevokedData = {
        serial: state.serial,
        issuerId: state.issuerId,
        reason: command.data.reason,
        revokedAt: command.now.toISOString(),
      };
      if (command.data.invalidityDate) data.invalidityDate = command.data.invalidityDate;
      return [{ type: 'CertificateRevoked', data }];
    }
    default:
      return unreachable(command);
  }
}

function evolve(state: CertificateState, event: CertificateEvent): CertificateState {
  switch (event.type) {
    case 'CertificateIssued':
      return { status: 'active', serial: event.data.serial, issuerId: event.data.issuerId, notAfter: event.data.notAfter };
    case 'CertificateRevoked':
      if (state.status === 'none') return state;
      return { ...state, status: 'revoked', reason: event.data.reason, revokedAt: event.data.revokedAt };
    default:
      return unreachable(event);
  }
}

export const certificateDecider: Decider<CertificateCommand, CertificateEvent, CertificateState> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};

