/**
 * GraphQL queries over HTTPS against a running Signet, with certificates enrolled over EST and revoked through the
 * admin REST API: Relay paging in both directions for every ordering, totals with filters, certificate details
 * (PEM checked by openssl, events from the audit view), issuers, audit events, stats and the enrollment lists.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enrollViaEst, graphqlEndpoint, revokeViaAdmin, type GraphqlClient } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { openssl } from '../support/tools.js';

const ENROLLED = 30;
const REVOKED = 5;

const PAGE_QUERY = `
  query Page($first: Int, $after: String, $last: Int, $before: String, $filter: CertificateFilter, $orderBy: CertificateOrder) {
    certificates(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { serial } }
    }
  }`;

interface Page {
  certificates: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    edges: { cursor: string; node: { serial: string } }[];
  };
}

describe('GraphQL queries', () => {
  let server: TestServer;
  let client: GraphqlClient;
  let serials: string[];

  before(async () => {
    server = await startTestServer();
    client = graphqlEndpoint(server).client;
    serials = await enrollViaEst(server, ENROLLED, 'gql-dev');
    for (const serial of serials.slice(0, REVOKED)) await revokeViaAdmin(server, serial);
  });

  after(async () => {
    await server?.stop();
  });

  /** Every serial, page by page, forwards (first/after) or backwards (last/before). */
  async function walk(variables: Record<string, unknown>, pageSize: number, backwards: boolean): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const paging: Record<string, unknown> = backwards ? { last: pageSize, before: cursor } : { first: pageSize, after: cursor };
      const { certificates }: Page = await client.data<Page>(PAGE_QUERY, { ...variables, ...paging });
      const page = certificates.edges.map((edge) => edge.node.serial);
      assert.ok(page.length <= pageSize);
      if (backwards) seen.unshift(...page);
      else seen.push(...page);
      const more = backwards ? certificates.pageInfo.hasPreviousPage : certificates.pageInfo.hasNextPage;
      // A page reached through a cursor knows there is something on the side it came from.
      if (cursor) assert.equal(backwards ? certificates.pageInfo.hasNextPage : certificates.pageInfo.hasPreviousPage, true);
      if (!more) return seen;
      cursor = backwards ? certificates.pageInfo.startCursor : certificates.pageInfo.endCursor;
    }
    throw new Error('paging did not end');
  }

  for (const orderBy of [undefined, { field: 'ISSUED', direction: 'ASC' }, { field: 'NOT_AFTER', direction: 'ASC' }, { field: 'NOT_AFTER', direction: 'DESC' }, { field: 'SERIAL', direction: 'ASC' }]) {
    for (const filter of [undefined, { status: 'ACTIVE' }, { profile: 'default' }]) {
      test(`pages cover everything once, both directions: order ${JSON.stringify(orderBy ?? 'default')}, filter ${JSON.stringify(filter ?? {})}`, async () => {
        const variables = { ...(orderBy ? { orderBy } : {}), ...(filter ? { filter } : {}) };
        const { certificates: all } = await client.data<Page>(PAGE_QUERY, { ...variables, first: 1000 });
        const everything = all.edges.map((edge) => edge.node.serial);
        assert.equal(all.totalCount, everything.length);
        assert.equal(new Set(everything).size, everything.length, 'no duplicates in the single page');
        assert.ok(everything.length >= ENROLLED - REVOKED);
        for (const pageSize of [1, 7]) {
          assert.deepEqual(await walk(variables, pageSize, false), everything, `forwards by ${pageSize}`);
          assert.deepEqual(await walk(variables, pageSize, true), everything, `backwards by ${pageSize}`);
        }
      });
    }
  }

  test('the default order is newest first, and SERIAL/NOT_AFTER orders really are sorted', async () => {
    const newest = await client.data<{ certificates: { edges: { node: { serial: string; position: number } }[] } }>(`{ certificates(first: 1000, filter: { profile: "default" }) { edges { node { serial position } } } }`);
    const positions = newest.certificates.edges.map((edge) => edge.node.position);
    assert.deepEqual(positions, [...positions].sort((a, b) => b - a));
    assert.deepEqual(new Set(newest.certificates.edges.map((edge) => edge.node.serial)), new Set(serials));
    const bySerial = await client.data<{ certificates: { edges: { node: { serial: string } }[] } }>(`{ certificates(first: 1000, orderBy: { field: SERIAL, direction: ASC }) { edges { node { serial } } } }`);
    const ordered = bySerial.certificates.edges.map((edge) => edge.node.serial);
    assert.deepEqual(ordered, [...ordered].sort());
    const byExpiry = await client.data<{ certificates: { edges: { node: { notAfter: string } }[] } }>(`{ certificates(first: 1000, orderBy: { field: NOT_AFTER, direction: DESC }) { edges { node { notAfter } } } }`);
    const expiries = byExpiry.certificates.edges.map((edge) => edge.node.notAfter);
    assert.deepEqual(expiries, [...expiries].sort().reverse());
  });

  test('totalCount follows every filter', async () => {
    const count = async (filter: object) => (await client.data<Page>(PAGE_QUERY, { first: 1, filter })).certificates.totalCount;
    const listed = async (filter: object) => (await client.data<Page>(PAGE_QUERY, { first: 1000, filter })).certificates.edges.length;
    const target = serials[12];
    const cases: [object, number | undefined][] = [
      [{ profile: 'default' }, ENROLLED],
      [{ profile: 'default', status: 'ACTIVE' }, ENROLLED - REVOKED],
      [{ status: 'REVOKED' }, REVOKED],
      [{ status: 'EXPIRED' }, 0],
      [{ issuer: 'default', status: 'REVOKED' }, REVOKED],
      [{ issuer: 'no-such-issuer' }, 0],
      [{ subject: 'GQL-DEV-1' }, 11],
      [{ san: 'nothing.example' }, 0],
      [{ serialPrefix: target.slice(0, 12).toUpperCase().replace(/(..)/g, '$1:').slice(0, -1) }, 1],
      [{ notAfterAfter: '2000-01-01T00:00:00Z', notAfterBefore: '2999-01-01T00:00:00Z', profile: 'default' }, ENROLLED],
      [{ issuedAfter: new Date(Date.now() + 3_600_000).toISOString() }, 0],
      [{ issuedBefore: new Date(Date.now() + 3_600_000).toISOString(), status: 'ACTIVE', profile: 'default' }, ENROLLED - REVOKED],
      [{ role: 'web' }, 0],
    ];
    for (const [filter, expected] of cases) {
      assert.equal(await count(filter), expected, JSON.stringify(filter));
      assert.equal(await listed(filter), expected, `listed ${JSON.stringify(filter)}`);
    }
  });

  test('certificate(serial): fields, PEM that openssl reads, revocation, issuer and events from the audit view', async () => {
    const serial = serials[0];
    const { certificate } = await client.data(
      `query One($serial: String!) { certificate(serial: $serial) {
        serial subject sans { type value } notBefore notAfter status profile role keyType issuedAt position
        issuer { id name isDefault } revocation { time reason } renews { serial } renewedBy { serial } pem
        events { type position time action actor }
      } }`,
      { serial: serial.toUpperCase() },
    );
    assert.equal(certificate.serial, serial);
    assert.equal(certificate.subject, 'CN=gql-dev-0');
    assert.equal(certificate.status, 'REVOKED');
    assert.equal(certificate.profile, 'default');
    assert.equal(certificate.revocation.reason, 'KEY_COMPROMISE');
    assert.equal(certificate.issuer.name, 'issuing');
    assert.equal(certificate.issuer.isDefault, true);
    assert.deepEqual(
      certificate.events.map((event: { type: string }) => event.type),
      ['CertificateIssued', 'CertificateRevoked'],
    );
    assert.equal(certificate.events[0].action, 'enroll');
    assert.equal(certificate.events[0].position, certificate.position);
    assert.ok(certificate.events[1].position > certificate.events[0].position);
    const text = openssl(['x509', '-noout', '-serial', '-subject'], Buffer.from(certificate.pem));
    assert.match(text, new RegExp(`serial=${serial}`, 'i'));
    assert.match(text, /subject=CN\s*=\s*gql-dev-0/);
  });

  test('issuers: counters, default flag and PEM; issuer(id) by name', async () => {
    const data = await client.data(`{ issuers { id name kind isDefault status certsIssuedTotal activeCertificates crl { number entries } pem }
      issuing: issuer(id: "default") { name certsIssuedTotal } }`);
    const issuing = data.issuers.find((issuer: { name: string }) => issuer.name === 'issuing');
    assert.equal(issuing.kind, 'INTERMEDIATE');
    assert.equal(issuing.certsIssuedTotal, ENROLLED + 1, 'the enrolled devices and the TLS certificate');
    assert.equal(issuing.activeCertificates, ENROLLED + 1 - REVOKED);
    assert.equal(data.issuing.name, 'issuing');
    assert.match(openssl(['x509', '-noout', '-subject'], Buffer.from(issuing.pem)), /Signet Issuing CA/);
    const root = data.issuers.find((issuer: { name: string }) => issuer.name === 'root');
    assert.equal(root.kind, 'ROOT');
    assert.equal(root.certsIssuedTotal, 0);
  });

  test('issuer CRL: the newest complete CRL, as the public listener serves it', async () => {
    const crl = await fetch(`${server.listeners.public.url}/v1/pki/crl`);
    assert.equal(crl.status, 200);
    const text = openssl(['crl', '-inform', 'DER', '-noout', '-crlnumber'], Buffer.from(await crl.arrayBuffer()));
    await server.core.runner.waitFor(await server.core.store.headPosition());
    const { issuer } = await client.data(`{ issuer(id: "issuing") { crl { number thisUpdate nextUpdate entries } } }`);
    assert.equal(issuer.crl.number, parseInt(text.split('=')[1], 16));
    assert.equal(issuer.crl.entries, REVOKED);
    assert.ok(Date.parse(issuer.crl.nextUpdate) > Date.parse(issuer.crl.thisUpdate));
  });

  test('auditEvents: filters, totals and paging through every page', async () => {
    const query = `query Audit($first: Int, $after: String, $filter: AuditEventFilter) {
      auditEvents(first: $first, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor } edges { node { position action result serial subject actor authMethod clientIp } } } }`;
    const revokes = await client.data(query, { first: 100, filter: { action: 'revoke' } });
    assert.equal(revokes.auditEvents.totalCount, REVOKED);
    assert.ok(revokes.auditEvents.edges.every((edge: { node: { subject: string; actor: string } }) => edge.node.subject.startsWith('CN=gql-dev-') && edge.node.actor === 'root'));
    const enrolls = await client.data(query, { first: 1000, filter: { action: ['enroll'], subject: 'gql-dev' } });
    assert.equal(enrolls.auditEvents.totalCount, ENROLLED);
    const all: number[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { auditEvents: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { position: number } }[] } } = await client.data(query, { first: 8, after, filter: { action: ['enroll', 'revoke'] } });
      all.push(...page.auditEvents.edges.map((edge) => edge.node.position));
      if (!page.auditEvents.pageInfo.hasNextPage) break;
      after = page.auditEvents.pageInfo.endCursor;
    }
    assert.equal(all.length, ENROLLED + REVOKED);
    assert.deepEqual(all, [...all].sort((a, b) => b - a), 'newest first, no gaps or repeats');
    assert.equal(new Set(all).size, all.length);
  });

  test('stats: per-hour counts and active certificates', async () => {
    const hour = new Date();
    const from = new Date(hour.getTime() - 3_600_000).toISOString();
    const to = new Date(hour.getTime() + 3_600_000).toISOString();
    const { stats } = await client.data(`query S($from: DateTime!, $to: DateTime!) { stats(from: $from, to: $to, bucket: HOUR) { from to bucket activeCertificates buckets { start end issued renewed revoked refused } } }`, { from, to });
    const sum = (field: string) => stats.buckets.reduce((total: number, bucket: Record<string, number>) => total + bucket[field], 0);
    assert.equal(sum('issued'), ENROLLED + 1);
    assert.equal(sum('revoked'), REVOKED);
    assert.equal(stats.activeCertificates, ENROLLED + 1 - REVOKED);
    const days = await client.data(`query S($from: DateTime!, $to: DateTime!) { stats(from: $from, to: $to, bucket: DAY, filter: { profile: "default" }) { buckets { issued revoked } activeCertificates } }`, { from, to });
    assert.equal(days.stats.buckets.reduce((total: number, bucket: { issued: number }) => total + bucket.issued, 0), ENROLLED);
    assert.equal(days.stats.activeCertificates, ENROLLED - REVOKED);
  });

  test('otpTokens, estProfiles and roles: listed without secrets', async () => {
    const data = await client.data(`{ otpTokens { id label maxUses uses status } estProfiles { name issuerRef issuer { name } authMethods basicUsers } roles { name } }`);
    const otp = data.otpTokens.find((token: { label: string }) => token.label === 'gql-dev');
    assert.equal(otp.uses, ENROLLED);
    assert.equal(otp.status, 'USED_UP');
    assert.ok(!JSON.stringify(data).includes('otp_'), 'no OTP secret anywhere');
    assert.equal(data.estProfiles[0].name, 'default');
    assert.equal(data.estProfiles[0].issuer.name, 'issuing');
    assert.deepEqual(data.roles, []);
  });
});
