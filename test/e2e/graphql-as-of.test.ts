/**
 * Time travel: `asOf` a store position or a time answers from read models rebuilt from the log up to that point.
 * Before and after a revocation (made through the admin REST API) the same query shows the two states.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { customGraphqlEndpoint, enrollViaEst, graphqlEndpoint, revokeViaAdmin, type GraphqlClient } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';

const DETAIL = `query At($serial: String!, $asOf: AsOf) {
  certificate(serial: $serial, asOf: $asOf) { status revocation { reason } events { type } issuer { activeCertificates } }
  certificates(filter: { status: REVOKED }, asOf: $asOf) { totalCount edges { node { serial } } }
  auditEvents(filter: { action: ["revoke"] }, asOf: $asOf) { totalCount }
  stats(from: "2020-01-01T00:00:00Z", to: "2020-01-02T00:00:00Z", bucket: DAY, asOf: $asOf) { activeCertificates }
}`;

describe('GraphQL asOf', () => {
  let server: TestServer;
  let client: GraphqlClient;
  let serial: string;
  let beforeRevocation: { position: number; time: string };
  let afterRevocation: number;

  before(async () => {
    server = await startTestServer();
    client = graphqlEndpoint(server).client;
    [serial] = await enrollViaEst(server, 3, 'asof');
    beforeRevocation = { position: (await client.data('{ head }')).head, time: new Date().toISOString() };
    await sleep(20);
    await revokeViaAdmin(server, serial, 'key_compromise');
    afterRevocation = (await client.data('{ head }')).head;
  });

  after(async () => {
    await server?.stop();
  });

  const expectActive = (data: Record<string, any>) => {
    assert.equal(data.certificate.status, 'ACTIVE');
    assert.equal(data.certificate.revocation, null);
    assert.deepEqual(data.certificate.events, [{ type: 'CertificateIssued' }]);
    assert.equal(data.certificates.totalCount, 0);
    assert.equal(data.auditEvents.totalCount, 0);
  };
  const expectRevoked = (data: Record<string, any>) => {
    assert.equal(data.certificate.status, 'REVOKED');
    assert.deepEqual(data.certificate.revocation, { reason: 'KEY_COMPROMISE' });
    assert.deepEqual(data.certificate.events, [{ type: 'CertificateIssued' }, { type: 'CertificateRevoked' }]);
    assert.deepEqual(data.certificates.edges, [{ node: { serial } }]);
    assert.equal(data.auditEvents.totalCount, 1);
  };

  test('asOf a position before and after the revocation shows the two states', async () => {
    const then = await client.data(DETAIL, { serial, asOf: { position: beforeRevocation.position } });
    const later = await client.data(DETAIL, { serial, asOf: { position: String(afterRevocation) } });
    const now = await client.data(DETAIL, { serial });
    expectActive(then);
    expectRevoked(later);
    expectRevoked(now);
    assert.equal(then.certificate.issuer.activeCertificates - 1, later.certificate.issuer.activeCertificates, 'nested fields read the same past state');
    assert.equal(then.stats.activeCertificates - 1, now.stats.activeCertificates);
  });

  test('asOf a time before the revocation, and one query mixing past and present', async () => {
    expectActive(await client.data(DETAIL, { serial, asOf: { time: beforeRevocation.time } }));
    const mixed = await client.data(`query M($serial: String!, $then: AsOf) {
      past: certificate(serial: $serial, asOf: $then) { status }
      present: certificate(serial: $serial) { status }
      early: certificates(asOf: { position: 1 }) { totalCount }
      nothing: issuers(asOf: { position: 0 }) { id }
    }`, { serial, then: { time: beforeRevocation.time } });
    assert.deepEqual(mixed, { past: { status: 'ACTIVE' }, present: { status: 'REVOKED' }, early: { totalCount: 0 }, nothing: [] });
  });

  test('rebuilt states are cached: asking again is fast and the same', async () => {
    const asOf = { position: beforeRevocation.position };
    await client.data(DETAIL, { serial, asOf });
    const started = performance.now();
    expectActive(await client.data(DETAIL, { serial, asOf }));
    assert.ok(performance.now() - started < 1000);
  });

  test('a point beyond graphql.as_of_max_events is refused with BAD_USER_INPUT', async () => {
    const bounded = await customGraphqlEndpoint(server, { asOfMaxEvents: 5 });
    try {
      const refused = await bounded.client.query(DETAIL, { serial, asOf: { position: beforeRevocation.position } });
      assert.equal(refused.body.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
      assert.match(refused.body.errors![0].message, /as_of_max_events/);
      const small = await bounded.client.query('{ issuers(asOf: { position: 3 }) { id } }');
      assert.equal(small.body.errors, undefined);
    } finally {
      await bounded.close();
    }
  });
});
