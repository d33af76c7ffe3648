/**
 * GraphQL subscriptions over server-sent events against a running Signet: certificates enrolled over EST and
 * revoked through the admin REST API arrive on the open streams, as a query would show them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { customGraphqlEndpoint, enrollViaEst, graphqlEndpoint, revokeViaAdmin, rootCa, subscribeSse, tokenWithPolicy } from '../support/graphql.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('GraphQL subscriptions over SSE', () => {
  let server: TestServer;
  let endpoint: ReturnType<typeof graphqlEndpoint>;
  let dashboard: string;

  before(async () => {
    server = await startTestServer();
    endpoint = graphqlEndpoint(server);
    dashboard = await tokenWithPolicy(server, 'dashboard', 'path "graphql/query" {\n  capabilities = ["read"]\n}\n');
  });

  after(async () => {
    await server?.stop();
  });

  const subscribe = (query: string, variables: Record<string, unknown> = {}, token = dashboard) => subscribeSse(endpoint.url, rootCa(server), token, query, variables);

  test('certificateIssued delivers each enrolled certificate, with nested fields, filtered by subject', async () => {
    const all = subscribe('subscription { certificateIssued { serial subject status profile issuer { name } events { type } } }');
    const filtered = subscribe('subscription F($f: CertificateEventFilter) { certificateIssued(filter: $f) { serial subject } }', { f: { subject: 'live-b', profile: 'default' } });
    const ready = await all.ready;
    assert.equal(ready.status, 200);
    assert.match(ready.contentType, /text\/event-stream/);
    await filtered.ready;
    const [first] = await enrollViaEst(server, 1, 'live-a');
    const [second] = await enrollViaEst(server, 1, 'live-b');
    const one = await all.next();
    const two = await all.next();
    assert.deepEqual(one.data?.certificateIssued, { serial: first, subject: 'CN=live-a-0', status: 'ACTIVE', profile: 'default', issuer: { name: 'issuing' }, events: [{ type: 'CertificateIssued' }] });
    assert.equal(two.data?.certificateIssued.serial, second);
    const only = await filtered.next();
    assert.deepEqual(only.data?.certificateIssued, { serial: second, subject: 'CN=live-b-0' });
    all.close();
    filtered.close();
  });

  test('certificateRevoked and auditEvent deliver a revocation', async () => {
    const [serial] = await enrollViaEst(server, 1, 'live-r');
    const revoked = subscribe('subscription { certificateRevoked { serial status revocation { reason } } }');
    const audit = subscribe('subscription { auditEvent(filter: { action: ["revoke"] }) { action serial subject actor result } }');
    await Promise.all([revoked.ready, audit.ready]);
    await revokeViaAdmin(server, serial, 'superseded');
    assert.deepEqual((await revoked.next()).data?.certificateRevoked, { serial, status: 'REVOKED', revocation: { reason: 'SUPERSEDED' } });
    assert.deepEqual((await audit.next()).data?.auditEvent, { action: 'revoke', serial, subject: 'CN=live-r-0', actor: 'root', result: 'success' });
    revoked.close();
    audit.close();
  });

  test('subscribing needs graphql/query read', async () => {
    const revoker = await tokenWithPolicy(server, 'revoker', 'path "pki/revoke" {\n  capabilities = ["update"]\n}\n');
    const refused = subscribe('subscription { certificateIssued { serial } }', {}, revoker);
    await refused.ready;
    const event = await refused.next();
    assert.equal(event.errors?.[0].extensions?.code, 'FORBIDDEN');
    refused.close();
  });

  test('shutting the GraphQL server down ends open streams promptly', async () => {
    const other = await customGraphqlEndpoint(server, {});
    const stream = subscribeSse(other.url, rootCa(server), dashboard, 'subscription { certificateIssued { serial } }');
    await stream.ready;
    const started = performance.now();
    await other.close();
    assert.ok(performance.now() - started < 3000, `closed in ${Math.round(performance.now() - started)} ms`);
    stream.close();
  });

  test('stopping the server with a subscription open does not wait for it', async () => {
    const own = await startTestServer();
    const stream = subscribeSse(graphqlEndpoint(own).url, rootCa(own), own.boot.rootToken, 'subscription { auditEvent { action } }');
    await stream.ready;
    const started = performance.now();
    await own.stop();
    assert.ok(performance.now() - started < 5000, `stopped in ${Math.round(performance.now() - started)} ms`);
    stream.close();
  });
});
