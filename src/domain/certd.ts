/**
 * certd's certificate store (Azure IoT Identity Service API over a Unix socket): a certificate ID names the current
 * PEM chain a local service created from a CSR or imported. Stream `certd-<certId>`. As in certd, creating or
 * importing replaces whatever the ID held, and deleting an ID that holds nothing is not an error.
 */
import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { invalid } from './errors.js';

export const certdStream = (certId: string) => `certd-${certId}`;

export const CERTD_CERT_ID_MAX_LENGTH = 256;

export interface CertdCertificateCreatedData {
  certId: string;
  /** Serial of the certificate Signet issued for the CSR (its `cert-<serial>` stream). */
  serial: string;
  issuerId: string;
  /** Display form of the leaf's subject. */
  subject: string;
  /** base64 DER, leaf first, then its issuer and that issuer's chain up to the root. */
  chain: string[];
  /** OpenBao role the issuance setting named, if any. */
  role?: string;
  at: string;
}

export interface CertdCertificateImportedData {
  certId: string;
  subject: string;
  /** base64 DER, in the order the caller gave them (leaf first by convention). */
  chain: string[];
  at: string;
}

export type CertdEvent =
  | DomainEvent<'CertdCertificateCreated', CertdCertificateCreatedData>
  | DomainEvent<'CertdCertificateImported', CertdCertificateImportedData>
  | DomainEvent<'CertdCertificateDeleted', { certId: string; at: string }>;

export type CertdState = { status: 'empty' } | { status: 'present'; source: 'created' | 'imported'; serial?: string };

export type CertdCommand =
  | { type: 'RecordCreatedCertificate'; data: Omit<CertdCertificateCreatedData, 'at'>; now: Date }
  | { type: 'ImportCertificate'; data: Omit<CertdCertificateImportedData, 'at'>; now: Date }
  | { type: 'DeleteCertificate'; data: { certId: string }; now: Date };

/** A certificate ID is any non-empty text up to 256 characters without control characters (certd percent-decodes it from the path). */
export function certIdProblem(certId: string): string | undefined {
  if (certId.length === 0) return 'must not be empty';
  if (certId.length > CERTD_CERT_ID_MAX_LENGTH) return `must be at most ${CERTD_CERT_ID_MAX_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(certId)) return 'must not contain control characters';
  return undefined;
}

function requireValid(certId: string, chain: string[]): void {
  const problem = certIdProblem(certId);
  if (problem) throw invalid('invalid_cert_id', `certId ${problem}`);
  if (chain.length === 0) throw invalid('empty_chain', 'a certificate chain needs at least one certificate');
}

function decide(command: CertdCommand, state: CertdState): CertdEvent[] {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'RecordCreatedCertificate':
      requireValid(command.data.certId, command.data.chain);
      return [{ type: 'CertdCertificateCreated', data: { ...command.data, at } }];
    case 'ImportCertificate':
      requireValid(command.data.certId, command.data.chain);
      return [{ type: 'CertdCertificateImported', data: { ...command.data, at } }];
    case 'DeleteCertificate':
      return state.status === 'empty' ? [] : [{ type: 'CertdCertificateDeleted', data: { certId: command.data.certId, at } }];
    default:
      return unreachable(command);
  }
}

function evolve(_state: CertdState, event: CertdEvent): CertdState {
  switch (event.type) {
    case 'CertdCertificateCreated':
      return { status: 'present', source: 'created', serial: event.data.serial };
    case 'CertdCertificateImported':
      return { status: 'present', source: 'imported' };
    case 'CertdCertificateDeleted':
      return { status: 'empty' };
    default:
      return unreachable(event);
  }
}

export const certdDecider: Decider<CertdCommand, CertdEvent, CertdState> = { initialState: () => ({ status: 'empty' }), decide, evolve };
