/** IP address text <-> the octets of a GeneralName iPAddress (RFC 5280 4.2.1.6: 4 octets for IPv4, 16 for IPv6). */
import { isIPv4, isIPv6 } from 'node:net';
import { CryptoInputError } from './errors.js';

function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

export function ipToBytes(text: string): Uint8Array {
  if (isIPv4(text)) return Uint8Array.from(ipv4Bytes(text));
  if (!isIPv6(text) || text.includes('%')) {
    throw new CryptoInputError('invalid_content', `"${text}" is not an IPv4 or IPv6 address`);
  }
  let groups: string[];
  let tail: number[] = [];
  let head = text;
  const lastColon = head.lastIndexOf(':');
  if (head.includes('.', lastColon)) {
    tail = ipv4Bytes(head.slice(lastColon + 1));
    head = head.slice(0, lastColon + 1) + '0:0';
  }
  const gap = head.indexOf('::');
  if (gap >= 0) {
    const left = head.slice(0, gap).split(':').filter(Boolean);
    const right = head.slice(gap + 2).split(':').filter(Boolean);
    groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  } else {
    groups = head.split(':');
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (tail.length) out.set(tail, 12);
  return out;
}

/** Dotted quad, or RFC 5952 IPv6 text (lower case, longest run of two or more zero groups as "::"). */
export function bytesToIp(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) return undefined;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
