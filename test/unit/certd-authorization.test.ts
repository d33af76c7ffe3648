import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mayWriteCertificate, mergeCertdConfigs } from '../../src/certd/authorization.js';
import { wildcardMatch } from '../../src/certd/wildcard.js';

describe('certd certificate ID wildcards', () => {
  test('* stands for any run of characters, the empty one included', () => {
    assert.ok(wildcardMatch('example*', 'example'));
    assert.ok(wildcardMatch('example*', 'example1'));
    assert.ok(wildcardMatch('example*', 'example-long/id'));
    assert.ok(wildcardMatch('*', ''));
    assert.ok(wildcardMatch('a*b*c', 'aXXbYYbc'));
    assert.ok(!wildcardMatch('example*', 'exampl'));
    assert.ok(!wildcardMatch('example*', 'my-example1'));
  });

  test('? stands for exactly one character', () => {
    assert.ok(wildcardMatch('dev-?', 'dev-1'));
    assert.ok(wildcardMatch('dev-?', 'dev-é'));
    assert.ok(!wildcardMatch('dev-?', 'dev-'));
    assert.ok(!wildcardMatch('dev-?', 'dev-12'));
    assert.ok(wildcardMatch('??', 'ab'));
  });

  test('everything else is literal, case-sensitive and anchored at both ends', () => {
    assert.ok(wildcardMatch('example1', 'example1'));
    assert.ok(!wildcardMatch('example1', 'Example1'));
    assert.ok(!wildcardMatch('example1', 'example10'));
    assert.ok(!wildcardMatch('a.c', 'abc'), 'a dot is not a regex wildcard');
    assert.ok(!wildcardMatch('[ab]', 'a'));
  });
});

describe('certd authorization', () => {
  const config = mergeCertdConfigs([
    { principals: [{ uid: 1000, certs: ['example1', 'example2'] }], issuance: new Map() },
    { principals: [{ uid: 1001, certs: ['example*'] }, { uid: 1000, certs: ['dev-?'] }], issuance: new Map() },
  ]);

  test('a principal writes the IDs it lists, patterns included, across files', () => {
    assert.ok(mayWriteCertificate(config, 1000, 'example1'));
    assert.ok(mayWriteCertificate(config, 1000, 'dev-7'));
    assert.ok(!mayWriteCertificate(config, 1000, 'example3'));
    assert.ok(mayWriteCertificate(config, 1001, 'example3'));
    assert.ok(!mayWriteCertificate(config, 1001, 'dev-7'));
  });

  test('an unlisted uid writes nothing; root writes everything, as in certd', () => {
    assert.ok(!mayWriteCertificate(config, 4242, 'example1'));
    assert.ok(mayWriteCertificate(config, 0, 'anything'));
  });

  test('later files win for issuance settings', () => {
    const merged = mergeCertdConfigs([
      { principals: [], issuance: new Map([['a', { method: 'local_ca' as const }]]) },
      { principals: [], issuance: new Map([['a', { method: 'issuer' as const, issuer: 'x' }]]) },
    ]);
    assert.deepEqual(merged.issuance.get('a'), { method: 'issuer', issuer: 'x' });
  });
});
