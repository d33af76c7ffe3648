import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ROLE_DEFAULTS } from '../../src/domain/role.js';
import { EMPTY_URLS } from '../../src/domain/pki-config.js';
import { TIDY_DEFAULTS } from '../../src/domain/tidy.js';
import type { SignetEvent } from '../../src/domain/events.js';
import type { RecordedEvent } from '../../src/eventstore/port.js';
import { projections } from '../../projections/index.js';
import { CertificateQueries } from '../../projections/certificates.js';
import { PkiCertListingQueries } from '../../projections/pki-cert-listing.js';
import { PkiConfigQueries } from '../../projections/pki-config.js';
import { PolicyQueries } from '../../projections/policies.js';
import { openReadModelDb } from '../../projections/readmodel-db.js';
import { RoleQueries } from '../../projections/roles.js';
import { ProjectionRunner } from '../../projections/runner.js';

const at = '2026-11-23T10:00:00.000Z';

function recorded(events: (SignetEvent & { streamId: string })[]): RecordedEvent[] {
  return events.map(({ streamId, ...event }, i) => ({ ...event, id: `e${i}`, streamId, revision: 0, position: i + 1, created: Date.parse(at), metadata: { v: 1 } }));
}

const issued = (serial: string, notAfter: string, noStore = false): SignetEvent & { streamId: string } => ({
  streamId: `cert-${serial}`,
  type: 'CertificateIssued',
  data: { serial, issuerId: 'i1', subject: 'CN=x', sans: [], notBefore: at, notAfter, der: 'AA==', keyType: 'EC P-256', issuedAt: at, ...(noStore ? { noStore: true } : {}) },
});

describe('PKI read models (every projection, one SQLite database)', () => {
  test('roles, policies, settings, tidy runs, listings and tidied certificates', () => {
    const db = openReadModelDb(':memory:');
    const runner = new ProjectionRunner(db, projections);
    runner.applyBatch(
      recorded([
        { streamId: 'role-web', type: 'RoleWritten', data: { name: 'web', role: { ...ROLE_DEFAULTS, allowAnyName: true }, at } },
        { streamId: 'role-old', type: 'RoleWritten', data: { name: 'old', role: ROLE_DEFAULTS, at } },
        { streamId: 'role-old', type: 'RoleDeleted', data: { name: 'old', at } },
        { streamId: 'policy-web', type: 'PolicyWritten', data: { name: 'web', text: 't', rules: [{ path: 'pki/*', capabilities: ['read'] }], at } },
        { streamId: 'config-urls', type: 'UrlsConfigured', data: { ...EMPTY_URLS, ocspServers: ['http://o'], at } },
        { streamId: 'config-keys', type: 'DefaultKeySet', data: { keyId: 'k1', at } },
        issued('aa', '2020-01-01T00:00:00.000Z'),
        issued('bb', '2099-01-01T00:00:00.000Z'),
        issued('cc', '2099-01-01T00:00:00.000Z', true),
        { streamId: 'tidy-t1', type: 'TidyStarted', data: { tidyId: 't1', options: TIDY_DEFAULTS, auto: true, at } },
        { streamId: 'tidy-t1', type: 'CertificatesTidied', data: { tidyId: 't1', kind: 'cert_store', serials: ['aa'], at } },
        { streamId: 'tidy-t1', type: 'TidyFinished', data: { tidyId: 't1', state: 'Finished', at } },
      ]),
    );
    assert.equal(runner.error, undefined);
    assert.deepEqual(new RoleQueries(db).names(), ['web']);
    assert.equal(new RoleQueries(db).get('web')?.allowAnyName, true);
    assert.deepEqual(new PolicyQueries(db).get('web')?.rules, [{ path: 'pki/*', capabilities: ['read'] }]);
    const config = new PkiConfigQueries(db);
    assert.deepEqual(config.urls().ocspServers, ['http://o']);
    assert.equal(config.defaultKeyId(), 'k1');
    assert.equal(config.latestTidy()?.state, 'Finished');
    assert.equal(config.latestTidy()?.certStoreDeleted, 1);
    assert.equal(config.lastAutoTidyFinished(), at);
    const listing = new PkiCertListingQueries(db);
    assert.deepEqual(listing.serials(), ['bb'], 'tidied and no_store certificates are not listed');
    assert.deepEqual(listing.expiredBefore(at), []);
    assert.equal(new CertificateQueries(db).get('aa'), undefined);
    assert.ok(new CertificateQueries(db).get('cc'), 'no_store certificates stay readable by serial');
    db.close();
  });
});
