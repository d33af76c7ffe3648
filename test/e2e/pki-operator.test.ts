/**
 * The operator's story, end to end over the OpenBao API: generate a root, an intermediate signed by it
 * (intermediate/generate → root/sign-intermediate → intermediate/set-signed), a role, issue, revoke, rotate to a new
 * default issuer, read everything back; then a token made with `signet token create` works after a restart.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { pythonCertSummary } from '../support/tools.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { baoClient, envelopeData, pythonCsrSubject, pythonKeyMatches, verifyChain, type BaoClient } from '../support/openbao.js';

const SIGNET = new URL('../../bin/signet.js', import.meta.url).pathname;

let server: TestServer;
let bao: BaoClient;

describe('OpenBao API: the operator flow', () => {
  before(async () => {
    server = await startTestServer();
    bao = baoClient(server);
  });
  after(async () => {
    await server?.stop();
  });

  test('root → intermediate → role → issue → revoke → rotate → read back', async () => {
    // 1. A new root, made the default so root/sign-intermediate uses it.
    const root = envelopeData(await bao.call('POST', '/v1/pki/root/generate/internal', { data: { common_name: 'Operator Root', key_type: 'ec', issuer_name: 'op-root', ttl: '87600h', organization: 'Operators' } }));
    assert.equal(root.issuer_name, 'op-root');
    assert.equal(root.certificate, root.issuing_ca);
    assert.equal(root.private_key, undefined, 'internal keys never leave');
    assert.match(verifyChain(root.certificate, [], root.certificate), /OK/);
    const [rootSummary] = pythonCertSummary(root.certificate);
    assert.deepEqual([rootSummary.subject, rootSummary.issuer, rootSummary.ca], ['CN=Operator Root,O=Operators', 'CN=Operator Root,O=Operators', true]);
    envelopeData(await bao.call('POST', '/v1/pki/config/issuers', { data: { default: 'op-root' } }));

    // 2. An intermediate: CSR with an exported key, signed by the root, imported back.
    const generated = envelopeData(await bao.call('POST', '/v1/pki/intermediate/generate/exported', { data: { common_name: 'Operator Intermediate', key_type: 'ec', key_name: 'op-int-key' } }));
    assert.equal(pythonCsrSubject(generated.csr), 'CN=Operator Intermediate');
    assert.equal(generated.private_key_type, 'ec');
    const signed = envelopeData(await bao.call('POST', '/v1/pki/root/sign-intermediate', { data: { csr: generated.csr, common_name: 'Operator Intermediate', ttl: '43800h' } }));
    assert.match(verifyChain(root.certificate, [], signed.certificate), /OK/);
    assert.ok(pythonKeyMatches(generated.private_key, signed.certificate), 'the intermediate certifies the generated key');
    assert.equal(signed.issuing_ca, root.certificate);
    const imported = envelopeData(await bao.call('POST', '/v1/pki/intermediate/set-signed', { data: { certificate: signed.certificate } }));
    assert.equal(imported.imported_issuers.length, 1);
    const intermediateId = imported.imported_issuers[0] as string;
    assert.equal(imported.mapping[intermediateId], generated.key_id);
    envelopeData(await bao.call('POST', `/v1/pki/issuer/${intermediateId}`, { data: { issuer_name: 'op-int', leaf_not_after_behavior: 'truncate' } }));
    const again = envelopeData(await bao.call('POST', '/v1/pki/intermediate/set-signed', { data: { certificate: signed.certificate } }));
    assert.deepEqual(again.existing_issuers, [intermediateId], 'importing twice changes nothing');
    envelopeData(await bao.call('POST', '/v1/pki/config/issuers', { data: { default: 'op-int' } }));

    // 3. A role on the default issuer, an issued certificate, verified up to the new root.
    envelopeData(await bao.call('POST', '/v1/pki/roles/svc', { data: { allowed_domains: 'svc.internal', allow_subdomains: true, key_type: 'ec', max_ttl: '720h' } }));
    const leaf = envelopeData(await bao.call('POST', '/v1/pki/issue/svc', { data: { common_name: 'api.svc.internal', ttl: '240h' } }));
    assert.deepEqual(leaf.ca_chain.map((pem: string) => pem.trim()), [signed.certificate.trim(), root.certificate.trim()]);
    assert.match(verifyChain(root.certificate, [leaf.ca_chain[0]], leaf.certificate, 'sslserver'), /OK/);
    assert.equal(pythonCertSummary(leaf.certificate)[0].issuer, 'CN=Operator Intermediate');
    assert.ok(pythonKeyMatches(leaf.private_key, leaf.certificate));

    // 4. Revoke it.
    const revoked = envelopeData(await bao.call('POST', '/v1/pki/revoke', { data: { serial_number: leaf.serial_number } }));
    assert.equal(revoked.state, 'revoked');

    // 5. Rotate: a new root ("next"), then replace the default with it; issuance follows.
    const next = envelopeData(await bao.call('POST', '/v1/pki/root/rotate/internal', { data: { common_name: 'Operator Root G2', key_type: 'ec' } }));
    assert.equal(next.issuer_name, 'next');
    assert.equal(envelopeData(await bao.call('GET', '/v1/pki/config/issuers')).default, intermediateId, 'rotation alone does not change the default');
    assert.equal(envelopeData(await bao.call('POST', '/v1/pki/root/replace', { data: { default: 'next' } })).default, next.issuer_id);
    const rotated = envelopeData(await bao.call('POST', '/v1/pki/issue/svc', { data: { common_name: 'web.svc.internal' } }));
    assert.equal(rotated.issuing_ca, next.certificate);
    assert.match(verifyChain(next.certificate, [], rotated.certificate), /OK/);
    assert.throws(() => verifyChain(root.certificate, [leaf.ca_chain[0]], rotated.certificate), 'the old root no longer vouches for new certificates');

    // 6. Read everything back.
    const issuers = envelopeData(await bao.call('LIST', '/v1/pki/issuers'));
    const names = Object.values(issuers.key_info as Record<string, { issuer_name: string }>).map((i) => i.issuer_name).sort();
    assert.deepEqual(names, ['issuing', 'next', 'op-int', 'op-root', 'root']);
    assert.equal(issuers.key_info[next.issuer_id].is_default, true);
    const intermediate = envelopeData(await bao.call('GET', '/v1/pki/issuer/op-int'));
    assert.deepEqual([intermediate.issuer_id, intermediate.key_id, intermediate.leaf_not_after_behavior], [intermediateId, generated.key_id, 'truncate']);
    assert.equal(intermediate.usage, 'read-only,issuing-certificates,crl-signing,ocsp-signing');
    assert.equal(intermediate.ca_chain.length, 2);
    assert.equal(intermediate.ca_chain[1], root.certificate.trim());
    const publicJson = envelopeData(await bao.call('GET', '/v1/pki/issuer/op-int/json', { token: null }));
    assert.equal(publicJson.issuer_name, 'op-int');
    assert.equal((await bao.call('GET', '/v1/pki/ca/pem', { token: null })).text, next.certificate.trim());
    const keys = envelopeData(await bao.call('LIST', '/v1/pki/keys'));
    assert.equal(keys.key_info[generated.key_id].key_name, 'op-int-key');
    assert.equal(envelopeData(await bao.call('GET', '/v1/pki/key/op-int-key')).key_type, 'ec');
    const revokedRead = envelopeData(await bao.call('GET', `/v1/pki/cert/${leaf.serial_number}`));
    assert.equal(revokedRead.revocation_time, revoked.revocation_time);
    assert.equal(revokedRead.issuer_id, intermediateId);
    const listed = envelopeData(await bao.call('LIST', '/v1/pki/certs')).keys as string[];
    for (const serial of [root.serial_number, signed.serial_number, leaf.serial_number, next.serial_number, rotated.serial_number]) assert.ok(listed.includes(serial), serial);
    assert.deepEqual(envelopeData(await bao.call('LIST', '/v1/pki/certs/revoked')).keys, [leaf.serial_number]);

    // The story is in the log, as events.
    const actions = server.core.queries.audit.recent(200).map((row) => row.action);
    for (const action of ['issuer_create', 'sign-intermediate', 'issue', 'revoke', 'issuer_set_default', 'role_write']) assert.ok(actions.includes(action), action);
  });

  test('`signet token create` makes a token the API accepts after a restart, within its policy', async () => {
    envelopeData(await bao.call('POST', '/v1/pki/roles/cli', { data: { allowed_domains: 'cli.internal', allow_subdomains: true, key_type: 'ec' } }));
    assert.equal((await bao.call('PUT', '/v1/sys/policies/acl/issue-cli', { data: { policy: JSON.stringify({ path: { 'pki/issue/cli': { capabilities: ['update'] } } }) } })).status, 204);
    const dataDir = server.dataDir;
    await server.stop({ keepData: true });
    const env = { ...process.env, SIGNET_DATA_DIR: dataDir, SIGNET_LOG_LEVEL: 'silent' };
    const result = spawnSync(process.execPath, [SIGNET, 'token', 'create', '--policy', 'issue-cli', '--ttl', '1h', '--json'], { env, encoding: 'utf8', cwd: dataDir });
    assert.equal(result.status, 0, result.stderr);
    const created = JSON.parse(result.stdout.trim()) as { token: string; policies: string[]; expire_time: string };
    assert.deepEqual(created.policies, ['default', 'issue-cli']);

    server = await startTestServer({ dataDir });
    bao = baoClient(server);
    const issued = await bao.call('POST', '/v1/pki/issue/cli', { data: { common_name: 'a.cli.internal' }, token: created.token });
    assert.equal(issued.status, 200, issued.text);
    assert.equal((await bao.call('POST', '/v1/pki/issue/svc', { data: { common_name: 'a.svc.internal' }, token: created.token })).status, 403);
  });
});
