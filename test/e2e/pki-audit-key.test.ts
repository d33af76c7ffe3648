/**
 * The audit log's signing key lives in the keys read model, but the OpenBao API neither shows it nor lets an
 * operator use, rename, make default or delete it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AUDIT_KEY_ID, AUDIT_KEY_NAME, ensureAuditKey } from '../../src/audit/audit-key.js';
import { baoClient, envelopeData, type BaoClient, type BaoResponse } from '../support/openbao.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let bao: BaoClient;

function errorsOf(response: BaoResponse): string {
  return (response.json as { errors: string[] }).errors.join('; ');
}

describe('OpenBao keys API and the audit key', () => {
  before(async () => {
    server = await startTestServer();
    bao = baoClient(server);
    await ensureAuditKey(server.core);
  });
  after(async () => {
    await server?.stop();
  });

  test('LIST keys and GET key/<ref> do not show it', async () => {
    const keys = envelopeData(await bao.call('LIST', '/v1/pki/keys'));
    assert.ok((keys.keys as string[]).length >= 1, 'the CA key is listed');
    assert.ok(!(keys.keys as string[]).includes(AUDIT_KEY_ID));
    assert.ok(!Object.values(keys.key_info as Record<string, { key_name: string }>).some((k) => k.key_name === AUDIT_KEY_NAME));
    for (const ref of [AUDIT_KEY_ID, AUDIT_KEY_NAME]) {
      const read = await bao.call('GET', `/v1/pki/key/${ref}`);
      assert.equal(read.status, 400);
      assert.match(errorsOf(read), /unable to find PKI key/);
    }
  });

  test('using, renaming, defaulting or deleting it is refused with a 400 that says why, and the key stays', async () => {
    const attempts = [
      bao.call('DELETE', `/v1/pki/key/${AUDIT_KEY_ID}`),
      bao.call('DELETE', `/v1/pki/key/${AUDIT_KEY_NAME}`),
      bao.call('POST', `/v1/pki/key/${AUDIT_KEY_ID}`, { data: { key_name: 'mine-now' } }),
      bao.call('POST', '/v1/pki/config/keys', { data: { default: AUDIT_KEY_ID } }),
      bao.call('POST', '/v1/pki/root/generate/existing', { data: { common_name: 'Stolen Root', key_ref: AUDIT_KEY_NAME } }),
    ];
    for (const response of await Promise.all(attempts)) {
      assert.equal(response.status, 400, response.text);
      assert.match(errorsOf(response), /audit log signing key/);
    }
    const row = server.core.queries.issuers.key(AUDIT_KEY_ID);
    assert.equal(row?.name, AUDIT_KEY_NAME);
  });

  test('DELETE root removes the mount keys but not the audit key', async () => {
    const deleted = await bao.call('DELETE', '/v1/pki/root');
    assert.ok(deleted.status === 204 || deleted.status === 200, deleted.text);
    assert.deepEqual(server.core.queries.issuers.keys().map((k) => k.keyId), [AUDIT_KEY_ID]);
  });
});
