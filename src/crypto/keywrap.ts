/**
 * Private keys at rest: AES-256-GCM under a 32-byte key-encryption key (KEK), with the key id bound as additional
 * authenticated data so a wrapped key cannot be replayed under another id.
 * Format: base64( version (1) | iv (12) | tag (16) | ciphertext ), version 1. AAD = version byte | UTF-8 key id.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBase64, fromHex, toBase64, toHex } from './bytes.js';
import { KeyWrapError } from './errors.js';

const VERSION = 1;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const KEK_LENGTH = 32;
const HEADER_LENGTH = 1 + IV_LENGTH + TAG_LENGTH;

function checkKek(kek: Uint8Array): void {
  if (kek.length !== KEK_LENGTH) throw new KeyWrapError('bad_kek', `the KEK must be ${KEK_LENGTH} bytes, not ${kek.length}`);
}

function aad(keyId: string): Buffer {
  return Buffer.concat([Uint8Array.of(VERSION), Buffer.from(keyId, 'utf8')]);
}

export function wrapPrivateKey(pkcs8Der: Uint8Array, kek: Uint8Array, keyId: string): string {
  checkKek(kek);
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad(keyId));
  const ciphertext = Buffer.concat([cipher.update(pkcs8Der), cipher.final()]);
  return toBase64(Buffer.concat([Uint8Array.of(VERSION), iv, cipher.getAuthTag(), ciphertext]));
}

/** Fails with KeyWrapError 'bad_format' (not a v1 blob) or 'unwrap_failed' (tampered, wrong KEK or wrong key id). */
export function unwrapPrivateKey(wrapped: string, kek: Uint8Array, keyId: string): Uint8Array {
  checkKek(kek);
  const blob = fromBase64(wrapped);
  if (blob.length <= HEADER_LENGTH || !/^[A-Za-z0-9+/]+={0,2}$/.test(wrapped)) {
    throw new KeyWrapError('bad_format', 'wrapped key is not a base64 key-wrap blob');
  }
  if (blob[0] !== VERSION) throw new KeyWrapError('bad_format', `wrapped key version ${blob[0]} is unknown`);
  const iv = blob.subarray(1, 1 + IV_LENGTH);
  const tag = blob.subarray(1 + IV_LENGTH, HEADER_LENGTH);
  const decipher = createDecipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad(keyId));
  decipher.setAuthTag(tag);
  try {
    return new Uint8Array(Buffer.concat([decipher.update(blob.subarray(HEADER_LENGTH)), decipher.final()]));
  } catch {
    throw new KeyWrapError('unwrap_failed', `wrapped key ${keyId} does not authenticate (tampered, or another KEK)`);
  }
}

/** A KEK as 32 bytes from base64 (standard or URL-safe) or 64 hex digits. */
export function parseKek(text: string): Uint8Array {
  const trimmed = text.trim();
  const kek =
    (trimmed.length === 64 ? fromHex(trimmed) : undefined) ??
    (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed) ? fromBase64(trimmed.replace(/-/g, '+').replace(/_/g, '/')) : undefined);
  if (!kek || kek.length !== KEK_LENGTH) {
    throw new KeyWrapError('bad_kek', 'the KEK must be 32 bytes as base64 or 64 hex digits');
  }
  return kek;
}

export interface LoadedKek {
  kek: Uint8Array;
  source: 'env' | 'file' | 'created';
  /** The KEK file, when one was read or created. */
  path?: string;
  /** The existing KEK file is readable or writable by group or others: warn the operator. */
  insecurePermissions: boolean;
}

/**
 * The KEK from `envValue` (SIGNET_KEK) if set, else from `<dataDir>/kek`, created with mode 0600 when missing.
 * The data directory must exist.
 */
export function loadOrCreateKek(dataDir: string, envValue?: string): LoadedKek {
  if (envValue !== undefined && envValue.trim() !== '') {
    return { kek: parseKek(envValue), source: 'env', insecurePermissions: false };
  }
  const path = join(dataDir, 'kek');
  const created = createKekFile(path);
  if (created) return { kek: created, source: 'created', path, insecurePermissions: false };
  const insecurePermissions = (statSync(path).mode & 0o077) !== 0;
  return { kek: parseKek(readFileSync(path, 'utf8')), source: 'file', path, insecurePermissions };
}

/**
 * Writes a new KEK to a private temporary file, then hard-links it into place: the link fails if the KEK already
 * exists, and a concurrent reader never sees a half-written file. Undefined when the file already existed.
 */
function createKekFile(path: string): Uint8Array | undefined {
  const kek = new Uint8Array(randomBytes(KEK_LENGTH));
  const temporary = `${path}.${process.pid}.${toHex(randomBytes(4))}.tmp`;
  writeFileSync(temporary, `${toBase64(kek)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
    return kek;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}
