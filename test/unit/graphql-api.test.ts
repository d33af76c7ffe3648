/**
 * The GraphQL layer's pure parts: argument checks, opaque cursors, stats buckets, subscription filters, OTP
 * statuses, the depth and complexity limits (against the real schema), and the `[graphql]` configuration.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { GraphQLError, parse, specifiedRules, validate } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { loadConfig } from '../../src/config/config.js';
import { decodeCursor, encodeCursor } from '../../src/graphql/cursor.js';
import { asOfPoint, hexSerial, pageWindow, timeRange } from '../../src/graphql/inputs.js';
import { depthLimitRule, operationCost } from '../../src/graphql/limits.js';
import { auditMatches, certificateMatches } from '../../src/graphql/live-filters.js';
import { resolvers } from '../../src/graphql/resolvers/index.js';
import { bucketStarts } from '../../src/graphql/resolvers/query/stats.js';
import { loadTypeDefs } from '../../src/graphql/server.js';
import type { AuditRow } from '../../projections/audit.js';
import type { CertificateRow } from '../../projections/certificates.js';
import { otpStatusAt } from '../../projections/otp-list.js';
import { tempDir } from '../support/server.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof GraphQLError ? error.extensions.code : 'not a GraphQLError';
  }
  return 'no error';
};

describe('arguments', () => {
  test('page windows: default 50, at most 1000, first or last', () => {
    assert.deepEqual(pageWindow({}), { limit: 50, fromEnd: false });
    assert.deepEqual(pageWindow({ first: 1000 }), { limit: 1000, fromEnd: false });
    assert.deepEqual(pageWindow({ last: 3, first: null }), { limit: 3, fromEnd: true });
    for (const args of [{ first: 1001 }, { last: 5000 }, { first: -1 }, { first: 2.5 }, { first: 1, last: 1 }]) assert.equal(code(() => pageWindow(args)), 'BAD_USER_INPUT', JSON.stringify(args));
  });

  test('serials: hex with colons in any case; anything else is refused', () => {
    assert.equal(hexSerial('0A:1b:FF', 'serial'), '0a1bff');
    for (const bad of ['', 'xyz', '12 34', 'g1']) assert.equal(code(() => hexSerial(bad, 'serial')), 'BAD_USER_INPUT', bad);
  });

  test('asOf takes exactly one of position and time; ranges must not be reversed', () => {
    assert.deepEqual(asOfPoint({ position: 7 }), { position: 7 });
    assert.deepEqual(asOfPoint({ time: '2026-01-01T00:00:00.000Z', position: null }), { time: new Date('2026-01-01T00:00:00.000Z') });
    assert.equal(code(() => asOfPoint({})), 'BAD_USER_INPUT');
    assert.equal(code(() => asOfPoint({ position: 1, time: '2026-01-01T00:00:00.000Z' })), 'BAD_USER_INPUT');
    assert.deepEqual(timeRange('2026-01-01T00:00:00.000Z', undefined, 'x'), { from: '2026-01-01T00:00:00.000Z' });
    assert.equal(code(() => timeRange('2026-02-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'x')), 'BAD_USER_INPUT');
  });

  test('cursors are opaque, round-trip, and belong to one ordering', () => {
    const cursor = encodeCursor('not_after', { key: '2027-01-01T00:00:00.000Z', serial: 'ab' });
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(cursor, 'not_after', 'after'), { key: '2027-01-01T00:00:00.000Z', serial: 'ab' });
    assert.equal(code(() => decodeCursor(cursor, 'issued', 'after')), 'BAD_USER_INPUT');
    assert.equal(code(() => decodeCursor('not-base64!', 'issued', 'after')), 'BAD_USER_INPUT');
    assert.equal(code(() => decodeCursor(encodeCursor('issued', { key: 'x' as unknown as number, serial: '' }), 'issued', 'after')), 'BAD_USER_INPUT');
  });

  test('stats buckets round outwards, and at most 1000 are served', () => {
    const starts = bucketStarts(new Date('2026-01-01T10:20:00Z'), new Date('2026-01-01T12:00:01Z'), 'hour');
    assert.deepEqual(
      starts.map((d) => d.toISOString()),
      ['2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z'],
    );
    assert.equal(bucketStarts(new Date('2026-01-01T00:00:00Z'), new Date('2026-01-31T00:00:00Z'), 'day').length, 30);
    assert.equal(code(() => bucketStarts(new Date('2026-01-01T00:00:00Z'), new Date('2026-03-01T00:00:00Z'), 'hour')), 'BAD_USER_INPUT');
    assert.equal(code(() => bucketStarts(new Date('2026-01-02T00:00:00Z'), new Date('2026-01-01T00:00:00Z'), 'day')), 'BAD_USER_INPUT');
  });
});

describe('subscription filters and OTP status', () => {
  const certificate = { issuerId: 'i1', profile: 'devices', subject: 'CN=Sensor-7,O=Example' } as CertificateRow;
  const audit = { action: 'revoke', result: 'success', subject: 'CN=a', issuerId: 'i1', serial: 'ab', time: '2026-01-01T00:00:00.000Z' } as AuditRow;

  test('certificate and audit filters match as the query filters do', () => {
    assert.ok(certificateMatches(certificate, {}));
    assert.ok(certificateMatches(certificate, { issuerId: 'i1', profile: 'devices', subjectContains: 'sensor-7' }));
    assert.ok(!certificateMatches(certificate, { profile: 'servers' }));
    assert.ok(auditMatches(audit, { actions: ['enroll', 'revoke'], results: ['success'], serial: 'ab', from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' }));
    assert.ok(!auditMatches(audit, { to: '2026-01-01T00:00:00.000Z' }), 'to is exclusive');
    assert.ok(!auditMatches({ ...audit, subject: null }, { subjectContains: 'a' }));
  });

  test('an OTP is revoked, used up, expired or active, in that order of precedence', () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    const otp = { tokenId: 't', label: 'l', maxUses: 2, uses: 1, profile: null, expiresAt: '2026-01-02T00:00:00.000Z', issuedAt: '2025-12-31T00:00:00.000Z', status: 'active' as const };
    assert.equal(otpStatusAt(otp, now), 'active');
    assert.equal(otpStatusAt({ ...otp, expiresAt: now.toISOString() }, now), 'expired');
    assert.equal(otpStatusAt({ ...otp, uses: 2, expiresAt: now.toISOString() }, now), 'used_up');
    assert.equal(otpStatusAt({ ...otp, uses: 2, status: 'revoked' }, now), 'revoked');
  });
});

describe('query limits', () => {
  const schema = createSchema({ typeDefs: loadTypeDefs(), resolvers });
  const depthErrors = (query: string, max: number) => validate(schema, parse(query), [...specifiedRules, depthLimitRule(max)]);

  test('depth counts nested fields through fragments, not introspection', () => {
    const query = '{ certificates { edges { node { ...Renewal } } } } fragment Renewal on Certificate { renews { renews { serial } } }';
    assert.equal(depthErrors(query, 6).length, 0);
    const errors = depthErrors(query, 5);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].extensions.code, 'QUERY_TOO_DEEP');
    assert.equal(depthErrors('{ __schema { types { fields { type { ofType { ofType { name } } } } } } }', 2).length, 0);
  });

  test('complexity multiplies by page sizes, from literals or variables', () => {
    const cost = (query: string, variables = {}) => operationCost(schema, parse(query), undefined, variables);
    assert.equal(cost('{ head }'), 1);
    assert.equal(cost('{ certificates(first: 10) { totalCount edges { node { serial } } } }'), 1 + 1 + (1 + 10 * (1 + 1)), 'edges count per item, the total once');
    assert.equal(cost('query Q($n: Int) { certificates(first: $n) { edges { node { serial } } } }', { n: 100 }), 1 + 1 + 100 * 2);
    assert.equal(cost('{ certificates { edges { node { serial } } } }'), 1 + 1 + 50 * 2, 'connections default to 50');
    assert.equal(cost('{ certificates(first: 5000) { edges { node { serial } } } }'), 1 + 1 + 1000 * 2, 'oversized pages cost as the largest page');
    assert.equal(cost('{ issuers { name } }'), 1 + 10 * 1, 'lists without a size are assumed to hold 10');
    assert.ok(cost('{ certificates(first: 1, asOf: { position: 1 }) { totalCount } }') > 1000, 'asOf costs a rebuild');
  });
});

describe('[graphql] configuration', () => {
  test('defaults keep introspection and GraphiQL off; signet.toml turns them on and sets the limits', () => {
    const dir = tempDir('signet-gql-config-');
    after(() => rmSync(dir, { recursive: true, force: true }));
    const defaults = loadConfig({ SIGNET_DATA_DIR: dir }, dir).graphql;
    assert.deepEqual(
      { introspection: defaults.introspection, graphiql: defaults.graphiql, persistedOnly: defaults.persistedOnly },
      { introspection: false, graphiql: false, persistedOnly: false },
    );
    writeFileSync(join(dir, 'signet.toml'), '[graphql]\nintrospection = true\ngraphiql = true\nmax_depth = 8\nmax_complexity = 1000\nas_of_cache_states = 2\npersisted_operations = "ops.json"\npersisted_only = true\n');
    const configured = loadConfig({ SIGNET_DATA_DIR: dir }, dir).graphql;
    assert.deepEqual(configured, {
      introspection: true,
      graphiql: true,
      maxDepth: 8,
      maxComplexity: 1000,
      asOfCacheStates: 2,
      asOfMaxEvents: 500_000,
      persistedOperations: join(dir, 'ops.json'),
      persistedOnly: true,
    });
    writeFileSync(join(dir, 'signet.toml'), '[graphql]\npersisted_only = true\n');
    assert.throws(() => loadConfig({ SIGNET_DATA_DIR: dir }, dir), /graphql.persisted_only: needs graphql.persisted_operations/);
    writeFileSync(join(dir, 'signet.toml'), '[graphql]\nintrospecton = true\n');
    assert.throws(() => loadConfig({ SIGNET_DATA_DIR: dir }, dir), /introspecton/);
  });
});
