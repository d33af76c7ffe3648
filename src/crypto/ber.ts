/**
 * BER to DER (X.690 8 → 10), for structures other servers send us and we only read: indefinite lengths become
 * definite, long-form lengths become minimal, constructed strings (OCTET STRING in chunks, as `openssl cms -stream`
 * writes it) become one primitive string. The result then goes through the strict DER reader, so nothing here
 * decides what is acceptable; a DER input comes back byte for byte. Only for answers from peers: what clients
 * send us (CSRs) stays strict DER.
 */
import { concatBytes, encodeTlv, encodeTlvOf, MAX_DEPTH } from './der.js';
import { malformed } from './errors.js';

const CONSTRUCTED = 0x20;
const INDEFINITE = 0x80;
const BIT_STRING = 0x03;
/** Universal types BER may encode constructed, as a series of primitive segments (X.690 8.6.3, 8.7.3, 8.23.6). */
const STRING_TYPES = new Set([0x03, 0x04, 0x0c, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1e]);

interface Normalized {
  tag: number;
  /** The DER TLV. */
  der: Uint8Array;
  /** Where the content starts in `der`. */
  contentStart: number;
  /** Where the encoding ended in the input. */
  next: number;
}

/** One BER element covering all of `ber`, as DER. Throws CryptoInputError('malformed') on anything unreadable. */
export function berToDer(ber: Uint8Array): Uint8Array {
  const element = normalize(ber, 0, ber.length, 0);
  if (element.next !== ber.length) throw malformed('trailing bytes after the BER element');
  return element.der;
}

function normalize(bytes: Uint8Array, pos: number, end: number, depth: number): Normalized {
  if (depth > MAX_DEPTH) throw malformed('BER nesting too deep');
  if (pos + 2 > end) throw malformed('truncated BER element');
  const tag = bytes[pos];
  if (tag === 0) throw malformed('unexpected end-of-contents octets');
  if ((tag & 0x1f) === 0x1f) throw malformed('multi-byte BER tags are not supported');
  const constructed = (tag & CONSTRUCTED) !== 0;
  const first = bytes[pos + 1];
  let start = pos + 2;
  if (first === INDEFINITE) {
    if (!constructed) throw malformed('indefinite length on a primitive BER element');
    const children: Normalized[] = [];
    for (;;) {
      if (start + 2 > end) throw malformed('BER indefinite length without end-of-contents');
      if (bytes[start] === 0 && bytes[start + 1] === 0) break;
      const child = normalize(bytes, start, end, depth + 1);
      children.push(child);
      start = child.next;
    }
    return { ...assemble(tag, children), next: start + 2 };
  }
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw malformed('BER length too large');
    if (start + count > end) throw malformed('truncated BER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i];
    start += count;
  }
  const contentEnd = start + length;
  if (contentEnd > end) throw malformed('BER length runs past the enclosing element');
  if (!constructed) {
    const der = encodeTlv(tag, bytes.subarray(start, contentEnd));
    return { tag, der, contentStart: der.length - length, next: contentEnd };
  }
  const children: Normalized[] = [];
  for (let at = start; at < contentEnd; ) {
    const child = normalize(bytes, at, contentEnd, depth + 1);
    children.push(child);
    at = child.next;
  }
  return { ...assemble(tag, children), next: contentEnd };
}

function assemble(tag: number, children: Normalized[]): Omit<Normalized, 'next'> {
  const universal = (tag & 0xc0) === 0;
  const base = tag & ~CONSTRUCTED;
  if (!universal || !STRING_TYPES.has(base)) {
    const der = encodeTlvOf(tag, children.map((child) => child.der));
    return { tag, der, contentStart: der.length - children.reduce((sum, child) => sum + child.der.length, 0) };
  }
  // A constructed string: its segments (already flattened) are primitive strings of the same type.
  const segments = children.map((child) => {
    if (child.tag !== base) throw malformed(`segment of a constructed string has tag 0x${child.tag.toString(16)}`);
    return child.der.subarray(child.contentStart);
  });
  const content = base === BIT_STRING ? joinBitStrings(segments) : concatBytes(segments);
  const der = encodeTlv(base, content);
  return { tag: base, der, contentStart: der.length - content.length };
}

/** Each BIT STRING segment starts with its unused-bit count; only the last may have unused bits. */
function joinBitStrings(segments: Uint8Array[]): Uint8Array {
  if (segments.length === 0) return Uint8Array.of(0);
  segments.forEach((segment, index) => {
    if (segment.length === 0 || (index < segments.length - 1 && segment[0] !== 0)) throw malformed('bad segment in a constructed BIT STRING');
  });
  return concatBytes([Uint8Array.of(segments.at(-1)![0]), ...segments.map((segment) => segment.subarray(1))]);
}
