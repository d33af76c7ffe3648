import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extKeyUsageByName, keyUsageByName, normalizeRole, ROLE_DEFAULTS, roleDecider, type RoleDefinition, type RoleEvent } from '../../src/domain/role.js';
import { DomainError } from '../../src/domain/errors.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(roleDecider);
const now = new Date('2026-11-23T10:00:00.000Z');
const at = now.toISOString();
const web: RoleDefinition = { ...ROLE_DEFAULTS, allowedDomains: ['example.com'], allowSubdomains: true, maxTtl: 72 * 3600 };
const written = (role: RoleDefinition, name = 'web'): RoleEvent => ({ type: 'RoleWritten', data: { name, role: normalizeRole(role), at } });

describe('role decider', () => {
  test('a write records the whole role with derived defaults (rsa 2048, cn_validations)', () => {
    given([]).when({ type: 'WriteRole', data: { name: 'web', role: web }, now }).then([{ type: 'RoleWritten', data: { name: 'web', role: { ...web, keyBits: 2048 }, at } }]);
  });

  test('a write replaces, a patch merges into the current role', () => {
    given([written(web)])
      .when({ type: 'WriteRole', data: { name: 'web', role: { ...ROLE_DEFAULTS, allowAnyName: true } }, now })
      .then([written({ ...ROLE_DEFAULTS, allowAnyName: true })]);
    given([written(web)])
      .when({ type: 'PatchRole', data: { name: 'web', changes: { keyType: 'ec', keyBits: 384 } }, now })
      .then([written({ ...web, keyType: 'ec', keyBits: 384 })]);
  });

  test('refuses OpenBao-invalid roles with its messages', () => {
    given([]).when({ type: 'WriteRole', data: { name: 'web', role: { ...web, ttl: 100 * 3600 } }, now }).thenThrows('ttl_over_max_ttl', 'invalid');
    given([]).when({ type: 'WriteRole', data: { name: 'web', role: { ...web, keyBits: 1024 } }, now }).thenThrows('invalid_key_bits', 'invalid');
    given([]).when({ type: 'WriteRole', data: { name: 'web', role: { ...web, keyType: 'ec', keyBits: 521 } }, now }).thenThrows('invalid_key_bits', 'invalid');
    given([]).when({ type: 'WriteRole', data: { name: 'web', role: { ...web, keyType: 'dsa' as 'rsa' } }, now }).thenThrows('invalid_key_type', 'invalid');
    given([]).when({ type: 'WriteRole', data: { name: 'web', role: { ...web, cnValidations: ['disabled', 'email'] } }, now }).thenThrows('invalid_cn_validations', 'invalid');
    given([]).when({ type: 'WriteRole', data: { name: 'web', role: { ...web, keyUsage: ['Teleport'] } }, now }).thenThrows('invalid_key_usage', 'invalid');
    given([]).when({ type: 'WriteRole', data: { name: 'web', role: { ...web, extKeyUsageOids: ['1.2.x'] } }, now }).thenThrows('invalid_ext_key_usage_oid', 'invalid');
    given([]).when({ type: 'WriteRole', data: { name: 'web', role: { ...web, allowedOtherSans: ['1.2.3.4'] } }, now }).thenThrows('invalid_allowed_other_sans', 'invalid');
    given([]).when({ type: 'WriteRole', data: { name: 'bad name/x', role: web }, now }).thenThrows('invalid_role_name', 'invalid');
    assert.throws(() => normalizeRole({ ...web, ttl: 100 * 3600 }), (e: unknown) => e instanceof DomainError && e.message === '"ttl" value must be less than "max_ttl" value');
  });

  test('patching an unknown role is refused; deleting one is a no-op', () => {
    given([]).when({ type: 'PatchRole', data: { name: 'web', changes: {} }, now }).thenThrows('unknown_role', 'invalid');
    given([]).when({ type: 'DeleteRole', data: { name: 'web' }, now }).then([]);
    given([written(web)]).when({ type: 'DeleteRole', data: { name: 'web' }, now }).then([{ type: 'RoleDeleted', data: { name: 'web', at } }]);
    given([written(web), { type: 'RoleDeleted', data: { name: 'web', at } }]).when({ type: 'PatchRole', data: { name: 'web', changes: {} }, now }).thenThrows('unknown_role');
  });

  test('usage names are OpenBao/Go names, case-insensitive', () => {
    assert.equal(keyUsageByName('DigitalSignature'), 'digitalSignature');
    assert.equal(keyUsageByName('certsign'), 'keyCertSign');
    assert.equal(extKeyUsageByName('ServerAuth'), 'serverAuth');
    assert.equal(extKeyUsageByName('ExtKeyUsageOCSPSigning'), 'OCSPSigning');
    assert.equal(extKeyUsageByName('nope'), undefined);
  });
});
