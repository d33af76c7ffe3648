import type { DomainEvent } from './decider.js';

/** Refused enrollments and other failed attempts are history too: one shared stream, appended with expected `any`. */
export const ENROLLMENT_REJECTED_STREAM = 'enrollment-rejected';

export interface EnrollmentRejectedData {
  /** enroll, reenroll, serverkeygen, issue, sign... */
  action: string;
  /** HTTP-level status class of the refusal: bad_request, unauthorized, forbidden, not_found, unavailable... */
  result: string;
  reason: string;
  subject?: string;
  profile?: string;
  at: string;
}

export type EnrollmentEvent = DomainEvent<'EnrollmentRejected', EnrollmentRejectedData>;
