/** Every event type Signet records, as one discriminated union, and the current schema version of each. */
import type { AuditEvent } from './audit.js';
import type { CertdEvent } from './certd.js';
import type { CertificateEvent } from './certificate.js';
import type { CrlConfigEvent } from './crl-config.js';
import type { CrlEvent } from './crl.js';
import type { EnrollmentEvent } from './enrollment.js';
import type { EstProfileEvent } from './est-profile.js';
import type { EstUpstreamEvent } from './est-upstream.js';
import type { IssuerConfigEvent, IssuerEvent } from './issuer.js';
import type { KeyEvent } from './key.js';
import type { OtpEvent } from './otp.js';
import type { PkiConfigEvent } from './pki-config.js';
import type { PolicyEvent } from './policy.js';
import type { RoleEvent } from './role.js';
import type { TidyEvent } from './tidy.js';
import type { TokenEvent } from './token.js';

export type SignetEvent = CertificateEvent | IssuerEvent | IssuerConfigEvent | KeyEvent | OtpEvent | TokenEvent | EnrollmentEvent | EstProfileEvent | CertdEvent
  | RoleEvent | PolicyEvent | PkiConfigEvent | TidyEvent | CrlEvent | CrlConfigEvent | AuditEvent | EstUpstreamEvent;
export type SignetEventType = SignetEvent['type'];

/** Schema version written into each event's metadata (`v`); bump and add an upcaster when a data shape changes. */
export const EVENT_SCHEMA_VERSION = 1;
