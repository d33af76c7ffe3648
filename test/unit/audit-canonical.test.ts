import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalEvent, canonicalFields, canonicalJson } from '../../src/audit/canonical.js';
import { eventLeafHash } from '../../src/audit/leaves.js';
import type { RecordedEvent } from '../../src/eventstore/port.js';

describe('canonical event encoding (RFC 8785)', () => {
  test('the RFC 8785 examples: numbers, strings, literals and member order by UTF-16 code units', () => {
    const values = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    assert.equal(canonicalJson(values), '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
    const sorting = JSON.parse('{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}');
    assert.equal(
      canonicalJson(sorting),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  test('is stable across member order, nesting and array-index-like names', () => {
    const a = { b: 1, a: [{ y: 'x', x: null }, 2], n: { '10': 1, '9': 2, z: { d: true, c: false } } };
    const b = { n: { z: { c: false, d: true }, '9': 2, '10': 1 }, a: [{ x: null, y: 'x' }, 2], b: 1 };
    assert.equal(canonicalJson(a), canonicalJson(b));
    assert.equal(canonicalJson(a), '{"a":[{"x":null,"y":"x"},2],"b":1,"n":{"10":1,"9":2,"z":{"c":false,"d":true}}}');
    assert.equal(canonicalJson({ a: undefined, b: [undefined] }), '{"b":[null]}');
    assert.throws(() => canonicalJson({ x: Number.NaN }), /NaN/);
    assert.throws(() => canonicalJson([Number.POSITIVE_INFINITY]), /Infinity/);
  });

  test('an event hashes the same whichever order its JSON was stored in, and differently when any covered field changes', () => {
    const event: RecordedEvent = {
      id: '0b6a2c1e-8f6e-4f4b-9a0e-3c1d2e5f7a9b',
      streamId: 'otp-1',
      revision: 0,
      position: 7,
      type: 'OtpIssued',
      data: { tokenId: '1', label: 'line-1', hash: 'ab', maxUses: 1, expiresAt: '2026-11-24T00:00:00.000Z', issuedAt: '2026-11-23T00:00:00.000Z' },
      metadata: { actor: 'cli', v: 1 },
      created: 1795392000000,
    };
    const reordered: RecordedEvent = { ...event, data: JSON.parse(JSON.stringify(event.data, Object.keys(event.data as object).reverse())), metadata: { v: 1, actor: 'cli' } };
    assert.deepEqual(eventLeafHash(reordered), eventLeafHash(event));
    // The position is the store's business (dense in SQLite, byte offsets in KurrentDB), not the event's.
    assert.deepEqual(eventLeafHash({ ...event, position: 123456789 }), eventLeafHash(event));
    assert.equal(
      canonicalEvent(canonicalFields(event)),
      '{"created":1795392000000,"data":{"expiresAt":"2026-11-24T00:00:00.000Z","hash":"ab","issuedAt":"2026-11-23T00:00:00.000Z","label":"line-1","maxUses":1,"tokenId":"1"},"id":"0b6a2c1e-8f6e-4f4b-9a0e-3c1d2e5f7a9b","metadata":{"actor":"cli","v":1},"revision":0,"stream":"otp-1","type":"OtpIssued"}',
    );
    const changes: Partial<RecordedEvent>[] = [{ id: 'other' }, { streamId: 'otp-2' }, { revision: 1 }, { type: 'OtpRevoked' }, { created: event.created + 1 }, { metadata: { actor: 'cli', v: 2 } }, { data: { ...(event.data as object), maxUses: 2 } }];
    for (const change of changes) assert.notDeepEqual(eventLeafHash({ ...event, ...change }), eventLeafHash(event), JSON.stringify(change));
  });
});
