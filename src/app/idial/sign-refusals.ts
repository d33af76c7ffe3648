/**
 * Refused IDIAL sign requests are history too, as EST refusals are: an EnrollmentRejected on the shared stream
 * (expected revision `any`) naming the endpoint (action `idial_sign_client_csr` / `idial_sign_server_csr`), the
 * result, the reason, the CSR's subject when it could be read, and who asked (metadata).
 */
import { ENROLLMENT_REJECTED_STREAM, type EnrollmentRejectedData } from '../../domain/enrollment.js';
import { EVENT_SCHEMA_VERSION } from '../../domain/events.js';
import type { EventMetadata, EventStore } from '../../eventstore/port.js';
import { parseCsr } from '../../crypto/csr.js';
import { formatName } from '../../crypto/name.js';

export type CsrUsage = 'client' | 'server';

/** What is known about one sign request as it proceeds; a refusal records it. */
export interface SignAttempt {
  usage: CsrUsage;
  /** Set once the body's CSR decoded. */
  csrDer?: Uint8Array;
}

export const signAction = (usage: CsrUsage) => `idial_sign_${usage}_csr`;
export const signProfile = (usage: CsrUsage) => `idial-${usage}`;

const RESULT_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  501: 'not_implemented',
  502: 'upstream_failed',
  503: 'unavailable',
  504: 'upstream_timeout',
};

export const signResult = (status: number) => RESULT_BY_STATUS[status] ?? (status >= 500 ? 'error' : 'refused');

/** Reasons and subjects quote what the caller or the upstream sent: bounded, so refusals cannot bloat the log. */
const MAX_TEXT = 300;
const bounded = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

function subjectOf(csrDer: Uint8Array | undefined): string | undefined {
  if (!csrDer) return undefined;
  try {
    return formatName(parseCsr(csrDer).subject);
  } catch {
    return undefined;
  }
}

export async function recordSignRefusal(store: EventStore, attempt: SignAttempt, result: string, reason: string, metadata: EventMetadata, now = new Date()): Promise<void> {
  const action = signAction(attempt.usage);
  const subject = subjectOf(attempt.csrDer);
  const data: EnrollmentRejectedData = { action, result, reason: bounded(reason), at: now.toISOString(), profile: signProfile(attempt.usage), ...(subject ? { subject: bounded(subject) } : {}) };
  await store.append(ENROLLMENT_REJECTED_STREAM, [{ type: 'EnrollmentRejected', data, metadata: { ...metadata, action, v: EVENT_SCHEMA_VERSION } }], { expectedRevision: 'any' });
}
