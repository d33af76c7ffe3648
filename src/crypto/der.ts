/**
 * A small, strict DER reader and a concatenating DER writer (X.690 section 10).
 * The reader is the first thing untrusted CSRs meet: single-byte tags only, definite minimal lengths, no read past
 * the enclosing TLV, a nesting limit, and content checks for the primitive types we decode.
 * Every failure is a CryptoInputError('malformed').
 */
import { CryptoInputError, malformed } from './errors.js';

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8String: 0x0c,
  NumericString: 0x12,
  PrintableString: 0x13,
  TeletexString: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  VisibleString: 0x1a,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const CONSTRUCTED = 0x20;
const CONTEXT = 0x80;

/** [n] of a context-specific tag: constructed for EXPLICIT tags and IMPLICIT constructed types, primitive otherwise. */
export function contextTag(n: number, constructed: boolean): number {
  return CONTEXT | (constructed ? CONSTRUCTED : 0) | n;
}

export const MAX_DEPTH = 32;

/** One TLV inside a reader's bytes: the header starts at `headerStart`, the content spans [start, end). */
export interface Tlv {
  readonly tag: number;
  readonly headerStart: number;
  readonly start: number;
  readonly end: number;
}

const tagNames: Record<number, string> = {
  0x01: 'BOOLEAN',
  0x02: 'INTEGER',
  0x03: 'BIT STRING',
  0x04: 'OCTET STRING',
  0x05: 'NULL',
  0x06: 'OBJECT IDENTIFIER',
  0x0c: 'UTF8String',
  0x13: 'PrintableString',
  0x16: 'IA5String',
  0x17: 'UTCTime',
  0x18: 'GeneralizedTime',
  0x30: 'SEQUENCE',
  0x31: 'SET',
};

function describeTag(tag: number): string {
  const name = tagNames[tag];
  if (name) return name;
  if ((tag & 0xc0) === CONTEXT) return `[${tag & 0x1f}]`;
  return `tag 0x${tag.toString(16).padStart(2, '0')}`;
}

/** A forward-only cursor over the TLVs in bytes[start, end). */
export class DerReader {
  private pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
    readonly depth = 0,
  ) {
    if (depth > MAX_DEPTH) throw malformed('DER nesting is too deep');
    this.pos = start;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** The next tag byte, or -1 at the end. */
  peekTag(): number {
    return this.pos < this.end ? this.bytes[this.pos] : -1;
  }

  next(): Tlv {
    const bytes = this.bytes;
    const end = this.end;
    const headerStart = this.pos;
    let p = headerStart;
    if (p >= end) throw malformed(`DER truncated: expected a TLV at offset ${p}`);
    const tag = bytes[p++];
    if ((tag & 0x1f) === 0x1f) throw malformed(`DER multi-byte tag at offset ${headerStart} is not supported`);
    if (p >= end) throw malformed(`DER truncated: missing length at offset ${p}`);
    let length = bytes[p++];
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count === 0) throw malformed(`indefinite length at offset ${headerStart} is not DER`);
      if (count > 4) throw malformed(`DER length at offset ${headerStart} is too large`);
      if (count > end - p) throw malformed(`DER truncated: length at offset ${headerStart} runs past the end`);
      if (bytes[p] === 0) throw malformed(`non-minimal DER length at offset ${headerStart}`);
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + bytes[p++];
      if (length < 0x80) throw malformed(`non-minimal DER length at offset ${headerStart}`);
    }
    if (length > end - p) throw malformed(`DER truncated: ${describeTag(tag)} at offset ${headerStart} runs past the end`);
    this.pos = p + length;
    return { tag, headerStart, start: p, end: p + length };
  }

  expect(tag: number, what?: string): Tlv {
    const actual = this.peekTag();
    if (actual !== tag) {
      const found = actual < 0 ? 'the end of the data' : describeTag(actual);
      throw malformed(`expected ${what ?? describeTag(tag)} but found ${found} at offset ${this.pos}`);
    }
    return this.next();
  }

  optional(tag: number): Tlv | undefined {
    return this.peekTag() === tag ? this.next() : undefined;
  }

  /** A reader over the content of a constructed TLV. */
  child(tlv: Tlv): DerReader {
    if (!(tlv.tag & CONSTRUCTED)) throw malformed(`${describeTag(tlv.tag)} at offset ${tlv.headerStart} is not constructed`);
    return new DerReader(this.bytes, tlv.start, tlv.end, this.depth + 1);
  }

  enter(tag: number, what?: string): DerReader {
    return this.child(this.expect(tag, what));
  }

  /** Fails unless every byte was consumed. */
  finish(what: string): void {
    if (this.pos < this.end) throw malformed(`unexpected trailing data in ${what} at offset ${this.pos}`);
  }

  content(tlv: Tlv): Uint8Array {
    return this.bytes.subarray(tlv.start, tlv.end);
  }

  /** The whole TLV, header included, without copying. */
  raw(tlv: Tlv): Uint8Array {
    return this.bytes.subarray(tlv.headerStart, tlv.end);
  }

  readRaw(tag: number, what?: string): Uint8Array {
    return this.raw(this.expect(tag, what));
  }

  /** The INTEGER's two's-complement content bytes, checked to be minimal. */
  readInteger(what?: string): Uint8Array {
    return checkInteger(this.content(this.expect(Tag.INTEGER, what)));
  }

  readSmallInteger(what?: string): number {
    return integerToNumber(this.readInteger(what));
  }

  readOid(what?: string): string {
    return decodeOid(this.content(this.expect(Tag.OID, what)));
  }

  readBoolean(what?: string): boolean {
    const c = this.content(this.expect(Tag.BOOLEAN, what));
    if (c.length !== 1 || (c[0] !== 0 && c[0] !== 0xff)) throw malformed('BOOLEAN is not DER (must be one byte 00 or FF)');
    return c[0] === 0xff;
  }

  readNull(what?: string): void {
    const tlv = this.expect(Tag.NULL, what);
    if (tlv.end !== tlv.start) throw malformed('NULL must be empty');
  }

  readBitString(what?: string): { unusedBits: number; bytes: Uint8Array } {
    return decodeBitString(this.content(this.expect(Tag.BIT_STRING, what)));
  }

  /** A BIT STRING that must hold whole octets (keys, signatures). */
  readOctetAlignedBitString(what?: string): Uint8Array {
    const { unusedBits, bytes } = this.readBitString(what);
    if (unusedBits !== 0) throw malformed(`${what ?? 'BIT STRING'} must hold whole octets`);
    return bytes;
  }

  readOctetString(what?: string): Uint8Array {
    return this.content(this.expect(Tag.OCTET_STRING, what));
  }

  /** Any of the ASN.1 character string types. */
  readString(what?: string): string {
    const tlv = this.next();
    const text = decodeString(tlv.tag, this.content(tlv));
    if (text === undefined) throw malformed(`expected ${what ?? 'a character string'} but found ${describeTag(tlv.tag)}`);
    return text;
  }

  /** UTCTime or GeneralizedTime, as epoch milliseconds. */
  readTime(what?: string): number {
    const tlv = this.next();
    if (tlv.tag !== Tag.UTCTime && tlv.tag !== Tag.GeneralizedTime) {
      throw malformed(`expected ${what ?? 'a time'} but found ${describeTag(tlv.tag)}`);
    }
    return decodeTime(tlv.tag, this.content(tlv));
  }
}

/** Reads bytes as exactly one TLV of the given tag, nothing after it. */
export function readSingle(bytes: Uint8Array, tag: number, what: string): { reader: DerReader; tlv: Tlv } {
  const reader = new DerReader(bytes);
  const tlv = reader.expect(tag, what);
  reader.finish(what);
  return { reader, tlv };
}

// ---------------------------------------------------------------------------------------------------------------
// Primitive content decoders

export function checkInteger(c: Uint8Array): Uint8Array {
  if (c.length === 0) throw malformed('empty INTEGER');
  if (c.length > 1 && ((c[0] === 0 && c[1] < 0x80) || (c[0] === 0xff && c[1] >= 0x80))) {
    throw malformed('INTEGER is not minimally encoded');
  }
  return c;
}

export function integerIsNegative(c: Uint8Array): boolean {
  return c[0] >= 0x80;
}

/** A non-negative INTEGER that fits in 48 bits (versions, path lengths, salt lengths). */
export function integerToNumber(c: Uint8Array): number {
  if (integerIsNegative(c)) throw malformed('INTEGER must not be negative');
  if (c.length > 7 || (c.length === 7 && c[0] !== 0)) throw malformed('INTEGER is too large');
  let n = 0;
  for (let i = 0; i < c.length; i++) n = n * 256 + c[i];
  return n;
}

/** The magnitude of a non-negative INTEGER: its content without the 00 sign pad. */
export function unsignedIntegerBytes(c: Uint8Array): Uint8Array {
  if (integerIsNegative(c)) throw malformed('INTEGER must not be negative');
  return c.length > 1 && c[0] === 0 ? c.subarray(1) : c;
}

export function decodeBitString(c: Uint8Array): { unusedBits: number; bytes: Uint8Array } {
  if (c.length === 0) throw malformed('BIT STRING has no unused-bits octet');
  const unusedBits = c[0];
  if (unusedBits > 7 || (c.length === 1 && unusedBits !== 0)) throw malformed('BIT STRING unused-bits octet is invalid');
  if (unusedBits && c[c.length - 1] & ((1 << unusedBits) - 1)) throw malformed('BIT STRING unused bits are not zero');
  return { unusedBits, bytes: c.subarray(1) };
}

const SAFE_ARC = Math.floor(Number.MAX_SAFE_INTEGER / 128);

export function decodeOid(c: Uint8Array): string {
  if (c.length === 0) throw malformed('empty OBJECT IDENTIFIER');
  if (c[c.length - 1] & 0x80) throw malformed('OBJECT IDENTIFIER is truncated');
  let text = '';
  let i = 0;
  let first = true;
  while (i < c.length) {
    if (c[i] === 0x80) throw malformed('OBJECT IDENTIFIER arc is not minimally encoded');
    let arc: number | bigint = 0;
    let byte: number;
    do {
      byte = c[i++];
      if (typeof arc === 'number' && arc > SAFE_ARC) arc = BigInt(arc);
      arc = typeof arc === 'number' ? arc * 128 + (byte & 0x7f) : arc * 128n + BigInt(byte & 0x7f);
    } while (byte & 0x80);
    if (first) {
      first = false;
      const top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
      const second = typeof arc === 'number' ? arc - top * 40 : arc - BigInt(top * 40);
      text = `${top}.${second}`;
    } else {
      text += `.${arc}`;
    }
  }
  return text;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Content bytes as text, every byte 7-bit. */
export function decodeAscii(c: Uint8Array, type: string): string {
  let s = '';
  for (let i = 0; i < c.length; i++) {
    if (c[i] > 0x7f) throw malformed(`${type} contains a non-ASCII byte`);
    s += String.fromCharCode(c[i]);
  }
  return s;
}

/** Decodes a character string TLV's content; undefined when the tag is not a string type. */
export function decodeString(tag: number, c: Uint8Array): string | undefined {
  switch (tag) {
    case Tag.UTF8String:
      try {
        return textDecoder.decode(c);
      } catch {
        throw malformed('UTF8String is not valid UTF-8');
      }
    case Tag.PrintableString:
      return decodeAscii(c, 'PrintableString');
    case Tag.IA5String:
      return decodeAscii(c, 'IA5String');
    case Tag.NumericString:
      return decodeAscii(c, 'NumericString');
    case Tag.VisibleString:
      return decodeAscii(c, 'VisibleString');
    case Tag.TeletexString: {
      // T.61 in theory, Latin-1 in every CSR seen in practice.
      let s = '';
      for (let i = 0; i < c.length; i++) s += String.fromCharCode(c[i]);
      return s;
    }
    case Tag.BMPString: {
      if (c.length % 2) throw malformed('BMPString has an odd length');
      let s = '';
      for (let i = 0; i < c.length; i += 2) s += String.fromCharCode((c[i] << 8) | c[i + 1]);
      return s;
    }
    case Tag.UniversalString: {
      if (c.length % 4) throw malformed('UniversalString length is not a multiple of 4');
      let s = '';
      for (let i = 0; i < c.length; i += 4) {
        const cp = ((c[i] << 24) | (c[i + 1] << 16) | (c[i + 2] << 8) | c[i + 3]) >>> 0;
        if (cp > 0x10ffff) throw malformed('UniversalString holds an invalid code point');
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      return undefined;
  }
}

function digits(c: Uint8Array, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = c[i] - 0x30;
    if (d < 0 || d > 9) throw malformed('time contains a non-digit');
    n = n * 10 + d;
  }
  return n;
}

/** UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ, the only forms RFC 5280 allows. */
export function decodeTime(tag: number, c: Uint8Array): number {
  const utc = tag === Tag.UTCTime;
  const yearDigits = utc ? 2 : 4;
  if (c.length !== yearDigits + 11 || c[c.length - 1] !== 0x5a) {
    throw malformed(`${utc ? 'UTCTime' : 'GeneralizedTime'} must have the form ${utc ? 'YY' : 'YYYY'}MMDDHHMMSSZ`);
  }
  let year = digits(c, 0, yearDigits);
  if (utc) year += year >= 50 ? 1900 : 2000;
  const month = digits(c, yearDigits, 2);
  const day = digits(c, yearDigits + 2, 2);
  const hour = digits(c, yearDigits + 4, 2);
  const minute = digits(c, yearDigits + 6, 2);
  const second = digits(c, yearDigits + 8, 2);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(ms);
  if (
    month < 1 ||
    d.getUTCFullYear() !== year ||
    d.getUTCMonth() !== month - 1 ||
    d.getUTCDate() !== day ||
    d.getUTCHours() !== hour ||
    d.getUTCMinutes() !== minute ||
    d.getUTCSeconds() !== second
  ) {
    throw malformed('time is not a valid calendar time');
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------------------------
// Writer: every encoder returns a fresh Uint8Array that owns its buffer (no pooled Buffers: a view into a shared
// pool would carry unrelated bytes across a worker boundary).

/** Bytes a DER header takes for content of this length (tag byte included). */
export function headerLength(length: number): number {
  return length < 0x80 ? 2 : length < 0x100 ? 3 : length < 0x10000 ? 4 : length < 0x1000000 ? 5 : 6;
}

/** Writes a tag and length of `header` bytes (see headerLength) at the start of out. */
export function writeHeader(out: Uint8Array, tag: number, length: number, header: number): void {
  out[0] = tag;
  if (header === 2) {
    out[1] = length;
    return;
  }
  const count = header - 2;
  out[1] = 0x80 | count;
  for (let i = count; i >= 1; i--) {
    out[1 + i] = length & 0xff;
    length = Math.floor(length / 256);
  }
}

/** A TLV whose content is the concatenation of parts. */
export function encodeTlvOf(tag: number, parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const header = headerLength(length);
  const out = new Uint8Array(header + length);
  writeHeader(out, tag, length, header);
  let offset = header;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  const header = headerLength(content.length);
  const out = new Uint8Array(header + content.length);
  writeHeader(out, tag, content.length, header);
  out.set(content, header);
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function encodeSequence(...parts: Uint8Array[]): Uint8Array {
  return encodeTlvOf(Tag.SEQUENCE, parts);
}

/** SET OF with its elements in the given order; callers that need DER's sorted order sort first. */
export function encodeSet(...parts: Uint8Array[]): Uint8Array {
  return encodeTlvOf(Tag.SET, parts);
}

/** [n] EXPLICIT wrapping of complete TLVs. */
export function encodeExplicit(n: number, ...parts: Uint8Array[]): Uint8Array {
  return encodeTlvOf(contextTag(n, true), parts);
}

/** [n] IMPLICIT of a primitive type: the content under a context tag. */
export function encodeImplicitPrimitive(n: number, content: Uint8Array): Uint8Array {
  return encodeTlv(contextTag(n, false), content);
}

export const DER_NULL: Uint8Array = Uint8Array.of(Tag.NULL, 0);

export function encodeBoolean(value: boolean): Uint8Array {
  return Uint8Array.of(Tag.BOOLEAN, 1, value ? 0xff : 0);
}

/** An INTEGER from a non-negative magnitude (big-endian, leading zeros allowed). */
export function encodeUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  if (trimmed.length === 0) return Uint8Array.of(Tag.INTEGER, 1, 0);
  return trimmed[0] & 0x80 ? encodeTlvOf(Tag.INTEGER, [Uint8Array.of(0), trimmed]) : encodeTlv(Tag.INTEGER, trimmed);
}

export function encodeSmallInteger(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative safe integer: ${n}`);
  const bytes: number[] = [];
  do {
    bytes.unshift(n % 256);
    n = Math.floor(n / 256);
  } while (n > 0);
  return encodeUnsignedInteger(Uint8Array.from(bytes));
}

export function encodeOctetString(content: Uint8Array): Uint8Array {
  return encodeTlv(Tag.OCTET_STRING, content);
}

export function encodeBitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  return encodeTlvOf(Tag.BIT_STRING, [Uint8Array.of(unusedBits), bytes]);
}

const textEncoder = new TextEncoder();

export function encodeUtf8String(text: string): Uint8Array {
  return encodeTlv(Tag.UTF8String, textEncoder.encode(text));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function isPrintableString(text: string): boolean {
  return PRINTABLE.test(text);
}

export function isIa5String(text: string): boolean {
  return /^[\x00-\x7f]*$/.test(text);
}

function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export function encodePrintableString(text: string): Uint8Array {
  if (!isPrintableString(text)) throw new CryptoInputError('invalid_content', `"${text}" is not a PrintableString`);
  return encodeTlv(Tag.PrintableString, asciiBytes(text));
}

/** The content of an IA5String; fails with invalid_content on any non-ASCII character. */
export function ia5Content(text: string, what = 'IA5String'): Uint8Array {
  if (!isIa5String(text)) throw new CryptoInputError('invalid_content', `${what} "${text}" is not ASCII`);
  return asciiBytes(text);
}

export function encodeIa5String(text: string): Uint8Array {
  return encodeTlv(Tag.IA5String, ia5Content(text));
}

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (and before 1950). Sub-second parts are dropped.
 */
export function encodeTime(epochMs: number): Uint8Array {
  const { year, rest } = timeParts(epochMs);
  if (year >= 1950 && year < 2050) return encodeTlv(Tag.UTCTime, asciiBytes(twoDigits(year % 100) + rest));
  return encodeTlv(Tag.GeneralizedTime, asciiBytes(String(year).padStart(4, '0') + rest));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ whatever the year (OCSP times, the CRL invalidityDate). */
export function encodeGeneralizedTime(epochMs: number): Uint8Array {
  const { year, rest } = timeParts(epochMs);
  return encodeTlv(Tag.GeneralizedTime, asciiBytes(String(year).padStart(4, '0') + rest));
}

function timeParts(epochMs: number): { year: number; rest: string } {
  const d = new Date(epochMs);
  const year = d.getUTCFullYear();
  if (!Number.isFinite(epochMs) || year < 0 || year > 9999) {
    throw new CryptoInputError('invalid_content', `time ${epochMs} cannot be encoded`);
  }
  const rest =
    twoDigits(d.getUTCMonth() + 1) +
    twoDigits(d.getUTCDate()) +
    twoDigits(d.getUTCHours()) +
    twoDigits(d.getUTCMinutes()) +
    twoDigits(d.getUTCSeconds()) +
    'Z';
  return { year, rest };
}

const OID_TEXT = /^[0-2](\.(0|[1-9][0-9]*))+$/;

export function isDottedOid(text: string): boolean {
  return OID_TEXT.test(text);
}
const oidCache = new Map<string, Uint8Array>();
const OID_CACHE_LIMIT = 4096;

function base128(arc: bigint, out: number[]): void {
  const groups: number[] = [Number(arc & 0x7fn)];
  for (arc >>= 7n; arc > 0n; arc >>= 7n) groups.unshift(Number(arc & 0x7fn) | 0x80);
  out.push(...groups);
}

/** The OBJECT IDENTIFIER TLV for a dotted string; memoised (callers must not mutate the result). */
export function encodeOid(oid: string): Uint8Array {
  const cached = oidCache.get(oid);
  if (cached) return cached;
  if (!isDottedOid(oid)) throw new CryptoInputError('invalid_content', `"${oid}" is not a dotted OID`);
  const arcs = oid.split('.').map((a) => BigInt(a));
  if (arcs[0] < 2n && arcs[1] >= 40n) throw new CryptoInputError('invalid_content', `"${oid}" is not a valid OID`);
  const content: number[] = [];
  base128(arcs[0] * 40n + arcs[1], content);
  for (let i = 2; i < arcs.length; i++) base128(arcs[i], content);
  const tlv = encodeTlv(Tag.OID, Uint8Array.from(content));
  if (oidCache.size < OID_CACHE_LIMIT) oidCache.set(oid, tlv);
  return tlv;
}
