import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as pkijs from 'pkijs';
import { Tag, encodeOid, encodeSequence, encodeSet, encodeTlv } from '../../src/crypto/der.js';
import { CryptoInputError } from '../../src/crypto/errors.js';
import { decodeName, encodeName, formatName } from '../../src/crypto/name.js';

describe('Name', () => {
  const attributes = [
    { type: 'C', value: 'DE' },
    { type: 'ST', value: 'Bayern' },
    { type: 'L', value: 'München' },
    { type: 'O', value: 'Acme, Inc.' },
    { type: 'OU', value: 'Devices' },
    { type: 'CN', value: 'device-01.example.com' },
    { type: 'serialNumber', value: 'SN-0042' },
    { type: 'emailAddress', value: 'ops@example.com' },
    { type: 'DC', value: 'example' },
    { type: 'UID', value: 'u42' },
    { type: '2.5.4.97', value: 'VATDE-123' },
  ];

  it('round-trips attributes, mapping OIDs back to short names', () => {
    const decoded = decodeName(encodeName(attributes));
    assert.deepEqual(decoded, attributes.map((a) => (a.type === '2.5.4.97' ? { type: 'organizationIdentifier', value: a.value } : a)));
  });

  it('uses the RFC 5280 string types', () => {
    const name = pkijs.RelativeDistinguishedNames.fromBER(new Uint8Array(encodeName(attributes)));
    const tags = Object.fromEntries(name.typesAndValues.map((t) => [t.type, t.value.idBlock.tagNumber]));
    assert.equal(tags['2.5.4.6'], Tag.PrintableString);
    assert.equal(tags['2.5.4.5'], Tag.PrintableString);
    assert.equal(tags['1.2.840.113549.1.9.1'], Tag.IA5String);
    assert.equal(tags['0.9.2342.19200300.100.1.25'], Tag.IA5String);
    assert.equal(tags['2.5.4.3'], Tag.UTF8String);
    assert.equal(tags['2.5.4.7'], Tag.UTF8String);
  });

  it('accepts long names and aliases', () => {
    assert.deepEqual(decodeName(encodeName([{ type: 'commonName', value: 'x' }, { type: 'E', value: 'a@b' }])), [
      { type: 'CN', value: 'x' },
      { type: 'emailAddress', value: 'a@b' },
    ]);
  });

  it('refuses values its string type cannot hold', () => {
    const invalid = (e: unknown) => e instanceof CryptoInputError && e.code === 'invalid_content';
    assert.throws(() => encodeName([{ type: 'C', value: 'DEU' }]), invalid);
    assert.throws(() => encodeName([{ type: 'serialNumber', value: 'a*b' }]), invalid);
    assert.throws(() => encodeName([{ type: 'emailAddress', value: 'ü@example.com' }]), invalid);
    assert.throws(() => encodeName([{ type: 'nonsense', value: 'x' }]), invalid);
  });

  it('decodes legacy string types and renders non-strings as #hex', () => {
    const atv = (oid: string, value: Uint8Array) => encodeSet(encodeSequence(encodeOid(oid), value));
    const der = encodeSequence(
      atv('2.5.4.3', encodeTlv(Tag.BMPString, Uint8Array.of(0, 0x41, 0x04, 0x14))),
      atv('2.5.4.10', encodeTlv(Tag.TeletexString, Uint8Array.of(0x4d, 0xfc))),
      atv('1.2.3.4', encodeTlv(Tag.INTEGER, Uint8Array.of(5))),
    );
    assert.deepEqual(decodeName(der), [
      { type: 'CN', value: 'AД' },
      { type: 'O', value: 'Mü' },
      { type: '1.2.3.4', value: '#020105' },
    ]);
  });

  it('rejects an empty RDN and trailing bytes', () => {
    const malformed = (e: unknown) => e instanceof CryptoInputError && e.code === 'malformed';
    assert.throws(() => decodeName(encodeSequence(Uint8Array.of(0x31, 0))), malformed);
    assert.throws(() => decodeName(Uint8Array.of(0x30, 0, 0)), malformed);
  });

  it('formats RFC 4514 strings: reverse order, escaped specials', () => {
    assert.equal(
      formatName([
        { type: 'C', value: 'DE' },
        { type: 'O', value: 'Acme, Inc.' },
        { type: 'CN', value: ' #lead+trail ' },
      ]),
      'CN=\\ #lead\\+trail\\ ,O=Acme\\, Inc.,C=DE',
    );
    assert.equal(formatName([{ type: 'CN', value: '#not-hex' }]), 'CN=\\#not-hex');
    assert.equal(formatName([{ type: '1.2.3.4', value: '#020105' }]), '1.2.3.4=#020105');
    assert.equal(formatName([]), '');
  });
});
