/**
 * Keys and issuers management over the OpenBao API: key generation and import, issuers imported from a PEM bundle,
 * issuer updates and revocation, existing-key roots, cross-signing, sign-self-issued, and DELETE root (sudo).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openssl, pythonCertSummary } from '../support/tools.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { baoClient, envelopeData, pythonCsrSubject, pythonKeyMatches, verifyChain, type BaoClient } from '../support/openbao.js';

let server: TestServer;
let bao: BaoClient;

/** A self-signed CA made by openssl: certificate and key PEM. */
function externalCa(cn: string): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'signet-ca-'));
  try {
    const [keyFile, certFile] = [join(dir, 'k.pem'), join(dir, 'c.pem')];
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${cn}`, '-days', '365',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('OpenBao API: keys and issuers', () => {
  before(async () => {
    server = await startTestServer();
    bao = baoClient(server);
  });
  after(async () => {
    await server?.stop();
  });

  test('keys: generate (internal, exported), import, read, rename, default, delete; kms is refused', async () => {
    const internal = envelopeData(await bao.call('POST', '/v1/pki/keys/generate/internal', { data: { key_type: 'ec', key_bits: 384, key_name: 'k-internal' } }));
    assert.deepEqual([internal.key_name, internal.key_type, internal.private_key], ['k-internal', 'ec', undefined]);
    const exported = envelopeData(await bao.call('POST', '/v1/pki/keys/generate/exported', { data: { key_type: 'rsa', key_name: 'k-exported' } }));
    assert.match(exported.private_key, /^-----BEGIN RSA PRIVATE KEY-----/);
    const kms = await bao.call('POST', '/v1/pki/keys/generate/kms', { data: { key_type: 'ec' } });
    assert.equal(kms.status, 400);
    assert.match(kms.json.errors[0], /"kms" type needs a managed key/);

    const { key } = externalCa('Imported Key Holder');
    const imported = envelopeData(await bao.call('POST', '/v1/pki/keys/import', { data: { pem_bundle: key, key_name: 'k-imported' } }));
    assert.equal(imported.key_type, 'ec');
    const twice = await bao.call('POST', '/v1/pki/keys/import', { data: { pem_bundle: key, key_name: 'other-name' } });
    assert.equal(envelopeData(twice).key_id, imported.key_id, 'the same key is not imported twice');
    assert.equal((await bao.call('POST', '/v1/pki/keys/import', { data: { pem_bundle: key.replace('k-', ''), key_name: 'k-imported' } })).status, 200);

    const read = envelopeData(await bao.call('GET', '/v1/pki/key/k-internal'));
    assert.equal(read.key_id, internal.key_id);
    assert.match(read.subject_key_id, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    assert.equal(envelopeData(await bao.call('POST', '/v1/pki/key/k-internal', { data: { key_name: 'k-renamed' } })).key_name, 'k-renamed');
    assert.equal((await bao.call('POST', '/v1/pki/key/k-exported', { data: { key_name: 'k-renamed' } })).status, 400, 'names are unique');
    assert.equal((await bao.call('GET', '/v1/pki/key/nope')).status, 400);

    assert.equal(envelopeData(await bao.call('POST', '/v1/pki/config/keys', { data: { default: 'k-renamed' } })).default, internal.key_id);
    assert.equal(envelopeData(await bao.call('GET', '/v1/pki/config/keys')).default, internal.key_id);
    assert.equal((await bao.call('DELETE', '/v1/pki/key/k-exported')).status, 204);
    assert.ok(!envelopeData(await bao.call('LIST', '/v1/pki/keys')).keys.includes(exported.key_id));

    // A root on an existing key (the default one); the key then cannot be deleted.
    const root = envelopeData(await bao.call('POST', '/v1/pki/root/generate/existing', { data: { common_name: 'Existing Key Root', issuer_name: 'existing-root' } }));
    assert.equal(root.key_id, internal.key_id);
    assert.equal((await bao.call('POST', '/v1/pki/root/generate/existing', { data: { common_name: 'x', key_type: 'ec' } })).status, 400);
    const inUse = await bao.call('DELETE', '/v1/pki/key/k-renamed');
    assert.equal(inUse.status, 400);
    assert.match(inUse.json.errors[0], /in use by issuers/);
  });

  test('issuers/import/bundle, config/ca and issuers/import/cert import CA material; duplicates are reported', async () => {
    const external = externalCa('External Root');
    const bundle = envelopeData(await bao.call('POST', '/v1/pki/issuers/import/bundle', { data: { pem_bundle: `${external.key}${external.cert}` } }));
    assert.equal(bundle.imported_issuers.length, 1);
    assert.equal(bundle.imported_keys.length, 1);
    assert.equal(bundle.mapping[bundle.imported_issuers[0]], bundle.imported_keys[0]);
    const again = envelopeData(await bao.call('POST', '/v1/pki/config/ca', { data: { pem_bundle: `${external.cert}${external.key}` } }));
    assert.deepEqual([again.imported_issuers, again.existing_issuers, again.existing_keys], [[], bundle.imported_issuers, bundle.imported_keys]);

    // The imported CA can issue: its key came along.
    const id = bundle.imported_issuers[0];
    envelopeData(await bao.call('POST', '/v1/pki/roles/ext', { data: { allow_any_name: true, key_type: 'ec', issuer_ref: id } }));
    const leaf = envelopeData(await bao.call('POST', '/v1/pki/issue/ext', { data: { common_name: 'leaf.external.test', ttl: '24h' } }));
    const tooLong = await bao.call('POST', '/v1/pki/issue/ext', { data: { common_name: 'leaf.external.test' } });
    assert.match(tooLong.json.errors[0], /beyond the expiration of the CA certificate/, "leaf_not_after_behavior 'err' on imports");
    assert.match(verifyChain(external.cert, [], leaf.certificate), /OK/);

    const certOnly = externalCa('Certificate Only');
    assert.equal((await bao.call('POST', '/v1/pki/issuers/import/cert', { data: { pem_bundle: `${certOnly.key}${certOnly.cert}` } })).status, 400, 'no keys on import/cert');
    const keyless = envelopeData(await bao.call('POST', '/v1/pki/issuers/import/cert', { data: { pem_bundle: certOnly.cert } }));
    assert.equal(keyless.mapping[keyless.imported_issuers[0]], '');
    const leafCa = await bao.call('POST', '/v1/pki/issuers/import/bundle', { data: { pem_bundle: leaf.certificate } });
    assert.equal(leafCa.status, 400, 'only CA certificates are issuers');
  });

  test('issuer update, patch, usage limits, revoke and delete', async () => {
    const root = envelopeData(await bao.call('POST', '/v1/pki/root/generate/internal', { data: { common_name: 'Managed Root', key_type: 'ec', issuer_name: 'managed' } }));
    envelopeData(await bao.call('POST', '/v1/pki/roles/managed', { data: { allow_any_name: true, key_type: 'ec', issuer_ref: root.issuer_id } }));
    const updated = envelopeData(await bao.call('POST', '/v1/pki/issuer/managed', { data: { issuer_name: 'managed-x1', usage: 'read-only,crl-signing', issuing_certificates: 'http://pki.example.com/managed.der' } }));
    assert.deepEqual([updated.issuer_name, updated.usage, updated.issuing_certificates], ['managed-x1', 'read-only,crl-signing', ['http://pki.example.com/managed.der']]);
    assert.equal((await bao.call('POST', '/v1/pki/issuer/managed-x1/issue/managed', { data: { common_name: 'x.test' } })).status, 400, 'no issuing-certificates usage');
    const patched = envelopeData(await bao.call('PATCH', '/v1/pki/issuer/managed-x1', { data: { usage: 'read-only,issuing-certificates,crl-signing' }, headers: { 'Content-Type': 'application/merge-patch+json' } }));
    assert.deepEqual(patched.issuing_certificates, ['http://pki.example.com/managed.der'], 'a patch keeps the URLs');
    const leaf = envelopeData(await bao.call('POST', '/v1/pki/issuer/managed-x1/issue/managed', { data: { common_name: 'x.test' } }));
    assert.match(openssl(['x509', '-noout', '-text'], Buffer.from(leaf.certificate)), /CA Issuers - URI:http:\/\/pki\.example\.com\/managed\.der/, "the issuer's own AIA wins");
    assert.equal((await bao.call('POST', '/v1/pki/issuer/managed-x1', { data: { leaf_not_after_behavior: 'sometimes' } })).status, 400);

    const revoked = envelopeData(await bao.call('POST', '/v1/pki/issuer/managed-x1/revoke'));
    assert.equal(revoked.revoked, true);
    assert.ok(!revoked.usage.includes('issuing-certificates'));
    assert.equal((await bao.call('POST', '/v1/pki/issuer/managed-x1', { data: { usage: 'issuing-certificates' } })).status, 400);
    const deleted = await bao.call('DELETE', `/v1/pki/issuer/${root.issuer_id}`);
    assert.equal(deleted.status, 200);
    assert.match(deleted.json.warnings.join(' '), /roles reference/);
    assert.equal((await bao.call('GET', `/v1/pki/issuer/${root.issuer_id}`)).status, 400);
  });

  test('cross-sign CSR for an existing key, sign-intermediate with CSR values, sign-self-issued', async () => {
    const base = envelopeData(await bao.call('POST', '/v1/pki/root/generate/internal', { data: { common_name: 'Cross Root', key_type: 'ec', issuer_name: 'cross-root', key_name: 'cross-key' } }));
    const cross = envelopeData(await bao.call('POST', '/v1/pki/intermediate/cross-sign', { data: { common_name: 'Cross Root', key_ref: 'cross-key' } }));
    assert.equal(cross.key_id, base.key_id);
    assert.equal(pythonCsrSubject(cross.csr), 'CN=Cross Root');
    const fromIssuing = await bao.call('POST', '/v1/pki/issuer/default/sign-intermediate', { data: { csr: cross.csr, use_csr_values: true } });
    assert.deepEqual(fromIssuing.json, { errors: ['signing certificate has a max path length of zero, and cannot issue further CA certificates'] });
    // Cross-signed by the bootstrap root: same subject and key as "Cross Root", another parent.
    const signed = envelopeData(await bao.call('POST', '/v1/pki/issuer/root/sign-intermediate', { data: { csr: cross.csr, use_csr_values: true, max_path_length: 0 } }));
    const [summary] = pythonCertSummary(signed.certificate);
    assert.deepEqual([summary.subject, summary.ca], ['CN=Cross Root', true]);
    assert.match(openssl(['x509', '-noout', '-text'], Buffer.from(signed.certificate)), /CA:TRUE, pathlen:0/);
    assert.match(verifyChain(bao.rootPem, signed.ca_chain, signed.certificate), /OK/);

    const external = externalCa('Self Issued');
    const resigned = envelopeData(await bao.call('POST', '/v1/pki/root/sign-self-issued', { data: { certificate: external.cert } }));
    const [resignedSummary] = pythonCertSummary(resigned.certificate);
    assert.deepEqual([resignedSummary.subject, resignedSummary.issuer], ['CN=Self Issued', pythonCertSummary(resigned.issuing_ca)[0].subject]);
    assert.ok(pythonKeyMatches(external.key, resigned.certificate), 'same key, now vouched for by the issuer');
    const notSelf = await bao.call('POST', '/v1/pki/root/sign-self-issued', { data: { certificate: signed.certificate } });
    assert.deepEqual(notSelf.json, { errors: ['given certificate is not self-issued'] });
  });

  test('DELETE root needs sudo, then removes every issuer and key (the events stay)', async () => {
    assert.equal((await bao.call('PUT', '/v1/sys/policies/acl/root-admin', { data: { policy: 'path "pki/root" { capabilities = ["delete"] }' } })).status, 204);
    const token = (await bao.call('POST', '/v1/auth/token/create', { data: { policies: 'root-admin' } })).json.auth.client_token as string;
    assert.equal((await bao.call('DELETE', '/v1/pki/root', { token })).status, 403, 'delete without sudo');
    const deleted = await bao.call('DELETE', '/v1/pki/root');
    assert.equal(deleted.status, 200);
    assert.match(deleted.json.warnings[0], /deletes all keys and issuers/);
    assert.deepEqual(envelopeData(await bao.call('LIST', '/v1/pki/issuers')).keys, []);
    assert.deepEqual(envelopeData(await bao.call('LIST', '/v1/pki/keys')).keys, []);
    assert.equal((await bao.call('GET', '/v1/pki/ca')).status, 204);
    const created = (await server.core.store.readStream('config-issuers')).length;
    assert.ok(created > 0);
  });
});
