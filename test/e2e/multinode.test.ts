/**
 * Two Signet processes sharing one event log (a SQLite file, or the KurrentDB server in SIGNET_TEST_KURRENTDB) behave as
 * one CA: one bootstrap, unique serials, an OTP consumed exactly max_uses times across nodes, a revoke on one node
 * visible in the other's OCSP and CRL, and identical read models once quiet.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { projections } from '../../projections/index.js';
import { dumpReadModels } from '../../projections/readmodel-db.js';
import { parseCertificate } from '../../src/crypto/certificate.js';
import { httpsCall } from '../support/admin.js';
import { csrPool, httpsClient, otpAuthorization, pkcs7BodyToDers } from '../support/est.js';
import { startNode, stopAllNodes, type NodeProcess } from '../support/node-process.js';
import { tempDir } from '../support/server.js';
import { openssl } from '../support/tools.js';

const localhost = (url: string) => url.replace('127.0.0.1', 'localhost');
const until = async (check: () => Promise<boolean>, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('two nodes, one event log', { timeout: 240_000 }, () => {
  const dir = tempDir('signet-multinode-');
  const rootToken = `sgn_${randomBytes(24).toString('base64url')}`;
  // With SIGNET_TEST_KURRENTDB set, the same properties are checked against that KurrentDB/EventStoreDB server
  // (use a fresh server: the nodes bootstrap a CA in it).
  const shared = { SIGNET_EVENTSTORE: process.env.SIGNET_TEST_KURRENTDB ?? join(dir, 'events.db'), SIGNET_KEK: randomBytes(32).toString('base64'), SIGNET_ROOT_TOKEN: rootToken };
  let nodes: NodeProcess[] = [];
  let ca = '';

  before(async () => {
    for (const name of ['a', 'b']) mkdirSync(join(dir, name));
    // Started together: the bootstrap claim decides which node creates the CA.
    nodes = await Promise.all(['a', 'b'].map((name) => startNode({ ...shared, SIGNET_DATA_DIR: join(dir, name) })));
    ca = readFileSync(join(dir, 'a', 'ca/root.pem'), 'utf8');
  });

  after(async () => {
    await stopAllNodes();
    rmSync(dir, { recursive: true, force: true });
  });

  test('one CA for both: the same root, two issuers, not four', async () => {
    assert.equal(nodes[0].root, nodes[1].root);
    assert.equal(readFileSync(join(dir, 'b', 'ca/root.pem'), 'utf8'), ca);
    for (const node of nodes) {
      const cas = await httpsCall(`${localhost(node.urls.admin)}/admin/ca`, ca, { token: rootToken });
      assert.equal(cas.status, 200, cas.body);
      assert.equal((JSON.parse(cas.body) as unknown[]).length, 2);
    }
  });

  test('an OTP with max_uses 60 is consumed exactly 60 times by a burst split over both nodes; serials never collide', async () => {
    const created = await httpsCall(`${localhost(nodes[0].urls.admin)}/admin/otp`, ca, { method: 'POST', token: rootToken, body: { label: 'line-9', ttl: '1h', max_uses: 60 } });
    assert.equal(created.status, 201, created.body);
    const { token } = JSON.parse(created.body) as { token: string };
    const csrs = csrPool(100, 'fleet');
    const clients = nodes.map(() => httpsClient(ca, 16));
    try {
      const answers = await Promise.all(
        csrs.map((csr, i) =>
          clients[i % 2].post(`${localhost(nodes[i % 2].urls.est)}/.well-known/est/simpleenroll`, Buffer.from(csr).toString('base64'), {
            'content-type': 'application/pkcs10',
            'content-transfer-encoding': 'base64',
            authorization: otpAuthorization(token),
          }),
        ),
      );
      const ok = answers.filter((a) => a.status === 200);
      assert.equal(ok.length, 60, `statuses: ${JSON.stringify(answers.map((a) => a.status))}`);
      assert.ok(answers.filter((a) => a.status !== 200).every((a) => a.status === 403));
      const serials = ok.map((a) => parseCertificate(pkcs7BodyToDers(a.body)[0]).serialHex);
      assert.equal(new Set(serials).size, 60);
      assert.ok(ok.some((_, i) => answers.indexOf(ok[i]) % 2 === 0) && ok.some((_, i) => answers.indexOf(ok[i]) % 2 === 1), 'both nodes issued');
    } finally {
      clients.forEach((client) => client.close());
    }
  });

  test('a revoke on node A shows in node B\'s OCSP and CRL within a few seconds', async () => {
    const certs = await httpsCall(`${localhost(nodes[0].urls.admin)}/admin/certs?status=active&per_page=5`, ca, { token: rootToken });
    const serial = (JSON.parse(certs.body) as { certs: { serial: string; subject: string }[] }).certs.find((c) => c.subject.includes('fleet'))!.serial;
    const revoked = await httpsCall(`${localhost(nodes[0].urls.admin)}/admin/certs/${serial}/revoke`, ca, { method: 'POST', token: rootToken, body: { reason: 'keyCompromise' } });
    assert.equal(revoked.status, 200, revoked.body);

    const leaf = await httpsCall(`${localhost(nodes[1].urls.admin)}/admin/certs/${serial}`, ca, { token: rootToken });
    const leafPem = (JSON.parse(leaf.body) as { pem: string }).pem;
    const work = tempDir('signet-ocsp-');
    try {
      const leafFile = join(work, 'leaf.pem');
      const issuerFile = join(work, 'issuer.pem');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(leafFile, leafPem);
      writeFileSync(issuerFile, readFileSync(join(dir, 'b', 'ca/chain.pem'), 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/)[0]);
      await until(
        async () => /revoked/i.test(openssl(['ocsp', '-issuer', issuerFile, '-cert', leafFile, '-url', `${nodes[1].urls.public}/v1/pki/ocsp`, '-noverify'])),
        10_000,
        'node B to answer revoked over OCSP',
      );
      await until(
        async () => {
          const crl = await fetch(`${nodes[1].urls.public}/v1/pki/crl`);
          const text = openssl(['crl', '-inform', 'DER', '-noout', '-text'], Buffer.from(await crl.arrayBuffer()));
          const delta = await fetch(`${nodes[1].urls.public}/v1/pki/crl/delta`);
          const deltaText = delta.ok ? openssl(['crl', '-inform', 'DER', '-noout', '-text'], Buffer.from(await delta.arrayBuffer())) : '';
          return (text + deltaText).toUpperCase().includes(serial.replace(/:/g, '').toUpperCase());
        },
        15_000,
        'node B\'s CRL (full or delta) to list the serial',
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('once quiet, both nodes\' read models are identical', async () => {
    const tables = projections.flatMap((p) => Object.keys(p.tables));
    const dump = (name: string) => {
      const db = new Database(join(dir, name, 'readmodels.db'), { readonly: true });
      try {
        return dumpReadModels(db, tables);
      } finally {
        db.close();
      }
    };
    await until(async () => dump('a') === dump('b'), 15_000, 'the read models to converge');
    assert.equal(dump('a'), dump('b'));
  });
});
