/**
 * What an audit key signs: the RFC 6962 (3.5) TreeHeadSignature structure, byte for byte,
 *   struct { Version version = v1 (0); SignatureType signature_type = tree_hash (1);
 *            uint64 timestamp; uint64 tree_size; opaque sha256_root_hash[32]; }
 * so any RFC 6962 tooling, and scripts/verify-audit-proof.py, can check a Signet tree head.
 */
import { verifySignature } from '../crypto/signer.js';
import type { TreeHeadSignedData } from '../domain/audit.js';
import { HASH_SIZE } from './merkle.js';

export const AUDIT_SIGNATURE_ALGORITHM = 'ed25519';

export interface TreeHead {
  treeSize: number;
  /** hex */
  rootHash: string;
  /** milliseconds since the epoch */
  timestamp: number;
}

export function treeHeadSignatureInput(head: TreeHead): Buffer {
  const root = Buffer.from(head.rootHash, 'hex');
  if (root.length !== HASH_SIZE) throw new TypeError('a tree head root is 32 bytes of hex');
  const bytes = Buffer.alloc(2 + 8 + 8 + HASH_SIZE);
  bytes[0] = 0;
  bytes[1] = 1;
  bytes.writeBigUInt64BE(BigInt(head.timestamp), 2);
  bytes.writeBigUInt64BE(BigInt(head.treeSize), 10);
  root.copy(bytes, 18);
  return bytes;
}

/** False for a wrong signature, a malformed head, or a key that is not an Ed25519 SPKI. */
export function verifyTreeHeadSignature(spkiDer: Uint8Array, head: TreeHead, signatureBase64: string): boolean {
  try {
    return verifySignature(spkiDer, AUDIT_SIGNATURE_ALGORITHM, treeHeadSignatureInput(head), Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}

/** A signed tree head as JSON outputs show it (RFC 6962 field names). */
export function treeHeadView(head: TreeHeadSignedData, position?: number) {
  return {
    tree_size: head.treeSize,
    root_hash: head.rootHash,
    timestamp: head.timestamp,
    time: new Date(head.timestamp).toISOString(),
    signature: head.signature,
    key_id: head.keyId,
    algorithm: AUDIT_SIGNATURE_ALGORITHM,
    ...(position === undefined ? {} : { position }),
  };
}
