/**
 * GraphQL end-to-end helpers: the /graphql endpoint of a running test server, a client posting queries over HTTPS,
 * an SSE subscriber, and data made through the public paths (EST enrollment with an OTP from the admin REST API,
 * revocation through the admin REST API) and tokens with chosen ACL policies.
 */
import { readFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import Koa from 'koa';
import { PolicyService } from '../../src/app/pki/policy-service.js';
import { TokenService } from '../../src/app/pki/token-service.js';
import { parseCertificate } from '../../src/crypto/certificate.js';
import type { GraphqlConfig } from '../../src/config/config.js';
import { apiTokenAuthorizer } from '../../src/graphql/auth.js';
import { buildGraphql } from '../../src/graphql/server.js';
import { listen } from '../../src/http/listeners.js';
import { PolicyQueries } from '../../projections/policies.js';
import { csrPool, httpsClient, otpAuthorization, pkcs7BodyToDers } from './est.js';
import type { TestServer } from './server.js';

export interface GraphqlError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

export interface GraphqlResponse<Data> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { data?: Data | null; errors?: GraphqlError[] };
}

export interface QueryOptions {
  /** null sends no token; undefined uses the client's. */
  token?: string | null;
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
  /** Send this instead of the query text (persisted operations). */
  omitQuery?: boolean;
}

export interface GraphqlClient {
  url: string;
  query<Data = any>(query: string, variables?: Record<string, unknown>, options?: QueryOptions): Promise<GraphqlResponse<Data>>;
  /** Like query, but fails the test on any error; returns data. */
  data<Data = any>(query: string, variables?: Record<string, unknown>, options?: QueryOptions): Promise<Data>;
}

export const rootCa = (server: TestServer) => readFileSync(server.boot.ca.rootPem, 'utf8');

export function httpsRequest(url: string, options: RequestOptions & { body?: string }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export function graphqlClient(url: string, ca: string, defaultToken: string): GraphqlClient {
  const client: GraphqlClient = {
    url,
    async query(query, variables = {}, options = {}) {
      const token = options.token === undefined ? defaultToken : options.token;
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...options.headers };
      if (token) headers['x-vault-token'] = token;
      const body = JSON.stringify({ ...(options.omitQuery ? {} : { query }), variables, ...(options.extensions ? { extensions: options.extensions } : {}) });
      const response = await httpsRequest(url, { method: 'POST', headers, body, ca });
      return { status: response.status, headers: response.headers, body: JSON.parse(response.text) };
    },
    async data(query, variables, options) {
      const response = await client.query(query, variables, options);
      if (response.body.errors?.length || response.status !== 200) throw new Error(`GraphQL ${response.status}: ${JSON.stringify(response.body.errors)}`);
      return response.body.data!;
    },
  };
  return client;
}

/** The GraphQL endpoint of a running test server: /graphql on its API listener, queried with the root token. */
export function graphqlEndpoint(server: TestServer): { url: string; client: GraphqlClient } {
  const url = `${server.listeners.api.url}/graphql`;
  return { url, client: graphqlClient(url, rootCa(server), server.boot.rootToken) };
}

/**
 * A second GraphQL server over the same core with some `[graphql]` settings changed, in its own koa app on its
 * own HTTPS listener (with the server's TLS certificate). Close it when done.
 */
export async function customGraphqlEndpoint(server: TestServer, settings: Partial<GraphqlConfig>): Promise<{ url: string; client: GraphqlClient; close(): Promise<void> }> {
  const { core } = server;
  const graphql = buildGraphql({ core: { ...core, config: { ...core.config, graphql: { ...core.config.graphql, ...settings } } }, authorizer: apiTokenAuthorizer(core) });
  const app = new Koa();
  app.use(graphql.middleware);
  const listener = await listen('graphql', { host: '127.0.0.1', port: 0 }, app.callback(), { key: server.boot.tls.keyPem, cert: server.boot.tls.certPem });
  const url = `${listener.url}/graphql`;
  return {
    url,
    client: graphqlClient(url, rootCa(server), server.boot.rootToken),
    async close() {
      await graphql.close();
      await listener.close();
    },
  };
}

/** A token whose only policy is `policyText` (written under `name`), created by the root token. */
export async function tokenWithPolicy(server: TestServer, name: string, policyText: string): Promise<string> {
  const { core } = server;
  const metadata = { actor: 'test', auth_method: 'local' };
  await new PolicyService(core, new PolicyQueries(core.readDb)).write(name, policyText, metadata);
  const tokens = new TokenService(core);
  const root = tokens.authenticate(server.boot.rootToken)!;
  const created = await tokens.create({ parent: root, policies: [name], displayName: name, noDefaultPolicy: true }, metadata);
  return created.token;
}

async function adminJson(server: TestServer, method: string, path: string, body: object): Promise<Record<string, unknown>> {
  const response = await httpsRequest(`${server.listeners.admin!.url}${path}`, {
    method,
    ca: rootCa(server),
    headers: { authorization: `Bearer ${server.boot.rootToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return JSON.parse(response.text) as Record<string, unknown>;
}

/** Revokes through the admin REST API (POST /admin/certs/:serial/revoke). */
export async function revokeViaAdmin(server: TestServer, serial: string, reason = 'key_compromise'): Promise<void> {
  await adminJson(server, 'POST', `/admin/certs/${serial}/revoke`, { reason });
}

/**
 * Enrolls `count` devices over EST (simpleenroll, OTP from POST /admin/otp), `inFlight` at a time; answers the
 * serials in enrollment order.
 */
export async function enrollViaEst(server: TestServer, count: number, prefix: string, inFlight = 8): Promise<string[]> {
  const otp = (await adminJson(server, 'POST', '/admin/otp', { label: prefix, ttl: '1h', max_uses: count })).token as string;
  const csrs = csrPool(count, prefix);
  const client = httpsClient(rootCa(server), inFlight);
  const url = `${server.listeners.est.url}/.well-known/est/simpleenroll`;
  const serials: string[] = new Array(count);
  try {
    for (let start = 0; start < count; start += inFlight) {
      await Promise.all(
        csrs.slice(start, start + inFlight).map(async (csr, i) => {
          const answer = await client.post(url, Buffer.from(csr).toString('base64'), { 'content-type': 'application/pkcs10', authorization: otpAuthorization(otp) });
          if (answer.status !== 200) throw new Error(`EST enroll: ${answer.status} ${answer.body.toString()}`);
          serials[start + i] = parseCertificate(pkcs7BodyToDers(answer.body)[0]).serialHex;
        }),
      );
    }
  } finally {
    client.close();
  }
  await server.core.runner.waitFor(await server.core.store.headPosition());
  return serials;
}

export interface SseSubscription<Data> {
  /** The next `data:` payload, or an error after `timeoutMs`. */
  next(timeoutMs?: number): Promise<{ data?: Data; errors?: GraphqlError[] }>;
  /** Resolves once the response headers arrived (the server has subscribed). */
  ready: Promise<{ status: number; contentType: string }>;
  close(): void;
}

/** A subscription over server-sent events (POST with Accept: text/event-stream), read event by event. */
export function subscribeSse<Data = any>(url: string, ca: string, token: string, query: string, variables: Record<string, unknown> = {}): SseSubscription<Data> {
  const queued: string[] = [];
  const waiting: ((payload: string) => void)[] = [];
  let readyResolve!: (value: { status: number; contentType: string }) => void;
  let readyReject!: (error: Error) => void;
  const ready = new Promise<{ status: number; contentType: string }>((resolve, reject) => ((readyResolve = resolve), (readyReject = reject)));
  const req = request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-vault-token': token } }, (res) => {
    readyResolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']) });
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('\n');
        if (!data) continue;
        const waiter = waiting.shift();
        if (waiter) waiter(data);
        else queued.push(data);
      }
    });
  });
  req.on('error', (error) => readyReject(error));
  req.end(JSON.stringify({ query, variables }));
  return {
    ready,
    next(timeoutMs = 10_000) {
      const payload = queued.shift();
      if (payload !== undefined) return Promise.resolve(JSON.parse(payload));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no subscription event in time')), timeoutMs);
        waiting.push((data) => {
          clearTimeout(timer);
          resolve(JSON.parse(data));
        });
      });
    },
    close: () => req.destroy(),
  };
}
