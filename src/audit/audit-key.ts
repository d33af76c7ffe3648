/**
 * The audit key: a dedicated Ed25519 key that signs tree heads and nothing else (never a CA key). It is generated
 * in the signing pool the first time a head is signed and recorded like every key, as a KeyGenerated event on
 * `key-audit`, wrapped under the KEK. The fixed id makes the first node to record it win: a second node's
 * RegisterKey meets an existing stream and takes the recorded key instead.
 */
import { createHash } from 'node:crypto';
import type { Core } from '../core.js';
import { derToPem } from '../crypto/pem.js';
import { wrapPrivateKey } from '../crypto/keywrap.js';
import { DomainError } from '../domain/errors.js';
import { keyDecider, keyStream, type KeyEvent } from '../domain/key.js';
import type { EventStore } from '../eventstore/port.js';

export const AUDIT_KEY_ID = 'audit';
export const AUDIT_KEY_NAME = 'audit-key';

export interface AuditKey {
  keyId: string;
  /** SubjectPublicKeyInfo DER */
  spki: Buffer;
  /** the private key, wrapped under the KEK */
  wrapped: string;
}

/** SHA-256 of the SPKI, hex: what auditors compare against their pinned copy. */
export function keyFingerprint(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex');
}

export function publicKeyPem(spki: Uint8Array): string {
  return derToPem(spki, 'PUBLIC KEY');
}

/** The audit key from the read model, if one was recorded. */
export function recordedAuditKey(core: Pick<Core, 'queries'>): AuditKey | undefined {
  const row = core.queries.issuers.key(AUDIT_KEY_ID);
  return row && { keyId: row.keyId, spki: Buffer.from(row.spki, 'base64'), wrapped: row.wrapped };
}

/** The audit key, generated in the signing pool and recorded at first need. */
export async function ensureAuditKey(core: Pick<Core, 'queries' | 'pool' | 'kek' | 'commands' | 'runner' | 'store'>, now = new Date()): Promise<AuditKey> {
  const existing = recordedAuditKey(core);
  if (existing) return existing;
  if (!core.pool) throw new Error('the audit key is generated in the signing pool, which this process does not run');
  const pair = await core.pool.generateKey({ kind: 'ed25519' });
  const data = {
    keyId: AUDIT_KEY_ID,
    name: AUDIT_KEY_NAME,
    spec: { kind: 'ed25519' as const },
    spki: Buffer.from(pair.spkiDer).toString('base64'),
    wrapped: wrapPrivateKey(pair.pkcs8Der, core.kek, AUDIT_KEY_ID),
  };
  try {
    const result = await core.commands.handle(
      keyStream(AUDIT_KEY_ID),
      keyDecider,
      { type: 'RegisterKey', origin: 'generated', data, now },
      { metadata: { actor: 'audit', auth_method: 'local' } },
    );
    if (result.position) await core.runner.waitFor(result.position);
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'key_exists')) throw error;
    await core.runner.waitFor(await core.store.headPosition());
  }
  const recorded = recordedAuditKey(core);
  if (!recorded) throw new Error('the audit key was recorded but is not in the read model');
  return recorded;
}

/** The public key of a key id as the log records it (verification reads the log, not the read models). */
export async function publicKeyFromLog(store: EventStore, keyId: string): Promise<Buffer | undefined> {
  for (const event of (await store.readStream(keyStream(keyId))) as unknown as KeyEvent[]) {
    if (event.type === 'KeyGenerated' || event.type === 'KeyImported') return Buffer.from(event.data.spki, 'base64');
  }
  return undefined;
}
