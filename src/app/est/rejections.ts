/**
 * Refused enrollments are history too: each becomes an EnrollmentRejected event on the shared stream (expected
 * revision `any`, so refusals never contend with each other), with whatever was known when it was refused.
 */
import { ENROLLMENT_REJECTED_STREAM, type EnrollmentEvent, type EnrollmentRejectedData } from '../../domain/enrollment.js';
import { EVENT_SCHEMA_VERSION } from '../../domain/events.js';
import type { EventStore } from '../../eventstore/port.js';
import { parseCsr } from '../../crypto/csr.js';
import { formatName } from '../../crypto/name.js';

export type EstAction = 'enroll' | 'reenroll' | 'serverkeygen';

/** What is known about one EST request as it proceeds; a refusal records it. */
export interface EnrollmentAttempt {
  action: EstAction;
  clientIp?: string;
  profile?: string;
  authMethod?: string;
  actor?: string;
  subject?: string;
  /** The decoded request, once read: its subject is looked up only if the attempt is refused. */
  csrDer?: Uint8Array;
}

function subjectOf(attempt: EnrollmentAttempt): string | undefined {
  if (attempt.subject !== undefined || !attempt.csrDer) return attempt.subject;
  try {
    return formatName(parseCsr(attempt.csrDer).subject);
  } catch {
    return undefined;
  }
}

/** Reasons, subjects and labels quote what the client sent: keep each bounded, so refusals cannot bloat the log. */
const MAX_TEXT = 300;
const bounded = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

export function enrollmentRejected(attempt: EnrollmentAttempt, result: string, reason: string, now: Date): EnrollmentEvent {
  const data: EnrollmentRejectedData = { action: attempt.action, result, reason: bounded(reason), at: now.toISOString() };
  const subject = subjectOf(attempt);
  if (subject !== undefined) data.subject = bounded(subject);
  if (attempt.profile !== undefined) data.profile = bounded(attempt.profile);
  return { type: 'EnrollmentRejected', data };
}

export async function recordRejection(store: EventStore, attempt: EnrollmentAttempt, result: string, reason: string, now = new Date()): Promise<void> {
  const event = enrollmentRejected(attempt, result, reason, now);
  const metadata = {
    v: EVENT_SCHEMA_VERSION,
    ...(attempt.clientIp ? { client_ip: attempt.clientIp } : {}),
    ...(attempt.authMethod ? { auth_method: attempt.authMethod } : {}),
    ...(attempt.actor ? { actor: attempt.actor } : {}),
  };
  await store.append(ENROLLMENT_REJECTED_STREAM, [{ ...event, metadata }], { expectedRevision: 'any' });
}
