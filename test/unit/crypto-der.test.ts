import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DerReader,
  MAX_DEPTH,
  Tag,
  decodeOid,
  decodeTime,
  encodeOid,
  encodeSequence,
  encodeSmallInteger,
  encodeTime,
  encodeUnsignedInteger,
  encodeTlv,
  readSingle,
} from '../../src/crypto/der.js';
import { CryptoInputError } from '../../src/crypto/errors.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof CryptoInputError, `expected CryptoInputError, got ${String(error)}`);
    assert.equal(error.code, 'malformed');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('DER reader: lengths', () => {
  it('reads short and long form lengths', () => {
    const long = new Uint8Array(200).fill(7);
    const der = encodeTlv(Tag.OCTET_STRING, long);
    assert.deepEqual([...der.subarray(0, 3)], [0x04, 0x81, 200]);
    assert.deepEqual(new DerReader(der).readOctetString(), long);
    const big = encodeTlv(Tag.OCTET_STRING, new Uint8Array(70_000));
    assert.deepEqual([...big.subarray(0, 5)], [0x04, 0x83, 0x01, 0x11, 0x70]);
    assert.equal(new DerReader(big).readOctetString().length, 70_000);
  });

  it('rejects a truncated TLV', () => {
    rejects(() => new DerReader(bytes(0x30, 0x05, 0x02, 0x01)).next(), /truncated/);
    rejects(() => new DerReader(bytes(0x30)).next(), /truncated/);
    rejects(() => new DerReader(bytes(0x30, 0x82, 0x01)).next(), /truncated/);
    rejects(() => new DerReader(bytes()).next(), /truncated/);
  });

  it('rejects indefinite lengths', () => {
    rejects(() => new DerReader(bytes(0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00)).next(), /indefinite/);
  });

  it('rejects non-minimal long-form lengths', () => {
    rejects(() => new DerReader(bytes(0x04, 0x81, 0x05, 1, 2, 3, 4, 5)).next(), /non-minimal/);
    rejects(() => new DerReader(bytes(0x04, 0x82, 0x00, 0x81, ...new Array(0x81).fill(0))).next(), /non-minimal/);
  });

  it('rejects overlong length fields and the reserved 0xff', () => {
    rejects(() => new DerReader(bytes(0x04, 0x85, 1, 0, 0, 0, 0)).next(), /too large/);
    rejects(() => new DerReader(bytes(0x04, 0xff)).next(), /too large/);
  });

  it('does not let a child run past its parent', () => {
    // SEQUENCE of length 3 whose INTEGER claims 5 bytes.
    const der = bytes(0x30, 0x03, 0x02, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05);
    const outer = new DerReader(der);
    const inner = outer.child(outer.next());
    rejects(() => inner.next(), /runs past the end/);
  });

  it('rejects multi-byte tags', () => {
    rejects(() => new DerReader(bytes(0x1f, 0x81, 0x00, 0x00)).next(), /multi-byte tag/);
  });

  it('rejects trailing garbage after a single TLV', () => {
    rejects(() => readSingle(bytes(0x05, 0x00, 0x00), Tag.NULL, 'thing'), /trailing data in thing/);
  });

  it('limits nesting depth', () => {
    let der: Uint8Array = bytes(0x05, 0x00);
    for (let i = 0; i <= MAX_DEPTH + 1; i++) der = encodeSequence(der);
    let reader = new DerReader(der);
    rejects(() => {
      for (;;) reader = reader.enter(Tag.SEQUENCE);
    }, /too deep/);
  });

  it('names what it expected and what it found', () => {
    rejects(() => new DerReader(bytes(0x02, 0x01, 0x00)).expect(Tag.SEQUENCE, 'Widget'), /expected Widget but found INTEGER/);
    rejects(() => new DerReader(bytes()).expect(Tag.SEQUENCE), /found the end of the data/);
  });
});

describe('DER reader: primitive content', () => {
  it('checks INTEGERs are minimal', () => {
    assert.deepEqual(new DerReader(bytes(0x02, 0x02, 0x00, 0x80)).readInteger(), bytes(0x00, 0x80));
    rejects(() => new DerReader(bytes(0x02, 0x02, 0x00, 0x7f)).readInteger(), /minimally/);
    rejects(() => new DerReader(bytes(0x02, 0x02, 0xff, 0x80)).readInteger(), /minimally/);
    rejects(() => new DerReader(bytes(0x02, 0x00)).readInteger(), /empty INTEGER/);
    rejects(() => new DerReader(bytes(0x02, 0x01, 0xff)).readSmallInteger(), /negative/);
  });

  it('checks BOOLEAN, NULL and BIT STRING encodings', () => {
    assert.equal(new DerReader(bytes(0x01, 0x01, 0xff)).readBoolean(), true);
    rejects(() => new DerReader(bytes(0x01, 0x01, 0x01)).readBoolean(), /BOOLEAN/);
    rejects(() => new DerReader(bytes(0x05, 0x01, 0x00)).readNull(), /NULL must be empty/);
    rejects(() => new DerReader(bytes(0x03, 0x00)).readBitString(), /unused-bits octet/);
    rejects(() => new DerReader(bytes(0x03, 0x02, 0x08, 0x00)).readBitString(), /unused-bits/);
    rejects(() => new DerReader(bytes(0x03, 0x02, 0x01, 0x01)).readBitString(), /unused bits are not zero/);
    rejects(() => new DerReader(bytes(0x03, 0x02, 0x01, 0x02)).readOctetAlignedBitString('key'), /whole octets/);
  });

  it('decodes character strings strictly', () => {
    const read = (tag: number, content: number[]) => new DerReader(encodeTlv(tag, Uint8Array.from(content))).readString();
    assert.equal(read(Tag.UTF8String, [...Buffer.from('Grüße')]), 'Grüße');
    assert.equal(read(Tag.BMPString, [0x00, 0x48, 0x00, 0xe9, 0x04, 0x14]), 'HéД');
    assert.equal(read(Tag.TeletexString, [0x4d, 0xfc, 0x6e]), 'Mün');
    assert.equal(read(Tag.UniversalString, [0, 1, 0xf6, 0x00]), '\u{1f600}');
    rejects(() => read(Tag.UTF8String, [0xc3, 0x28]), /not valid UTF-8/);
    rejects(() => read(Tag.PrintableString, [0x41, 0xe9]), /non-ASCII/);
    rejects(() => read(Tag.BMPString, [0x00]), /odd length/);
    rejects(() => read(Tag.INTEGER, [0x00]), /character string/);
  });

  it('decodes only the RFC 5280 time forms', () => {
    const utc = (s: string) => decodeTime(Tag.UTCTime, Buffer.from(s));
    const gen = (s: string) => decodeTime(Tag.GeneralizedTime, Buffer.from(s));
    assert.equal(utc('491231235959Z'), Date.UTC(2049, 11, 31, 23, 59, 59));
    assert.equal(utc('500101000000Z'), Date.UTC(1950, 0, 1));
    assert.equal(gen('20500101000000Z'), Date.UTC(2050, 0, 1));
    rejects(() => utc('4912312359Z'), /form/);
    rejects(() => utc('491231235959+0100'), /form/);
    rejects(() => gen('20500101000000.5Z'), /form/);
    rejects(() => utc('490231000000Z'), /calendar/);
    rejects(() => utc('491331000000Z'), /calendar/);
    rejects(() => utc('4912312a5959Z'), /non-digit/);
  });
});

describe('DER writer', () => {
  it('encodes times as UTCTime before 2050 and GeneralizedTime from 2050', () => {
    assert.equal(Buffer.from(encodeTime(Date.UTC(2049, 11, 31, 23, 59, 59, 999))).toString('latin1'), '\x17\x0d491231235959Z');
    assert.equal(Buffer.from(encodeTime(Date.UTC(2050, 0, 1))).toString('latin1'), '\x18\x0f20500101000000Z');
    assert.equal(Buffer.from(encodeTime(Date.UTC(1949, 0, 1))).toString('latin1'), '\x18\x0f19490101000000Z');
    for (const t of [Date.UTC(1999, 1, 28, 1, 2, 3), Date.UTC(2077, 6, 4, 5, 6, 7)]) {
      assert.equal(new DerReader(encodeTime(t)).readTime(), t);
    }
  });

  it('encodes INTEGERs minimally, padding a set high bit', () => {
    assert.deepEqual(encodeUnsignedInteger(bytes(0x00, 0x00, 0x7f)), bytes(0x02, 0x01, 0x7f));
    assert.deepEqual(encodeUnsignedInteger(bytes(0x80)), bytes(0x02, 0x02, 0x00, 0x80));
    assert.deepEqual(encodeUnsignedInteger(bytes(0x00)), bytes(0x02, 0x01, 0x00));
    assert.deepEqual(encodeSmallInteger(256), bytes(0x02, 0x02, 0x01, 0x00));
    assert.deepEqual(encodeSmallInteger(0), bytes(0x02, 0x01, 0x00));
  });

  it('round-trips OIDs, including large arcs and the first-arc packing', () => {
    for (const oid of ['1.2.840.113549.1.1.11', '2.5.29.17', '0.9.2342.19200300.100.1.25', '2.999.3', '2.25.329800735698586629295641978511506172918']) {
      const der = encodeOid(oid);
      assert.equal(decodeOid(der.subarray(2)), oid);
    }
    assert.deepEqual(encodeOid('1.2.840.10045.3.1.7'), bytes(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07));
  });

  it('rejects malformed OIDs in both directions', () => {
    rejects(() => decodeOid(bytes()), /empty/);
    rejects(() => decodeOid(bytes(0x2a, 0x86)), /truncated/);
    rejects(() => decodeOid(bytes(0x2a, 0x80, 0x01)), /minimally/);
    assert.throws(() => encodeOid('1.40'), CryptoInputError);
    assert.throws(() => encodeOid('3.1'), CryptoInputError);
    assert.throws(() => encodeOid('1.2.03'), CryptoInputError);
    assert.throws(() => encodeOid('1'), CryptoInputError);
  });
});
