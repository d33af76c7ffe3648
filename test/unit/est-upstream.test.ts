/** The upstream EST configuration decider (given/when/then) and the IDIAL body → settings conversion. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { estUpstreamDecider, EstUpstreamInUseError, type EstUpstreamEvent, type EstUpstreamSettings } from '../../src/domain/est-upstream.js';
import { passwordKeyId, settingsForCreate, settingsForUpdate } from '../../src/app/idial/upstream-input.js';
import { unwrapPrivateKey } from '../../src/crypto/keywrap.js';
import { parseRenewal } from '../../src/app/idial/renewal-input.js';
import { DomainError } from '../../src/domain/errors.js';
import { openssl } from '../support/tools.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(estUpstreamDecider);
const now = new Date('2026-03-06T10:30:45.000Z');
const at = now.toISOString();
const settings: EstUpstreamSettings = {
  server: 'est.example.com',
  port: 8443,
  enrollEndpoint: '/.well-known/est/profile1/simpleenroll',
  renewEndpoint: '/.well-known/est/profile1/simplereenroll',
  enrollAuth: 'none',
  renewAuth: 'certificate',
  tlschain: '',
  validateServer: true,
  description: 'Production EST',
};
const created: EstUpstreamEvent = { type: 'EstUpstreamCreated', data: { id: 1, settings, at } };

describe('est-upstream decider', () => {
  it('creates a configuration once', () => {
    given([]).when({ type: 'CreateEstUpstream', data: { id: 1, settings }, now }).then([created]);
    given([created]).when({ type: 'CreateEstUpstream', data: { id: 1, settings }, now }).thenThrows('upstream_exists', 'conflict');
  });

  it('refuses invalid settings', () => {
    const cases: [Partial<EstUpstreamSettings>, string][] = [
      [{ server: 'bad host/' }, 'invalid_server'],
      [{ port: 0 }, 'invalid_port'],
      [{ enrollEndpoint: 'simpleenroll' }, 'invalid_endpoint'],
      [{ enrollAuth: 'basic' }, 'basic_auth_without_credentials'],
      [{ enrollAuth: 'certificate' }, 'invalid_auth'],
      [{ renewAuth: 'magic' as never }, 'invalid_auth'],
    ];
    for (const [change, code] of cases) given([]).when({ type: 'CreateEstUpstream', data: { id: 1, settings: { ...settings, ...change } }, now }).thenThrows(code, 'invalid');
  });

  it('records a validation outcome only for the settings that were checked', () => {
    given([created]).when({ type: 'RecordEstUpstreamValidation', data: { id: 1, settings, outcome: { ok: true, cacert: 'MII' } }, now }).then([{ type: 'EstUpstreamValidated', data: { id: 1, cacert: 'MII', at } }]);
    given([created]).when({ type: 'RecordEstUpstreamValidation', data: { id: 1, settings, outcome: { ok: false, reason: 'refused' } }, now }).then([{ type: 'EstUpstreamValidationFailed', data: { id: 1, reason: 'refused', at } }]);
    given([created, { type: 'EstUpstreamUpdated', data: { id: 1, settings: { ...settings, port: 9443 }, at } }])
      .when({ type: 'RecordEstUpstreamValidation', data: { id: 1, settings, outcome: { ok: true, cacert: 'MII' } }, now })
      .thenThrows('upstream_changed', 'conflict');
  });

  it('compares the validated settings by value, whatever the order of their members (the store sorts them)', () => {
    const reordered = Object.fromEntries(Object.entries(settings).reverse()) as unknown as EstUpstreamSettings;
    assert.notEqual(JSON.stringify(reordered), JSON.stringify(settings));
    given([created]).when({ type: 'RecordEstUpstreamValidation', data: { id: 1, settings: reordered, outcome: { ok: true, cacert: 'MII' } }, now }).then([{ type: 'EstUpstreamValidated', data: { id: 1, cacert: 'MII', at } }]);
  });

  it('updates, and refuses to change what does not exist', () => {
    const changed = { ...settings, description: 'x' };
    given([created]).when({ type: 'UpdateEstUpstream', data: { id: 1, settings: changed }, now }).then([{ type: 'EstUpstreamUpdated', data: { id: 1, settings: changed, at } }]);
    given([]).when({ type: 'UpdateEstUpstream', data: { id: 1, settings }, now }).thenThrows('unknown_upstream', 'not_found');
    given([created, { type: 'EstUpstreamDeleted', data: { id: 1, at } }]).when({ type: 'DeleteEstUpstream', data: { id: 1, inUse: [] }, now }).thenThrows('unknown_upstream', 'not_found');
  });

  it('deletes only what nothing routes through', () => {
    given([created]).when({ type: 'DeleteEstUpstream', data: { id: 1, inUse: [] }, now }).then([{ type: 'EstUpstreamDeleted', data: { id: 1, at } }]);
    assert.throws(
      () => estUpstreamDecider.decide({ type: 'DeleteEstUpstream', data: { id: 1, inUse: ['est-profile:ra', 'role:web'] }, now }, estUpstreamDecider.evolve(estUpstreamDecider.initialState(), created)),
      (error: unknown) => error instanceof EstUpstreamInUseError && error.inUse.join() === 'est-profile:ra,role:web',
    );
  });
});

describe('IDIAL EST configuration body', () => {
  const kek = randomBytes(32);
  const body = { server: 'est.example.com', port: '8443', enroll_endpoint: '/e', renew_endpoint: '/r' };

  it('applies the defaults and wraps the password under the configuration id', () => {
    assert.deepEqual(settingsForCreate(body, 7, kek), { ...settings, port: 8443, enrollEndpoint: '/e', renewEndpoint: '/r', description: '' });
    const withPassword = settingsForCreate({ ...body, username: 'u', password: 'secret' }, 7, kek);
    assert.equal(withPassword.enrollAuth, 'basic');
    assert.equal(withPassword.credentials?.passwordHash, createHash('sha256').update('secret').digest('hex'));
    assert.equal(Buffer.from(unwrapPrivateKey(withPassword.credentials!.passwordWrapped, kek, passwordKeyId(7))).toString(), 'secret');
    assert.throws(() => unwrapPrivateKey(withPassword.credentials!.passwordWrapped, kek, passwordKeyId(8)));
  });

  it('treats an empty password as no credentials, and keeps credentials a PATCH does not replace', () => {
    assert.equal(settingsForCreate({ ...body, username: 'u', password: '' }, 1, kek).credentials, undefined);
    const current = settingsForCreate({ ...body, username: 'u', password: 'secret' }, 1, kek);
    assert.deepEqual(settingsForUpdate({ password: '' }, 1, kek, current).credentials, current.credentials);
    assert.equal(settingsForUpdate({ username: 'v' }, 1, kek, current).credentials?.username, 'v');
    assert.notEqual(settingsForUpdate({ password: 'other' }, 1, kek, current).credentials?.passwordHash, current.credentials?.passwordHash);
  });

  it('refuses what it cannot read', () => {
    assert.throws(() => settingsForCreate({ ...body, port: 'x' }, 1, kek), /port/);
    assert.throws(() => settingsForCreate({ ...body, tlschain: 'bm90IHBrY3M3' }, 1, kek), /tlschain/);
    assert.throws(() => settingsForCreate({ server: 'a' }, 1, kek), /missing required fields: port, enroll_endpoint, renew_endpoint/);
    assert.throws(() => settingsForUpdate({}, 1, kek, settings), /names no field/);
  });
});

describe('IDIAL renewal fields (certificate, private_key)', () => {
  const newKey = () => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const key = newKey();
  const dir = mkdtempSync(join(tmpdir(), 'signet-renewal-'));
  writeFileSync(join(dir, 'key.pem'), key);
  const certificate = openssl(['req', '-x509', '-key', join(dir, 'key.pem'), '-subj', '/CN=renew-me', '-days', '1']);
  after(() => rmSync(dir, { recursive: true, force: true }));
  const code = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error instanceof DomainError ? error.code : String(error);
    }
    return 'no error';
  };

  it('takes the certificate being renewed and its own key; neither field means no renewal', () => {
    assert.equal(parseRenewal(undefined, undefined), undefined);
    const renewal = parseRenewal(certificate, key)!;
    const normalized = (serial: string) => serial.toLowerCase().replace(/^0+/, '');
    assert.equal(normalized(renewal.serial), normalized(openssl(['x509', '-noout', '-serial'], Buffer.from(certificate)).trim().split('=')[1]));
    assert.equal(renewal.certPem, certificate);
    assert.equal(renewal.keyPem, key);
    assert.equal(parseRenewal(certificate, undefined)?.keyPem, undefined, 'basic or none renew_auth needs no key');
  });

  it('refuses a key of another certificate, garbage, and a key without its certificate', () => {
    assert.equal(code(() => parseRenewal(certificate, newKey())), 'key_mismatch');
    assert.equal(code(() => parseRenewal(certificate, 'not a key')), 'invalid_private_key');
    assert.equal(code(() => parseRenewal('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', key)), 'invalid_certificate');
    assert.equal(code(() => parseRenewal(undefined, key)), 'missing_certificate');
  });
});
