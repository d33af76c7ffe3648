/**
 * Managed keys (OpenBao keys/generate, keys/import, key/:ref, config/keys): each key is an event on `key-<id>`
 * carrying the private key wrapped under the KEK; keys are generated in the worker pool. The first key becomes the
 * default key unless one is configured.
 */
import { randomUUID } from 'node:crypto';
import { invalid } from '../../domain/errors.js';
import { keyDecider, keyStream } from '../../domain/key.js';
import { PKI_CONFIG_STREAMS, pkiConfigDecider } from '../../domain/pki-config.js';
import type { KeySpec } from '../../domain/x509.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { wrapPrivateKey } from '../../crypto/keywrap.js';
import { readPrivateKeys, samePublicKey } from '../../crypto/private-key.js';
import { createSigner } from '../../crypto/signer.js';
import type { KeyRow } from '../../../projections/issuers.js';
import { checkNewName, defaultKeyId, pkiKeys, recordAndWait, resolveKey, type PkiContext } from './context.js';

/** OpenBao's generation types: `kms` needs a managed-key backend Signet does not have. */
export type GenerationType = 'internal' | 'exported' | 'existing' | 'kms';

export function generationType(text: string, allowed: GenerationType[]): GenerationType {
  if (text === 'kms') {
    throw invalid('kms_unsupported', 'the "kms" type needs a managed key (HSM/KMS) backend, which Signet does not have; use "internal", "exported" or "existing"');
  }
  if (!(allowed as string[]).includes(text)) throw invalid('invalid_type', `the "exported" path parameter must be "${allowed.filter((t) => t !== 'kms').join('", "')}"`);
  return text as GenerationType;
}

export interface NewKey {
  key: KeyRow;
  /** The private key, for `exported` requests; never stored in clear. */
  pkcs8Der: Uint8Array;
}

export class KeyAdmin {
  constructor(private readonly ctx: PkiContext) {}

  private nameTaken(name: string, except?: string): boolean {
    return this.ctx.core.queries.issuers.keys().some((k) => k.name === name && k.keyId !== except);
  }

  private async register(origin: 'generated' | 'imported', pkcs8Der: Uint8Array, spec: KeySpec, name: string, metadata: EventMetadata): Promise<KeyRow> {
    checkNewName('key', name, name !== '' && this.nameTaken(name));
    const keyId = randomUUID();
    const spki = Buffer.from(createSigner(pkcs8Der).spkiDer).toString('base64');
    const wrapped = wrapPrivateKey(pkcs8Der, this.ctx.core.kek, keyId);
    const data = { keyId, name, spec, spki, wrapped };
    await recordAndWait(this.ctx.core, keyStream(keyId), keyDecider, { type: 'RegisterKey', origin, data, now: new Date() }, { ...metadata, action: `key_${origin === 'generated' ? 'generate' : 'import'}` });
    if (!defaultKeyId(this.ctx)) await this.setDefault(keyId, metadata);
    return this.ctx.core.queries.issuers.key(keyId)!;
  }

  /** A new key pair, generated in the signing pool. */
  async generate(spec: KeySpec, name: string, metadata: EventMetadata): Promise<NewKey> {
    const pair = await this.ctx.pool.generateKey(spec);
    return { key: await this.register('generated', pair.pkcs8Der, spec, name, metadata), pkcs8Der: pair.pkcs8Der };
  }

  /** A stored key with the same public key, if any. */
  findByPublicKey(spkiDer: Uint8Array): KeyRow | undefined {
    return pkiKeys(this.ctx).find((k) => samePublicKey(Buffer.from(k.spki, 'base64'), spkiDer));
  }

  /** Imports a PKCS#8 key; an already stored key (same public key) is returned as it is. */
  async importKey(pkcs8Der: Uint8Array, spec: KeySpec, name: string, metadata: EventMetadata): Promise<{ key: KeyRow; existing: boolean }> {
    const existing = this.findByPublicKey(createSigner(pkcs8Der).spkiDer);
    if (existing) return { key: existing, existing: true };
    return { key: await this.register('imported', pkcs8Der, spec, name, metadata), existing: false };
  }

  /** keys/import: exactly one private key in PEM (PKCS#8, PKCS#1 or SEC1). */
  async importPem(pem: string, name: string, metadata: EventMetadata): Promise<{ key: KeyRow; existing: boolean }> {
    const keys = readPrivateKeys(pem);
    if (keys.length !== 1) throw invalid('bad_pem_bundle', `expected exactly one private key in pem_bundle, found ${keys.length}`);
    return this.importKey(keys[0].pkcs8Der, keys[0].spec, name, metadata);
  }

  async rename(ref: string, name: string, metadata: EventMetadata): Promise<KeyRow> {
    const key = resolveKey(this.ctx, ref);
    if (name !== key.name) checkNewName('key', name, this.nameTaken(name, key.keyId));
    if (!name) throw invalid('key_name_required', 'key_name must not be empty');
    await recordAndWait(this.ctx.core, keyStream(key.keyId), keyDecider, { type: 'RenameKey', data: { keyId: key.keyId, name }, now: new Date() }, { ...metadata, action: 'key_update' });
    return this.ctx.core.queries.issuers.key(key.keyId)!;
  }

  /** Refused while an issuer still uses the key; returns warnings (e.g. it was the default key). */
  async delete(ref: string, metadata: EventMetadata): Promise<string[]> {
    const key = resolveKey(this.ctx, ref);
    const usedByIssuers = this.ctx.core.queries.issuers.list().filter((i) => i.keyId === key.keyId).map((i) => i.issuerId);
    const wasDefault = defaultKeyId(this.ctx) === key.keyId;
    await recordAndWait(this.ctx.core, keyStream(key.keyId), keyDecider, { type: 'DeleteKey', data: { keyId: key.keyId, usedByIssuers }, now: new Date() }, { ...metadata, action: 'key_delete' });
    return wasDefault ? [`Deleted key ${key.keyId} (via key_ref ${ref}); this was configured as the default key. Operations without an explicit key will not work until a new default is configured.`] : [];
  }

  async setDefault(keyId: string, metadata: EventMetadata): Promise<void> {
    await recordAndWait(this.ctx.core, PKI_CONFIG_STREAMS.keys, pkiConfigDecider, { type: 'SetDefaultKey', data: { keyId }, now: new Date() }, { ...metadata, action: 'key_set_default' });
  }
}
