/**
 * GraphQL access control and failures over HTTPS: tokens and ACL policies (a read-only dashboard token queries but
 * cannot mutate), every error code, depth and complexity limits, and the developer aids that config switches on
 * (introspection, GraphiQL, persisted operations).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { customGraphqlEndpoint, enrollViaEst, graphqlEndpoint, httpsRequest, rootCa, tokenWithPolicy, type GraphqlClient, type GraphqlResponse } from '../support/graphql.js';
import type { GraphqlConfig } from '../../src/config/config.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';

const DASHBOARD_POLICY = 'path "graphql/query" {\n  capabilities = ["read"]\n}\n';
const OPERATOR_POLICY = `${DASHBOARD_POLICY}path "pki/revoke" {\n  capabilities = ["update"]\n}\npath "signet/otp" {\n  capabilities = ["create"]\n}\n`;
const REVOKE_ONLY_POLICY = 'path "pki/revoke" {\n  capabilities = ["update"]\n}\n';

const codes = (response: GraphqlResponse<unknown>) => (response.body.errors ?? []).map((error) => error.extensions?.code);

describe('GraphQL auth, errors and limits', () => {
  let server: TestServer;
  let endpoint: ReturnType<typeof graphqlEndpoint>;
  let root: GraphqlClient;
  let serials: string[];
  let dashboard: string;
  let operator: string;
  let revokeOnly: string;

  before(async () => {
    server = await startTestServer();
    endpoint = graphqlEndpoint(server);
    root = endpoint.client;
    serials = await enrollViaEst(server, 6, 'gql-auth');
    dashboard = await tokenWithPolicy(server, 'dashboard', DASHBOARD_POLICY);
    operator = await tokenWithPolicy(server, 'operator', OPERATOR_POLICY);
    revokeOnly = await tokenWithPolicy(server, 'revoker', REVOKE_ONLY_POLICY);
  });

  after(async () => {
    await server?.stop();
  });

  const statusOf = async (serial: string) => (await root.data(`query S($serial: String!) { certificate(serial: $serial) { status } }`, { serial })).certificate.status;

  test('UNAUTHENTICATED (401) without a token or with an unknown one; both token headers work', async () => {
    const missing = await root.query('{ head }', {}, { token: null });
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    assert.deepEqual(codes(missing), ['UNAUTHENTICATED']);
    const unknown = await root.query('{ head }', {}, { token: 's.not-a-token' });
    assert.equal(unknown.status, 401);
    assert.deepEqual(codes(unknown), ['UNAUTHENTICATED']);
    const bearer = await root.query('{ head }', {}, { token: null, headers: { authorization: `Bearer ${dashboard}` } });
    assert.equal(bearer.status, 200);
    assert.equal(typeof bearer.body.data?.head, 'number');
  });

  test('a read-only dashboard token queries but cannot mutate (FORBIDDEN, nothing recorded)', async () => {
    const head = await server.core.store.headPosition();
    const read = await root.query('{ certificates(first: 2) { totalCount } }', {}, { token: dashboard });
    assert.equal(read.status, 200);
    assert.ok(read.body.data.certificates.totalCount >= 6);
    const revoke = await root.query('mutation R($serial: String!) { revokeCertificate(serial: $serial, reason: KEY_COMPROMISE) { status } }', { serial: serials[0] }, { token: dashboard });
    assert.deepEqual(codes(revoke), ['FORBIDDEN']);
    assert.match(revoke.body.errors![0].message, /"update" on "pki\/revoke"/);
    const otp = await root.query('mutation { createOtp(label: "x") { token } }', {}, { token: dashboard });
    assert.deepEqual(codes(otp), ['FORBIDDEN']);
    assert.equal(await server.core.store.headPosition(), head, 'no event was recorded');
    assert.equal(await statusOf(serials[0]), 'ACTIVE');
  });

  test('FORBIDDEN (403) for queries without graphql/query read, even for a token that may revoke', async () => {
    const query = await root.query('{ head }', {}, { token: revokeOnly });
    assert.equal(query.status, 403);
    assert.deepEqual(codes(query), ['FORBIDDEN']);
    const revoke = await root.query('mutation R($serial: String!) { revokeCertificate(serial: $serial) { serial } }', { serial: serials[5] }, { token: revokeOnly });
    assert.equal(revoke.body.data.revokeCertificate.serial, serials[5]);
  });

  test('an operator token revokes (through the certificate decider) and creates OTPs', async () => {
    const revoked = await root.data(
      'mutation R($serial: String!) { revokeCertificate(serial: $serial, reason: KEY_COMPROMISE) { serial status revocation { reason } events { type actor } } }',
      { serial: serials[1] },
      { token: operator },
    );
    assert.equal(revoked.revokeCertificate.status, 'REVOKED');
    assert.equal(revoked.revokeCertificate.revocation.reason, 'KEY_COMPROMISE');
    assert.deepEqual(revoked.revokeCertificate.events.at(-1), { type: 'CertificateRevoked', actor: 'token-operator' });
    const again = await root.data('mutation R($serial: String!) { revokeCertificate(serial: $serial, reason: SUPERSEDED) { revocation { reason } } }', { serial: serials[1] }, { token: operator });
    assert.equal(again.revokeCertificate.revocation.reason, 'KEY_COMPROMISE', 'revoking twice changes nothing');
    const created = await root.data('mutation { createOtp(label: "line-7", ttl: "2h", maxUses: 3) { token otp { id label maxUses uses status expiresAt } } }', {}, { token: operator });
    assert.match(created.createOtp.token, /^otp_/);
    assert.equal(created.createOtp.otp.status, 'ACTIVE');
    assert.equal(created.createOtp.otp.maxUses, 3);
    const listed = await root.data('{ otpTokens(status: ACTIVE) { id label } }', {}, { token: dashboard });
    assert.ok(listed.otpTokens.some((otp: { id: string }) => otp.id === created.createOtp.otp.id));
    assert.ok(!JSON.stringify(listed).includes(created.createOtp.token), 'the secret is shown once only');
  });

  test('NOT_FOUND for an unknown serial or issuer, in queries and mutations', async () => {
    const certificate = await root.query('{ certificate(serial: "0badc0de") { serial } }');
    assert.deepEqual(codes(certificate), ['NOT_FOUND']);
    assert.deepEqual(certificate.body.errors![0].path, ['certificate']);
    assert.equal(certificate.body.data?.certificate, null);
    const issuer = await root.query('{ issuer(id: "nope") { id } }');
    assert.deepEqual(codes(issuer), ['NOT_FOUND']);
    const revoke = await root.query('mutation { revokeCertificate(serial: "0badc0de") { serial } }');
    assert.deepEqual(codes(revoke), ['NOT_FOUND']);
  });

  test('BAD_USER_INPUT for page sizes, cursors, times, serials, asOf and stats ranges', async () => {
    const { certificates } = await root.data('{ certificates(first: 1) { pageInfo { endCursor } } }');
    const cursor = certificates.pageInfo.endCursor;
    const cases: [string, Record<string, unknown>][] = [
      ['{ certificates(first: 1001) { totalCount } }', {}],
      ['{ certificates(last: 1001) { totalCount } }', {}],
      ['{ certificates(first: -1) { totalCount } }', {}],
      ['{ certificates(first: 1, last: 1) { totalCount } }', {}],
      ['{ auditEvents(first: 5000) { totalCount } }', {}],
      ['{ certificates(after: "garbage") { totalCount } }', {}],
      [`query C($after: String) { certificates(after: $after, orderBy: { field: SERIAL, direction: ASC }) { totalCount } }`, { after: cursor }],
      [`query C($before: String) { auditEvents(before: $before) { totalCount } }`, { before: cursor }],
      ['query C($t: DateTime) { certificates(filter: { issuedAfter: $t }) { totalCount } }', { t: 'yesterday' }],
      ['{ certificates(filter: { notAfterAfter: "2030-01-01T00:00:00Z", notAfterBefore: "2020-01-01T00:00:00Z" }) { totalCount } }', {}],
      ['{ certificate(serial: "xyz!") { serial } }', {}],
      ['{ certificates(filter: { serialPrefix: "zz" }) { totalCount } }', {}],
      ['{ certificates(asOf: { position: 1, time: "2020-01-01T00:00:00Z" }) { totalCount } }', {}],
      ['{ certificates(asOf: {}) { totalCount } }', {}],
      ['{ certificates(asOf: { position: 99999999 }) { totalCount } }', {}],
      ['{ certificates(asOf: { time: "2999-01-01T00:00:00Z" }) { totalCount } }', {}],
      ['{ head(asOf: { position: -1 }) }', {}],
      ['{ stats(from: "2020-01-01T00:00:00Z", to: "2021-01-01T00:00:00Z") { activeCertificates } }', {}],
      ['{ stats(from: "2021-01-01T00:00:00Z", to: "2020-01-01T00:00:00Z") { activeCertificates } }', {}],
      ['{ otpTokens(first: 100000) { id } }', {}],
      ['mutation { createOtp(label: "x", maxUses: 0) { token } }', {}],
      ['mutation { createOtp(label: "x", ttl: "soon") { token } }', {}],
    ];
    for (const [query, variables] of cases) {
      const response = await root.query(query, variables);
      const got = codes(response);
      assert.ok(got.length > 0, `${query}: expected an error`);
      if (query.includes('head(asOf')) assert.deepEqual(got, ['GRAPHQL_VALIDATION_FAILED'], query);
      else assert.deepEqual(got, ['BAD_USER_INPUT'], `${query}: ${JSON.stringify(response.body.errors)}`);
    }
  });

  test('depth and complexity limits refuse before executing', async () => {
    const renews = (levels: number): string => (levels === 0 ? 'serial' : `renews { ${renews(levels - 1)} }`);
    // certificates > edges > node > 8 × renews > serial is 12 levels deep: the limit.
    assert.equal((await root.query(`{ certificates(first: 1) { edges { node { ${renews(8)} } } } }`)).status, 200);
    const nested = `{ certificates(first: 1) { edges { node { ${renews(9)} } } } }`;
    const deep = await root.query(nested);
    assert.equal(deep.status, 400);
    assert.deepEqual(codes(deep), ['QUERY_TOO_DEEP']);
    const heavy = await root.query(`{ certificates(first: 1000) { edges { node { serial events { type position time action actor } sans { type value } issuer { name crl { number } } } } } }`);
    assert.deepEqual(codes(heavy), ['QUERY_TOO_COMPLEX']);
    assert.equal(heavy.body.data, undefined, 'nothing executed');
    const sized = `query Q($n: Int) { certificates(first: $n) { edges { node { serial events { type position time action actor } sans { type value } } } } }`;
    assert.deepEqual(codes(await root.query(sized, { n: 1000 })), ['QUERY_TOO_COMPLEX'], 'page sizes in variables count');
    assert.deepEqual(codes(await root.query(sized, { n: 10 })), []);
    const fine = await root.query(`query Q($n: Int) { certificates(first: $n) { totalCount edges { node { serial issuer { name } } } } }`, { n: 1000 });
    assert.equal(fine.status, 200);
    assert.equal(fine.body.errors, undefined);
  });

  test('introspection is off by default, and a misspelt field gets no suggestion', async () => {
    const introspection = await root.query('{ __schema { queryType { name } } }');
    assert.equal(introspection.status, 400);
    assert.ok(codes(introspection).length > 0 && codes(introspection).every((code) => code === 'GRAPHQL_VALIDATION_FAILED'));
    assert.match(introspection.body.errors![0].message, /introspection has been disabled/);
    const typo = await root.query('{ certificats { totalCount } }');
    assert.equal(typo.status, 400);
    assert.doesNotMatch(typo.body.errors![0].message, /Did you mean/);
    const graphiql = await httpsRequest(endpoint.url, { method: 'GET', headers: { accept: 'text/html' }, ca: rootCa(server) });
    assert.doesNotMatch(graphiql.text, /<html/i);
  });

  test('a request body over the limit is 413 before it is parsed', async () => {
    const response = await root.query(`{ head } # ${'x'.repeat(300_000)}`);
    assert.equal(response.status, 413);
    assert.deepEqual(codes(response), ['BAD_USER_INPUT']);
  });

  describe('with [graphql] introspection, graphiql and persisted operations enabled', () => {
    const persistedQuery = '{ issuers { name } }';
    const hash = createHash('sha256').update(persistedQuery).digest('hex');
    let client: GraphqlClient;
    let strictClient: GraphqlClient;
    const closers: (() => Promise<void>)[] = [];

    async function endpointWith(settings: Partial<GraphqlConfig>): Promise<GraphqlClient> {
      const custom = await customGraphqlEndpoint(server, settings);
      closers.push(() => custom.close());
      return custom.client;
    }

    let dir: string;

    before(async () => {
      dir = tempDir('signet-gql-ops-');
      const file = join(dir, 'operations.json');
      writeFileSync(file, JSON.stringify({ [hash]: persistedQuery }));
      client = await endpointWith({ introspection: true, graphiql: true, persistedOperations: file });
      strictClient = await endpointWith({ persistedOperations: file, persistedOnly: true });
    });

    after(async () => {
      for (const close of closers) await close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('introspection answers, and GraphiQL is served to browsers', async () => {
      const schema = await client.data('{ __schema { queryType { fields { name } } } }');
      const fields = schema.__schema.queryType.fields.map((field: { name: string }) => field.name);
      for (const name of ['certificates', 'certificate', 'issuers', 'issuer', 'auditEvents', 'otpTokens', 'estProfiles', 'roles', 'stats']) assert.ok(fields.includes(name), name);
      const page = await httpsRequest(client.url, { method: 'GET', headers: { accept: 'text/html' }, ca: rootCa(server) });
      assert.equal(page.status, 200);
      assert.match(page.text, /graphiql/i);
    });

    test('persisted operations run by hash; unknown hashes and, when persisted-only, plain queries are refused', async () => {
      const extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
      const byHash = await client.query('', {}, { extensions, omitQuery: true });
      assert.deepEqual(byHash.body.data?.issuers.map((issuer: { name: string }) => issuer.name).sort(), ['issuing', 'root']);
      const unknown = await client.query('', {}, { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } }, omitQuery: true });
      assert.deepEqual(codes(unknown), ['PERSISTED_QUERY_NOT_FOUND']);
      assert.equal((await client.query('{ head }')).status, 200, 'arbitrary operations still run by default');
      const arbitrary = await strictClient.query('{ head }');
      assert.deepEqual(codes(arbitrary), ['PERSISTED_QUERY_ONLY']);
      const strictByHash = await strictClient.query('', {}, { extensions, omitQuery: true });
      assert.equal(strictByHash.body.data?.issuers.length, 2);
    });
  });
});
