/** Every event type Signet records, as one discriminated union, and the current schema version of each. */
import type { CertificateEvent } from './certificate.js';
import type { EnrollmentEvent } from './enrollment.js';
import type { IssuerConfigEvent, IssuerEvent } from './issuer.js';
import type { KeyEvent } from './key.js';
import type { OtpEvent } from './otp.js';
import type { TokenEvent } from './token.js';

export type SignetEvent = CertificateEvent | IssuerEvent | IssuerConfigEvent | KeyEvent | OtpEvent | TokenEvent | EnrollmentEvent;
export type SignetEventType = SignetEvent['type'];

/** Schema version written into each event's metadata (`v`); bump and add an upcaster when a data shape changes. */
export const EVENT_SCHEMA_VERSION = 1;
