import { describe, test } from 'node:test';
import { estProfileDecider, type EstProfileEvent, type EstProfileSettings } from '../../src/domain/est-profile.js';
import { defaultProfileSettings } from '../../src/app/est/profile-input.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(estProfileDecider);
const now = new Date('2026-11-23T10:00:00.000Z');
const at = now.toISOString();
const settings = defaultProfileSettings(365);
const HASH = '$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';

function withChanges(change: (s: EstProfileSettings) => void): EstProfileSettings {
  const copy = structuredClone(settings);
  change(copy);
  return copy;
}

const create = (name: string, s = settings) => ({ type: 'CreateEstProfile' as const, data: { name, settings: s }, now });
const update = (name: string, s: EstProfileSettings) => ({ type: 'UpdateEstProfile' as const, data: { name, settings: s }, now });
const remove = (name: string) => ({ type: 'DeleteEstProfile' as const, data: { name }, now });
const created = (name: string, s = settings): EstProfileEvent => ({ type: 'EstProfileCreated', data: { name, settings: s, at } });
const deleted = (name: string): EstProfileEvent => ({ type: 'EstProfileDeleted', data: { name, at } });

describe('EST profile decider', () => {
  test('creates a profile once', () => {
    given([]).when(create('sensors')).then([created('sensors')]);
    given([created('sensors')]).when(create('sensors')).thenThrows('profile_exists', 'conflict');
  });

  test('refuses names that are not labels or that are EST operations', () => {
    given([]).when(create('has space')).thenThrows('invalid_profile_name', 'invalid');
    given([]).when(create('-dash')).thenThrows('invalid_profile_name', 'invalid');
    given([]).when(create('simpleenroll')).thenThrows('invalid_profile_name', 'invalid');
    given([]).when(create('cacerts')).thenThrows('invalid_profile_name', 'invalid');
  });

  test('refuses settings that cannot work', () => {
    given([]).when(create('p', withChanges((s) => (s.auth.methods = [])))).thenThrows('invalid_auth_methods', 'invalid');
    given([]).when(create('p', withChanges((s) => (s.auth.methods = ['otp', 'otp'])))).thenThrows('invalid_auth_methods', 'invalid');
    given([]).when(create('p', withChanges((s) => (s.auth.methods = ['basic'])))).thenThrows('basic_users_required', 'invalid');
    given([]).when(create('p', withChanges((s) => (s.auth.basicUsers = [{ username: 'a:b', passwordHash: HASH }])))).thenThrows('invalid_username', 'invalid');
    given([]).when(create('p', withChanges((s) => (s.auth.basicUsers = [{ username: 'u', passwordHash: 'secret' }])))).thenThrows('invalid_password_hash', 'invalid');
    given([]).when(create('p', withChanges((s) => (s.template.validitySeconds = 0)))).thenThrows('invalid_validity', 'invalid');
    given([]).when(create('p', withChanges((s) => (s.template.allowedKeys = [])))).thenThrows('invalid_allowed_keys', 'invalid');
    given([]).when(create('p', withChanges((s) => (s.reenroll.windowSeconds = -1)))).thenThrows('invalid_reenroll_window', 'invalid');
    given([]).when(create('p', withChanges((s) => (s.csrAttributes = [{ oid: 'ecPublicKey' }])))).thenThrows('invalid_csrattrs', 'invalid');
    const rsaOnly = withChanges((s) => (s.template.allowedKeys = [{ kind: 'rsa', minBits: 2048 }]));
    given([]).when(create('p', rsaOnly)).thenThrows('invalid_serverkeygen_key', 'invalid');
    given([]).when(create('p', { ...rsaOnly, serverKeygen: { enabled: false, key: { kind: 'ec', curve: 'P-256' } } })).then([created('p', { ...rsaOnly, serverKeygen: { enabled: false, key: { kind: 'ec', curve: 'P-256' } } })]);
  });

  test('basic users with scrypt hashes are accepted', () => {
    const basic = withChanges((s) => {
      s.auth.methods = ['basic'];
      s.auth.basicUsers = [{ username: 'device', passwordHash: HASH }];
    });
    given([]).when(create('p', basic)).then([created('p', basic)]);
  });

  test('updates record the whole new settings, and an unchanged update records nothing', () => {
    const longer = withChanges((s) => (s.template.validitySeconds = 7200));
    given([created('p')]).when(update('p', longer)).then([{ type: 'EstProfileUpdated', data: { name: 'p', settings: longer, at } }]);
    given([created('p')]).when(update('p', settings)).then([]);
    // The same settings with members in another order (as read back from a store that sorts them) change nothing.
    given([created('p')]).when(update('p', Object.fromEntries(Object.entries(settings).reverse()) as unknown as EstProfileSettings)).then([]);
    given([]).when(update('p', longer)).thenThrows('unknown_profile', 'not_found');
    given([created('p')]).when(update('p', withChanges((s) => (s.auth.methods = [])))).thenThrows('invalid_auth_methods', 'invalid');
  });

  test('deletes, except the default profile; a deleted name can be created again', () => {
    given([created('p')]).when(remove('p')).then([deleted('p')]);
    given([created('p'), deleted('p')]).when(remove('p')).thenThrows('unknown_profile', 'not_found');
    given([created('default')]).when(remove('default')).thenThrows('default_profile', 'forbidden');
    given([created('p'), deleted('p')]).when(create('p')).then([created('p')]);
    given([created('p'), deleted('p')]).when(update('p', settings)).thenThrows('unknown_profile', 'not_found');
  });
});
