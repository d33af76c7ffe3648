/** Certificate serial numbers (RFC 5280 4.1.2.2: positive, at most 20 octets, unpredictable per CA/B BR 7.1). */
import { randomBytes } from 'node:crypto';
import { toHex } from './bytes.js';

/**
 * 159 random bits as 40 hex digits: 20 bytes whose first byte is 0x01..0x7f, so the DER INTEGER is always exactly
 * 20 content octets (no sign pad, no leading zero to strip).
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(20);
  bytes[0] = bytes[0] & 0x7f || 1;
  return toHex(bytes);
}
