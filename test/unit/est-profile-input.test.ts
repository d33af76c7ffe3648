import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '../../src/domain/errors.js';
import { validateProfileSettings } from '../../src/domain/est-profile.js';
import { defaultProfileSettings, parseProfileInput, profileView, resolveBasicUsers } from '../../src/app/est/profile-input.js';
import { hashPassword, VerifiedPasswordCache, verifyPassword } from '../../src/app/est/password-hash.js';
import { derToPem } from '../../src/crypto/pem.js';
import { makeRootCa } from '../fixtures/crypto/helpers.js';

const defaults = defaultProfileSettings(365);

function refused(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof DomainError && error.kind === 'invalid' && message.test(error.message));
}

describe('EST profile input', () => {
  test('defaults are a valid profile: OTP and mTLS, any name, a year, serverkeygen with P-256', () => {
    validateProfileSettings(defaults);
    assert.deepEqual(defaults.auth.methods, ['otp', 'mtls']);
    assert.equal(defaults.template.validitySeconds, 365 * 86_400);
    assert.deepEqual(defaults.serverKeygen, { enabled: true, key: { kind: 'ec', curve: 'P-256' } });
  });

  test('fields apply over the base; durations, names and keys in their operator spelling', () => {
    const { name, settings } = parseProfileInput(
      {
        name: 'sensors',
        validity: '30d',
        backdate: 30,
        key_usage: ['DigitalSignature', 'keyEncipherment'],
        ext_key_usage: ['serverauth', 'clientAuth', '1.3.6.1.5.5.7.3.17'],
        allowed_keys: [{ type: 'EC', curves: ['P-384'] }, { type: 'rsa', min_bits: 3072 }],
        names: { allow_any_name: false, allowed_domains: ['sensors.example'], allow_subdomains: true },
        auth_methods: ['basic', 'mtls'],
        reenroll_window: '7d',
        revoke_on_reenroll: true,
        serverkeygen_key: { type: 'ec', curve: 'P-384' },
        csrattrs: ['1.2.840.113549.1.9.7', { oid: '1.2.840.10045.2.1', values: ['1.3.132.0.34'] }],
      },
      defaults,
    );
    assert.equal(name, 'sensors');
    assert.equal(settings.template.validitySeconds, 30 * 86_400);
    assert.equal(settings.template.backdateSeconds, 30);
    assert.deepEqual(settings.template.keyUsage, ['digitalSignature', 'keyEncipherment']);
    assert.deepEqual(settings.template.extKeyUsage, ['serverAuth', 'clientAuth', '1.3.6.1.5.5.7.3.17']);
    assert.deepEqual(settings.template.allowedKeys, [{ kind: 'ec', curves: ['P-384'] }, { kind: 'rsa', minBits: 3072 }]);
    assert.equal(settings.template.names.allowAnyName, false);
    assert.deepEqual(settings.template.names.allowedDomains, ['sensors.example']);
    assert.equal(settings.template.names.allowIpSans, true, 'names not given keep their base value');
    assert.deepEqual(settings.reenroll, { windowSeconds: 7 * 86_400, revokeSuperseded: true });
    assert.deepEqual(settings.serverKeygen.key, { kind: 'ec', curve: 'P-384' });
    assert.deepEqual(settings.csrAttributes, [{ oid: '1.2.840.113549.1.9.7' }, { oid: '1.2.840.10045.2.1', values: ['1.3.132.0.34'] }]);
    assert.equal(defaults.template.validitySeconds, 365 * 86_400, 'the base is not modified');
  });

  test('refuses unknown fields and wrong types with the field named', () => {
    refused(() => parseProfileInput({ validty: '1d' }, defaults), /unknown field "validty"/);
    refused(() => parseProfileInput({ names: { allow_everything: true } }, defaults), /names: unknown field "allow_everything"/);
    refused(() => parseProfileInput({ validity: 'forever' }, defaults), /^validity: expected a duration/);
    refused(() => parseProfileInput({ auth_methods: ['kerberos'] }, defaults), /auth_methods\[0\]: expected one of mtls, basic, otp/);
    refused(() => parseProfileInput({ allowed_keys: [{ type: 'rsa', min_bits: 1024 }] }, defaults), /min_bits/);
    refused(() => parseProfileInput({ ext_key_usage: ['flying'] }, defaults), /ext_key_usage\[0\]/);
    refused(() => parseProfileInput({ trust_anchors: 'not pem' }, defaults), /trust_anchors: expected PEM certificates/);
    refused(() => parseProfileInput({ basic_users: [{ username: 'u', password: 'p', password_hash: 'h' }] }, defaults), /either password or password_hash/);
  });

  test('trust anchors are PEM CA certificates, kept as DER and shown as PEM', () => {
    const ca = makeRootCa();
    const pem = derToPem(ca.certDer, 'CERTIFICATE');
    const { settings } = parseProfileInput({ trust_anchors: pem }, defaults);
    assert.deepEqual(settings.auth.trustAnchors, [Buffer.from(ca.certDer).toString('base64')]);
    const view = profileView({ name: 'p', revision: 0, settings, createdAt: 'c', updatedAt: 'u' });
    assert.equal(view.trust_anchors, pem);
    assert.deepEqual(parseProfileInput({ trust_anchors: null }, settings).settings.auth.trustAnchors, []);
  });

  test('the view round-trips to the same settings and never shows a password hash', async () => {
    const { settings, basicUsers } = parseProfileInput({ auth_methods: ['basic'], basic_users: [{ username: 'dev', password: 'correct horse' }], csrattrs: ['1.2.3.4'] }, defaults);
    settings.auth.basicUsers = await resolveBasicUsers(basicUsers ?? [], []);
    const view = profileView({ name: 'p', revision: 3, settings, createdAt: 'c', updatedAt: 'u' });
    assert.deepEqual(view.basic_users, [{ username: 'dev' }]);
    assert.doesNotMatch(JSON.stringify(view), /scrypt/);
    const again = parseProfileInput(view, defaults);
    again.settings.auth.basicUsers = await resolveBasicUsers(again.basicUsers ?? [], settings.auth.basicUsers);
    assert.deepEqual(again.settings, settings);
  });
});

describe('EST Basic passwords', () => {
  test('scrypt PHC hashes verify the right password only', async () => {
    const hash = await hashPassword('correct horse');
    assert.match(hash, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword('correct horsE', hash), false);
    assert.equal(await verifyPassword('correct horse', 'plain'), false);
    assert.notEqual(await hashPassword('correct horse'), hash, 'salted');
  });

  test('the cache only answers for the exact hash it verified', async () => {
    const cache = new VerifiedPasswordCache();
    const hash = await hashPassword('correct horse');
    assert.equal(await cache.verify('dev', 'correct horse', hash), true);
    assert.equal(await cache.verify('dev', 'correct horse', hash), true);
    assert.equal(await cache.verify('dev', 'wrong password', hash), false);
    assert.equal(await cache.verify('dev', 'correct horse', await hashPassword('another one')), false);
  });

  test('resolving users: new passwords are hashed, unchanged ones keep their hash, a new user needs a password', async () => {
    const [first] = await resolveBasicUsers([{ username: 'dev', password: 'correct horse' }], []);
    assert.equal(await verifyPassword('correct horse', first.passwordHash), true);
    const [same] = await resolveBasicUsers([{ username: 'dev', password: 'correct horse' }], [first]);
    assert.equal(same.passwordHash, first.passwordHash);
    const [kept] = await resolveBasicUsers([{ username: 'dev' }], [first]);
    assert.equal(kept.passwordHash, first.passwordHash);
    const [changed] = await resolveBasicUsers([{ username: 'dev', password: 'battery staple' }], [first]);
    assert.notEqual(changed.passwordHash, first.passwordHash);
    await assert.rejects(resolveBasicUsers([{ username: 'new' }], [first]), /password or password_hash is required/);
    await assert.rejects(resolveBasicUsers([{ username: 'new', password: 'short' }], []), /at least 8 characters/);
  });
});
