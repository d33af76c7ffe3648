/**
 * A large, realistic-looking certificate history for the GraphQL benchmark, written as events straight into a
 * SQLite event store (signing a million certificates would measure the signer, not the queries): CertificateIssued
 * events over the last 180 days across three profiles and two issuers, renewals, 2 % revocations and some refused
 * enrollments. Every event reuses the TLS certificate's DER as its `der` (the queries never parse it). The read
 * models are then built by the normal projection runner.
 */
import { randomSerialHex } from '../src/crypto/serial.js';
import type { CertificateIssuedData, CertificateRevokedData } from '../src/domain/certificate.js';
import { certificateStream } from '../src/domain/certificate.js';
import { ENROLLMENT_REJECTED_STREAM, type EnrollmentRejectedData } from '../src/domain/enrollment.js';
import { EVENT_SCHEMA_VERSION } from '../src/domain/events.js';
import type { RevocationReason } from '../src/domain/revocation-reason.js';
import type { EventStore, NewEvent } from '../src/eventstore/port.js';

const DAY_MS = 86_400_000;

export interface DatasetIssuers {
  /** Issues most certificates. */
  main: string;
  other: string;
}

/** Profile mix (per 20 certificates) and validity: servers and users expire within the window, devices do not. */
const PROFILES: { name: string | undefined; share: number; validityDays: number }[] = [
  { name: 'devices', share: 12, validityDays: 365 },
  { name: 'servers', share: 5, validityDays: 90 },
  { name: 'users', share: 2, validityDays: 30 },
  { name: undefined, share: 1, validityDays: 365 },
];
const PROFILE_BY_SLOT = PROFILES.flatMap((profile) => Array.from({ length: profile.share }, () => profile));
const REVOCATION_REASONS: RevocationReason[] = ['keyCompromise', 'superseded', 'cessationOfOperation', 'affiliationChanged'];

export interface DatasetSummary {
  certificates: number;
  revoked: number;
  refused: number;
  /** A serial that exists, and a SAN value that names exactly one certificate. */
  sampleSerial: string;
  sampleSan: string;
}

/** Appends the dataset with `inFlight` concurrent appends (the store group-commits them). */
export async function writeDataset(store: EventStore, issuers: DatasetIssuers, der: string, count: number, now: Date, onProgress?: (done: number) => void, inFlight = 512): Promise<DatasetSummary> {
  const start = now.getTime() - 180 * DAY_MS;
  const step = (180 * DAY_MS) / count;
  const serials: string[] = new Array(count);
  const metadata = { actor: 'load', auth_method: 'otp', client_ip: '127.0.0.1', v: EVENT_SCHEMA_VERSION };
  let revoked = 0;
  let refused = 0;
  let pending: Promise<unknown>[] = [];
  const append = async (stream: string, event: NewEvent, expectedRevision: 'no_stream' | 'any' | number) => {
    pending.push(store.append(stream, [event], { expectedRevision }));
    if (pending.length >= inFlight) {
      await Promise.all(pending);
      pending = [];
    }
  };

  for (let i = 0; i < count; i++) {
    const serial = randomSerialHex();
    serials[i] = serial;
    const issuedAt = new Date(start + i * step);
    const profile = PROFILE_BY_SLOT[i % PROFILE_BY_SLOT.length];
    const renews = i >= 1000 && i % 50 === 0 ? serials[i - 1000] : undefined;
    const data: CertificateIssuedData = {
      serial,
      issuerId: i % 10 === 9 ? issuers.other : issuers.main,
      subject: `CN=${profile.name ?? 'misc'}-${i},O=Example Devices Ltd`,
      sans: [{ type: 'dns', value: `${profile.name ?? 'misc'}-${i}.example.com` }],
      notBefore: issuedAt.toISOString(),
      notAfter: new Date(issuedAt.getTime() + profile.validityDays * DAY_MS).toISOString(),
      der,
      keyType: 'EC P-256',
      ...(profile.name ? { profile: profile.name } : {}),
      ...(renews ? { renews } : {}),
      issuedAt: issuedAt.toISOString(),
    };
    await append(certificateStream(serial), { type: 'CertificateIssued', data, metadata: { ...metadata, action: renews ? 'reenroll' : 'enroll' } }, 'no_stream');
    if (i % 500 === 250) {
      const rejected: EnrollmentRejectedData = { action: 'enroll', result: 'unauthorized', reason: 'invalid one-time password', profile: profile.name, at: issuedAt.toISOString() };
      await append(ENROLLMENT_REJECTED_STREAM, { type: 'EnrollmentRejected', data: rejected, metadata }, 'any');
      refused++;
    }
    if (i % 10_000 === 0) onProgress?.(i);
  }
  await Promise.all(pending);
  pending = [];

  // About 2 % revoked (every 47th, independent of profile and issuer), each up to 20 days after its issuance.
  for (let i = 0; i < count; i++) {
    if (i % 47 !== 5) continue;
    const revokedAt = new Date(Math.min(now.getTime() - 1000, start + i * step + (i % 20) * DAY_MS)).toISOString();
    const data: CertificateRevokedData = {
      serial: serials[i],
      issuerId: i % 10 === 9 ? issuers.other : issuers.main,
      reason: REVOCATION_REASONS[i % REVOCATION_REASONS.length],
      revokedAt,
    };
    await append(certificateStream(serials[i]), { type: 'CertificateRevoked', data, metadata: { ...metadata, auth_method: 'token', actor: 'operator' } }, 0);
    revoked++;
  }
  await Promise.all(pending);
  const sample = Math.floor(count / 2);
  return { certificates: count, revoked, refused, sampleSerial: serials[sample], sampleSan: `${PROFILE_BY_SLOT[sample % PROFILE_BY_SLOT.length].name ?? 'misc'}-${sample}.example.com` };
}
