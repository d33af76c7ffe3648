/**
 * /admin/metrics over real TLS: the output parses with a strict Prometheus text parser (and `promtool check
 * metrics` when installed), and the counters move as certificates are enrolled, re-enrolled, refused and
 * revoked and as one-time passwords are generated and consumed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ENROLLMENT_REJECTED_STREAM } from '../../src/domain/enrollment.js';
import { otpDecider, otpStream } from '../../src/domain/otp.js';
import { adminClient, issueCertificate, opensslCsr } from '../support/admin.js';
import { baoClient } from '../support/openbao.js';
import { parsePrometheusText, sampleSum, type MetricFamily } from '../support/prometheus-text.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';

let server: TestServer;
let admin: ReturnType<typeof adminClient>;
let dir: string;
let caId: string;

before(async () => {
  dir = tempDir('signet-admin-metrics-');
  server = await startTestServer({ dataDir: dir });
  admin = adminClient(server);
  caId = server.core.queries.issuers.resolve('default')!.issuerId;
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function scrape(): Promise<{ text: string; families: Map<string, MetricFamily> }> {
  const result = await admin.call('/admin/metrics');
  assert.equal(result.status, 200);
  assert.match(String(result.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return { text: result.body, families: parsePrometheusText(result.body) };
}

/** Event counters follow the log asynchronously: scrape until `check` passes (or fail after 5 s). */
async function eventually(check: (families: Map<string, MetricFamily>) => void): Promise<Map<string, MetricFamily>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { families } = await scrape();
    try {
      check(families);
      return families;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

test('every metric the spec names is exposed with the signet_ prefix and the right type, plus process metrics', async () => {
  const { families } = await scrape();
  const expected: Record<string, string> = {
    signet_enrollments_total: 'counter',
    signet_reenrollments_total: 'counter',
    signet_revocations_total: 'counter',
    signet_otp_generated_total: 'counter',
    signet_otp_consumed_total: 'counter',
    signet_request_duration_seconds: 'histogram',
    signet_active_certificates: 'gauge',
    signet_ca_health: 'gauge',
    signet_ca_not_after_timestamp_seconds: 'gauge',
    signet_signing_queue_depth: 'gauge',
    signet_eventstore_append_seconds: 'histogram',
    signet_projection_lag_events: 'gauge',
    signet_process_cpu_user_seconds_total: 'counter',
    signet_process_resident_memory_bytes: 'gauge',
    signet_nodejs_eventloop_lag_seconds: 'gauge',
  };
  for (const [name, type] of Object.entries(expected)) assert.equal(families.get(name)?.type, type, name);
  for (const name of families.keys()) assert.match(name, /^signet_/);
  assert.equal(sampleSum(families, 'signet_projection_lag_events'), 0);
  assert.equal(sampleSum(families, 'signet_signing_queue_depth'), 0);
  assert.equal(sampleSum(families, 'signet_ca_health', { ca: caId }), 1);
  assert.equal(sampleSum(families, 'signet_active_certificates', { ca: caId }), 1, 'the server TLS certificate');
  assert.equal(sampleSum(families, 'signet_ca_not_after_timestamp_seconds', { ca: caId }), Date.parse(server.core.queries.issuers.resolve('default')!.notAfter) / 1000);
  assert.ok(sampleSum(families, 'signet_eventstore_append_seconds_count') > 0, 'bootstrap appended events');
});

test('counters move with enrollments, re-enrollments, refusals, revocations and OTP use', async () => {
  const { families: start } = await scrape();
  const csr = opensslCsr(dir, 'metrics', '/CN=metrics.example.com');
  const first = await issueCertificate(server, csr.csrDer);
  await issueCertificate(server, csr.csrDer);
  await issueCertificate(server, csr.csrDer, { renews: first.serial, metadata: { action: 'reenroll' } });
  await server.core.store.append(
    ENROLLMENT_REJECTED_STREAM,
    [{ type: 'EnrollmentRejected', data: { action: 'enroll', result: 'forbidden', reason: 'bad password', at: new Date().toISOString() }, metadata: { v: 1 } }],
    { expectedRevision: 'any' },
  );
  assert.equal((await admin.json(`/admin/certs/${first.serial}/revoke`, { method: 'POST', body: { reason: 'keyCompromise' } })).status, 200);
  const otps = [];
  for (const label of ['m-1', 'm-2']) otps.push((await admin.json<{ token_id: string }>('/admin/otp', { method: 'POST', body: { label } })).body.token_id);
  await server.core.commands.handle(otpStream(otps[0]), otpDecider, { type: 'ConsumeOtp', data: { tokenId: otps[0], profile: 'default' }, now: new Date() });

  const delta = (families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}) => sampleSum(families, name, labels) - sampleSum(start, name, labels);
  const now = await eventually((families) => {
    assert.equal(delta(families, 'signet_enrollments_total', { ca: caId, result: 'success' }), 2);
    assert.equal(delta(families, 'signet_enrollments_total', { ca: 'unknown', result: 'forbidden' }), 1);
    assert.equal(delta(families, 'signet_reenrollments_total', { ca: caId, result: 'success' }), 1);
    assert.equal(delta(families, 'signet_revocations_total', { ca: caId, reason: 'keyCompromise' }), 1);
    assert.equal(delta(families, 'signet_otp_generated_total'), 2);
    assert.equal(delta(families, 'signet_otp_consumed_total'), 1);
  });
  assert.equal(delta(now, 'signet_active_certificates', { ca: caId }), 2, 'three issued, one revoked');
  const revokeRoute = { listener: 'admin', route: '/admin/certs/:serial/revoke', method: 'POST', status: '200' };
  assert.equal(sampleSum(now, 'signet_request_duration_seconds_count', revokeRoute), 1);
  assert.equal(sampleSum(now, 'signet_request_duration_seconds_count', { route: '/admin/otp', method: 'POST', status: '201' }), 2);
  assert.ok(delta(now, 'signet_eventstore_append_seconds_count') >= 7);
});

test('refused and unknown requests are timed under bounded labels', async () => {
  await admin.call('/admin/certs', { token: 'wrong' });
  await admin.call('/admin/no/such/endpoint/12345');
  const { families } = await scrape();
  assert.equal(sampleSum(families, 'signet_request_duration_seconds_count', { route: '/admin/certs', status: '401' }), 1);
  assert.ok(sampleSum(families, 'signet_request_duration_seconds_count', { route: 'unmatched', status: '404' }) >= 1);
  const routes = new Set(families.get('signet_request_duration_seconds')!.samples.map((s) => s.labels.route));
  assert.ok(![...routes].some((route) => route.includes('12345')), 'raw paths never become label values');
});

test('OpenBao API and public requests are timed under their listener and route pattern', async () => {
  const bao = baoClient(server);
  assert.equal((await bao.call('LIST', '/v1/pki/keys')).status, 200);
  assert.equal((await bao.call('GET', '/v1/pki/key/no-such-key-67890')).status, 400);
  assert.equal((await bao.call('GET', '/v1/pki/crl')).status, 200);
  assert.equal((await bao.publicCall('GET', '/v1/pki/ca/pem')).status, 200);
  const { families } = await scrape();
  const count = (labels: Record<string, string>) => sampleSum(families, 'signet_request_duration_seconds_count', labels);
  assert.equal(count({ listener: 'api', route: '/v1/pki/keys', method: 'GET', status: '200' }), 1);
  assert.equal(count({ listener: 'api', route: '/v1/pki/key/:key_ref', method: 'GET', status: '400' }), 1);
  assert.equal(count({ listener: 'api', route: '/v1/pki/crl', method: 'GET', status: '200' }), 1);
  assert.equal(count({ listener: 'public', route: '/v1/pki/ca/pem', method: 'GET', status: '200' }), 1);
  const routes = new Set(families.get('signet_request_duration_seconds')!.samples.map((s) => s.labels.route));
  assert.ok(![...routes].some((route) => route.includes('67890')), 'raw paths never become label values');
});

test('promtool check metrics accepts the output', async (t) => {
  if (spawnSync('promtool', ['--version']).error) {
    t.skip('promtool is not installed (Debian package "prometheus"); the strict parser above still ran');
    return;
  }
  const { text } = await scrape();
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
});

test('after a restart the counters start again from zero and the state gauges still describe the read models', async () => {
  const before = (await scrape()).families;
  await server.stop({ keepData: true });
  server = await startTestServer({ dataDir: dir });
  admin = adminClient(server);
  const { families } = await scrape();
  assert.equal(sampleSum(families, 'signet_otp_generated_total'), 0);
  assert.equal(sampleSum(families, 'signet_enrollments_total'), 0);
  assert.equal(sampleSum(families, 'signet_active_certificates', { ca: caId }), sampleSum(before, 'signet_active_certificates', { ca: caId }));
});
