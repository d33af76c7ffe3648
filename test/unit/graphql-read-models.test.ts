/**
 * The read models behind GraphQL: the stats counters (kept by triggers through revocations and tidies, equal to a
 * plain count of the certificate index, identical after a rebuild), keyset pages (every row once, both directions,
 * ties broken by serial) and the SAN lookup.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { execute, parse } from 'graphql';
import { createSchema } from 'graphql-yoga';
import type { CertificateIssuedData } from '../../src/domain/certificate.js';
import { TIDY_DEFAULTS } from '../../src/domain/tidy.js';
import { MemoryEventStore } from '../../src/eventstore/memory.js';
import { graphReads } from '../../src/graphql/reads.js';
import { resolvers } from '../../src/graphql/resolvers/index.js';
import { readScope } from '../../src/graphql/scope.js';
import { loadTypeDefs } from '../../src/graphql/server.js';
import { CertificatePageQueries, orderKeyOf, type CertificateOrder, type CertificateSearch, type OrderKey } from '../../projections/certificate-pages.js';
import { certificateSansProjection } from '../../projections/certificate-sans.js';
import { certificatesProjection } from '../../projections/certificates.js';
import { projections } from '../../projections/index.js';
import { dumpReadModels, openReadModelDb, type ReadModelDb } from '../../projections/readmodel-db.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { statsProjection, StatsQueries } from '../../projections/stats.js';

const NOW = new Date('2026-06-15T12:30:00.000Z');
const HOUR = 3_600_000;
const PROFILES = ['devices', 'servers', undefined];
const COUNT = 60;

/** Expiries in the hour containing NOW (which the counters split with the not_after index) and at other grains. */
const BOUNDARY: Record<number, Date> = {
  30: new Date(NOW.getTime() + 600_000),
  31: new Date(NOW.getTime() - 600_000),
  32: NOW,
  33: new Date(NOW.getTime() + 1_799_999),
  // Other grains: an earlier month, the end of this month, the start of the next, next year.
  34: new Date('2026-05-20T00:00:00.000Z'),
  35: new Date('2026-06-30T23:59:59.999Z'),
  36: new Date('2026-07-01T00:00:00.000Z'),
  37: new Date('2027-01-10T08:00:00.000Z'),
};

/** 60 certificates: 3 profiles, 2 issuers, expiries from 20 h ago to 40 h ahead (several in the current hour, ties on notAfter), 9 revoked, 4 tidied. */
async function seed(): Promise<{ store: MemoryEventStore; serials: string[]; position: number }> {
  const store = new MemoryEventStore();
  const serials: string[] = [];
  let position = 0;
  for (let i = 0; i < COUNT; i++) {
    const serial = (0x5000 + ((i * 37) % COUNT)).toString(16).padStart(6, '0');
    serials.push(serial);
    const notAfter = new Date(NOW.getTime() + (i - 20) * HOUR + (i % 3) * 600_000 - (i % 4 === 0 ? 1_500_000 : 0));
    const data: CertificateIssuedData = {
      serial,
      issuerId: i % 4 === 0 ? 'iss-b' : 'iss-a',
      subject: `CN=node-${i}`,
      sans: [{ type: 'dns', value: `Node-${i}.Example.com` }],
      notBefore: new Date(NOW.getTime() - 48 * HOUR).toISOString(),
      notAfter: (BOUNDARY[i] ?? (i % 10 === 5 ? new Date(NOW.getTime() + 30 * HOUR) : notAfter)).toISOString(),
      der: 'AA',
      keyType: 'EC P-256',
      ...(PROFILES[i % 3] ? { profile: PROFILES[i % 3] } : {}),
      ...(i > 0 && i % 7 === 0 ? { renews: serials[i - 1] } : {}),
      issuedAt: new Date(NOW.getTime() - (COUNT - i) * 600_000).toISOString(),
    };
    position = (await store.append(`cert-${serial}`, [{ type: 'CertificateIssued', data }], { expectedRevision: 'no_stream' })).position;
  }
  for (const i of [1, 4, 9, 16, 25, 36, 49, 50, 59]) {
    const revokedAt = new Date(NOW.getTime() - (i % 5) * HOUR).toISOString();
    position = (await store.append(`cert-${serials[i]}`, [{ type: 'CertificateRevoked', data: { serial: serials[i], issuerId: 'iss-a', reason: 'keyCompromise', revokedAt } }])).position;
  }
  position = (
    await store.append('tidy-1', [
      { type: 'TidyStarted', data: { tidyId: '1', options: { ...TIDY_DEFAULTS, tidyCertStore: true }, auto: false, at: NOW.toISOString() } },
      { type: 'CertificatesTidied', data: { tidyId: '1', kind: 'cert_store', serials: [serials[0], serials[2], serials[4], serials[3]], at: NOW.toISOString() } },
    ])
  ).position;
  position = (await store.append('enrollment-rejected', [{ type: 'EnrollmentRejected', data: { action: 'enroll', result: 'unauthorized', reason: 'bad otp', profile: 'devices', at: NOW.toISOString() } }])).position;
  return { store, serials, position };
}

/** The projections these queries read (the certificate index, the counters, the SAN lookup). */
const PROJECTIONS = [certificatesProjection, statsProjection, certificateSansProjection];

async function readModels(store: MemoryEventStore, batchSize = 5000): Promise<{ db: ReadModelDb; runner: ProjectionRunner }> {
  const db = openReadModelDb(':memory:');
  const runner = new ProjectionRunner(db, PROJECTIONS);
  await runner.catchUp(store, undefined, undefined, batchSize);
  return { db, runner };
}

/** What the counters must equal: a plain count over the certificate index. */
function bruteCount(db: ReadModelDb, status: 'active' | 'revoked' | 'expired' | undefined, issuerId?: string, profile?: string | null, expiry: { from?: string; to?: string } = {}): number {
  const now = NOW.toISOString();
  const rows = db.prepare('SELECT status, not_after, issuer_id, profile FROM certificates').all() as { status: string; not_after: string; issuer_id: string; profile: string | null }[];
  return rows.filter((row) => {
    if (expiry.from !== undefined && row.not_after < expiry.from) return false;
    if (expiry.to !== undefined && row.not_after >= expiry.to) return false;
    if (issuerId !== undefined && row.issuer_id !== issuerId) return false;
    if (profile !== undefined && row.profile !== profile) return false;
    if (status === 'revoked') return row.status === 'revoked';
    if (status === 'active') return row.status === 'active' && row.not_after > now;
    if (status === 'expired') return row.status === 'active' && row.not_after <= now;
    return true;
  }).length;
}

describe('stats counters', () => {
  test('certificate counts equal a plain count for every status, issuer and profile', async () => {
    const { store } = await seed();
    const { db } = await readModels(store);
    const stats = new StatsQueries(db);
    for (const status of ['active', 'revoked', 'expired', undefined] as const) {
      for (const issuerId of [undefined, 'iss-a', 'iss-b', 'iss-none']) {
        for (const profile of [undefined, 'devices', 'servers', null]) {
          assert.equal(stats.certificateCount(status, { issuerId, profile }, NOW), bruteCount(db, status, issuerId, profile), JSON.stringify({ status, issuerId, profile }));
        }
      }
    }
    assert.equal(stats.certificateCount(undefined, {}, NOW), COUNT - 4, 'tidied certificates leave the counts');
  });

  test('counts with a notAfter range equal a plain count, for ranges within an hour, a day, a month and beyond', async () => {
    const { store } = await seed();
    const { db } = await readModels(store);
    const stats = new StatsQueries(db);
    const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();
    const ranges = [
      { to: at(30 * 24 * HOUR) },
      { from: at(-5 * HOUR) },
      { from: at(-90 * 60_000), to: at(100 * 60_000) },
      { from: at(-3 * HOUR - 1), to: at(-3 * HOUR + 1) },
      { from: '2026-05-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' },
      { from: '2026-06-15T11:00:00.000Z', to: '2026-06-16T13:00:00.000Z' },
      { from: '2026-06-30T23:59:59.999Z', to: '2027-12-01T00:00:00.000Z' },
      { from: NOW.toISOString(), to: NOW.toISOString() },
      { from: at(HOUR), to: at(-HOUR) },
    ];
    for (const expiry of ranges) {
      for (const status of ['active', 'revoked', 'expired', undefined] as const) {
        for (const profile of [undefined, 'devices']) {
          assert.equal(stats.certificateCount(status, { profile }, NOW, expiry), bruteCount(db, status, undefined, profile, expiry), JSON.stringify({ expiry, status, profile }));
        }
      }
    }
  });

  test('hourly buckets count issuance, renewals, revocations, refusals and expiries; totals per issuer', async () => {
    const { store } = await seed();
    const { db } = await readModels(store);
    const stats = new StatsQueries(db);
    const hours = stats.buckets('hour', '2026-01-01T00', '2028-01-01T00', {});
    const sum = (field: 'issued' | 'renewed' | 'revoked' | 'refused' | 'expiring') => hours.reduce((total, bucket) => total + bucket[field], 0);
    assert.equal(sum('issued'), COUNT);
    assert.equal(sum('renewed'), 8);
    assert.equal(sum('revoked'), 9);
    assert.equal(sum('refused'), 1);
    assert.equal(sum('expiring'), bruteCount(db, 'active') + bruteCount(db, 'expired'));
    const days = stats.buckets('day', '2026-06-01T00', '2026-07-01T00', { profile: 'devices' });
    assert.ok(days.every((bucket) => /^\d{4}-\d{2}-\d{2}$/.test(bucket.bucket)));
    assert.equal(
      days.reduce((total, bucket) => total + bucket.issued, 0),
      20,
    );
    assert.deepEqual(Object.fromEntries(stats.issuedTotals(['iss-a', 'iss-b', 'none'])), { 'iss-a': 45, 'iss-b': 15 });
  });

  test('a rebuild, in any batch size, yields identical counters', async () => {
    const { store } = await seed();
    const reference = await readModels(store);
    const tables = reference.runner.tableNames().filter((name) => name.startsWith('stats_') || name === 'certificate_sans');
    for (const batchSize of [1, 13]) {
      const { db } = await readModels(store, batchSize);
      assert.equal(dumpReadModels(db, tables), dumpReadModels(reference.db, tables));
    }
  });
});

describe('certificate keyset pages', () => {
  const orders: CertificateOrder[] = [
    { field: 'issued', direction: 'desc' },
    { field: 'issued', direction: 'asc' },
    { field: 'not_after', direction: 'asc' },
    { field: 'not_after', direction: 'desc' },
    { field: 'serial', direction: 'asc' },
  ];
  const searches: CertificateSearch[] = [
    {},
    { status: 'active' },
    { status: 'expired', issuerId: 'iss-a' },
    { profile: null },
    { profile: 'servers', subjectContains: 'NODE-1' },
    { status: 'active', notAfterTo: '2026-06-20T00:00:00.000Z' },
    { issuerId: 'iss-b', notAfterFrom: '2026-06-15T00:00:00.000Z', notAfterTo: '2026-07-01T00:00:00.000Z' },
  ];

  function walk(pages: CertificatePageQueries, search: CertificateSearch, order: CertificateOrder, limit: number, fromEnd: boolean): string[] {
    const seen: string[] = [];
    let key: OrderKey | undefined;
    for (;;) {
      const page = pages.page(search, { order, limit, fromEnd, ...(fromEnd ? { before: key } : { after: key }) }, NOW);
      if (fromEnd) seen.unshift(...page.rows.map((row) => row.serial));
      else seen.push(...page.rows.map((row) => row.serial));
      if (!page.more) return seen;
      const edge = fromEnd ? page.rows[0] : page.rows[page.rows.length - 1];
      key = orderKeyOf(edge, order.field);
    }
  }

  test('walking pages forwards and backwards lists every matching row once, in order', async () => {
    const { store } = await seed();
    const { db } = await readModels(store);
    const pages = new CertificatePageQueries(db);
    for (const search of searches) {
      for (const order of orders) {
        const all = pages.page(search, { order, limit: 1000, fromEnd: false }, NOW).rows.map((row) => row.serial);
        assert.equal(all.length, pages.count(search, NOW), `count ${JSON.stringify(search)}`);
        for (const limit of [1, 4]) {
          assert.deepEqual(walk(pages, search, order, limit, false), all, `forwards ${JSON.stringify({ search, order, limit })}`);
          assert.deepEqual(walk(pages, search, order, limit, true), all, `backwards ${JSON.stringify({ search, order, limit })}`);
        }
      }
    }
  });

  test('anyBeyond tells whether rows lie before or after a cursor', async () => {
    const { store } = await seed();
    const { db } = await readModels(store);
    const pages = new CertificatePageQueries(db);
    const order: CertificateOrder = { field: 'not_after', direction: 'asc' };
    const rows = pages.page({}, { order, limit: 1000, fromEnd: false }, NOW).rows;
    const first = orderKeyOf(rows[0], 'not_after');
    const last = orderKeyOf(rows[rows.length - 1], 'not_after');
    assert.equal(pages.anyBeyond({}, order, first, 'before', NOW), true, 'the row itself counts');
    assert.equal(pages.anyBeyond({ status: 'revoked' }, order, first, 'before', NOW), rows[0].status === 'revoked');
    assert.equal(pages.anyBeyond({}, order, last, 'after', NOW), true);
  });

  test('a SAN filter matches DNS names in any case', async () => {
    const { store, serials } = await seed();
    const { db } = await readModels(store);
    const pages = new CertificatePageQueries(db);
    for (const san of ['node-33.example.com', 'NODE-33.EXAMPLE.COM']) {
      assert.deepEqual(
        pages.page({ san }, { order: orders[0], limit: 10, fromEnd: false }, NOW).rows.map((row) => row.serial),
        [serials[33]],
      );
      assert.equal(pages.count({ san }, NOW), 1);
    }
    assert.equal(pages.count({ san: 'node-0.example.com' }, NOW), 0, 'tidied certificates leave the SAN index');
  });
});

describe('resolvers batch their reads (no N+1)', () => {
  test('a page of certificates loads issuers, renewals and histories with one query each', async () => {
    const { store } = await seed();
    const db = openReadModelDb(':memory:');
    await new ProjectionRunner(db, projections).catchUp(store);
    const reads = graphReads(db);
    const calls = { issuers: 0, certificates: 0, events: 0 };
    const count = <Args extends unknown[], Result>(name: keyof typeof calls, fn: (...args: Args) => Result) => (...args: Args) => {
      calls[name]++;
      return fn(...args);
    };
    reads.issuers.list = count('issuers', reads.issuers.list.bind(reads.issuers));
    reads.certificates.bySerials = count('certificates', reads.certificates.bySerials.bind(reads.certificates));
    reads.audit.forCertificates = count('events', reads.audit.forCertificates.bind(reads.audit));
    const schema = createSchema({ typeDefs: loadTypeDefs(), resolvers });
    const result = await execute({
      schema,
      document: parse('{ certificates(first: 50, orderBy: { field: SERIAL, direction: ASC }) { edges { node { serial issuer { name } renews { serial issuer { name } } events { type } } } } }'),
      contextValue: { scope: async () => readScope(reads, NOW) },
    });
    assert.equal(result.errors, undefined);
    const edges = (result.data as { certificates: { edges: { node: { renews: unknown; events: unknown[] } }[] } }).certificates.edges;
    assert.equal(edges.length, 50);
    assert.ok(edges.some((edge) => edge.node.renews !== null));
    assert.ok(edges.every((edge) => edge.node.events.length >= 1));
    assert.deepEqual(calls, { issuers: 1, certificates: 1, events: 1 });
  });
});
