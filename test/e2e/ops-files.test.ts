/**
 * The deployment files parse, say what they must (replicas, probes, non-root), and every metric the alert rules and
 * the Grafana dashboard use is one Signet actually exposes at /admin/metrics.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { httpsCall } from '../support/admin.js';
import { startTestServer, type TestServer } from '../support/server.js';

const OPS = new URL('../../ops/', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(OPS, path), 'utf8');
const promtool = spawnSync('promtool', ['--version']).status === 0;

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec?: Record<string, any> };

function manifests(): Manifest[] {
  return readdirSync(join(OPS, 'k8s'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(read(`k8s/${f}`)).map((doc) => {
        assert.deepEqual(doc.errors, [], `k8s/${f} parses`);
        return doc.toJS() as Manifest;
      }),
    );
}

/** Metric names an expression refers to, without histogram suffixes. */
function metricNames(expression: string): string[] {
  return [...expression.matchAll(/\bsignet_[a-z_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, ''));
}

describe('ops files', () => {
  test('every way of starting the server passes the same heap flags (README, "Memory")', () => {
    const flags = '--max-semi-space-size=4 --max-old-space-size=512';
    const root = new URL('../../', import.meta.url).pathname;
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.start, `node ${flags} bin/signet.js serve`);
    assert.equal(readFileSync(join(root, 'bin/signet.js'), 'utf8').split('\n')[0], `#!/usr/bin/env -S node ${flags}`);
    assert.match(read('systemd/signet.service'), new RegExp(`^ExecStart=/usr/bin/node ${flags} /opt/signet/bin/signet.js serve$`, 'm'));
    const entrypoint = read('docker/Dockerfile').split('\n').find((line) => line.startsWith('ENTRYPOINT '));
    assert.deepEqual(JSON.parse(entrypoint!.slice('ENTRYPOINT '.length)), ['node', ...flags.split(' '), 'bin/signet.js']);
  });

  test('k8s: a Deployment of 2+ non-root replicas with readiness and liveness probes, a single-replica StatefulSet, and the rest', () => {
    const all = manifests();
    const kinds = all.map((m) => m.kind).sort();
    for (const kind of ['Deployment', 'StatefulSet', 'Service', 'Secret', 'PodDisruptionBudget', 'NetworkPolicy', 'ConfigMap']) assert.ok(kinds.includes(kind), `has a ${kind}`);
    const deployment = all.find((m) => m.kind === 'Deployment')!;
    assert.ok(deployment.spec!.replicas >= 2);
    const container = deployment.spec!.template.spec.containers[0];
    assert.equal(container.readinessProbe.httpGet.path, '/admin/health/ready');
    assert.equal(container.livenessProbe.httpGet.path, '/admin/health/live');
    assert.equal(deployment.spec!.template.spec.securityContext.runAsNonRoot, true);
    assert.equal(all.find((m) => m.kind === 'StatefulSet')!.spec!.replicas, 1);
  });

  test('compose: three KurrentDB nodes, two Signet nodes on kurrentdb://, Prometheus and Grafana', () => {
    const compose = parseYaml(read('compose/docker-compose.yml'), { merge: true }) as { services: Record<string, { environment?: Record<string, string> }> };
    const services = Object.keys(compose.services);
    for (const name of ['kurrentdb1', 'kurrentdb2', 'kurrentdb3', 'signet1', 'signet2', 'prometheus', 'grafana']) assert.ok(services.includes(name), name);
    assert.match(compose.services.signet1.environment!.SIGNET_EVENTSTORE, /^kurrentdb:\/\//);
  });

  test('the Dockerfile runs as a non-root user with a data volume and a liveness health check', () => {
    const dockerfile = read('docker/Dockerfile');
    assert.match(dockerfile, /^USER signet$/m);
    assert.match(dockerfile, /^VOLUME \["\/var\/lib\/signet"\]$/m);
    assert.match(dockerfile, /HEALTHCHECK[\s\S]*\/admin\/health\/live/);
    assert.match(dockerfile, /npm ci --omit=dev/);
  });

  test('the systemd unit is hardened', () => {
    const unit = read('systemd/signet.service');
    for (const line of ['User=signet', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/signet']) assert.ok(unit.includes(line), line);
  });

  test('promtool accepts the alert rules', { skip: promtool ? false : 'promtool not installed (Debian package prometheus)' }, () => {
    const result = spawnSync('promtool', ['check', 'rules', join(OPS, 'prometheus/rules.yml')], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  describe('against a running Signet', () => {
    let server: TestServer;
    let exposed: Set<string>;
    before(async () => {
      server = await startTestServer();
      const rootPem = readFileSync(join(server.dataDir, 'ca/root.pem'), 'utf8');
      await fetch(`${server.listeners.public.url}/v1/pki/crl`); // a CRL exists before its nextUpdate gauge does
      const metrics = await httpsCall(`${server.listeners.admin!.url.replace('127.0.0.1', 'localhost')}/admin/metrics`, rootPem, { token: server.boot.rootToken });
      assert.equal(metrics.status, 200);
      exposed = new Set([...metrics.body.matchAll(/^# TYPE (\S+)/gm)].map(([, name]) => name));
    });
    after(() => server.stop());

    test('every metric in the alert rules exists', () => {
      const rules = parseYaml(read('prometheus/rules.yml')) as { groups: { rules: { alert: string; expr: string }[] }[] };
      const used = rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr)));
      assert.ok(used.length >= 7);
      assert.deepEqual([...new Set(used)].filter((name) => !exposed.has(name)), []);
    });

    test('every metric on the Grafana dashboard exists', () => {
      const dashboard = JSON.parse(read('grafana/signet.json')) as { panels: { targets: { expr: string }[] }[] };
      const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr)));
      assert.ok(used.length >= 10);
      assert.deepEqual([...new Set(used)].filter((name) => !exposed.has(name)), []);
    });
  });
});
