import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { capabilitiesFor, DEFAULT_POLICY_TEXT, parsePolicy, PolicyParseError, type PolicyRule } from '../../src/domain/acl.js';
import { policyDecider } from '../../src/domain/policy.js';
import { tokenDecider } from '../../src/domain/token.js';
import { deciderSpec } from '../support/decider-spec.js';

const now = new Date('2026-11-23T10:00:00.000Z');
const at = now.toISOString();

const HCL = `
# web servers may issue from the web role only
path "pki/issue/web" {
  capabilities = ["create", "update"]
}
// and read the CA
path "pki/cert/*" { capabilities = ["read"] }
path "pki/roles/+" {
  capabilities = [
    "read",
  ]
}
`;

const caps = (rules: PolicyRule[][], path: string) => [...capabilitiesFor(rules, path)].sort();

describe('ACL policies', () => {
  test('parses the HCL subset and the JSON form to the same rules', () => {
    const rules = parsePolicy(HCL);
    assert.deepEqual(rules, [
      { path: 'pki/issue/web', capabilities: ['create', 'update'] },
      { path: 'pki/cert/*', capabilities: ['read'] },
      { path: 'pki/roles/+', capabilities: ['read'] },
    ]);
    assert.deepEqual(parsePolicy(JSON.stringify({ path: { 'pki/issue/web': { capabilities: ['create', 'update'] } } })), [rules[0]]);
    assert.ok(parsePolicy(DEFAULT_POLICY_TEXT).length > 0);
  });

  test('refuses what it cannot read', () => {
    for (const text of ['', 'path "x" { capabilities = ["fly"] }', 'path "x" { allowed_parameters = {} }', 'path x {}', '{"path": []}', 'garbage']) {
      assert.throws(() => parsePolicy(text), PolicyParseError, text);
    }
  });

  test('exact paths, + segments and * prefixes; the most specific rule decides', () => {
    const rules = [parsePolicy(HCL)];
    assert.deepEqual(caps(rules, 'pki/issue/web'), ['create', 'update']);
    assert.deepEqual(caps(rules, 'pki/issue/db'), []);
    assert.deepEqual(caps(rules, 'pki/cert/ab:cd'), ['read']);
    assert.deepEqual(caps(rules, 'pki/roles/web'), ['read']);
    assert.deepEqual(caps(rules, 'pki/roles/web/extra'), []);
    const layered = [parsePolicy('path "pki/*" { capabilities = ["read"] }\npath "pki/issue/*" { capabilities = ["update"] }')];
    assert.deepEqual(caps(layered, 'pki/issue/web'), ['update']);
    assert.deepEqual(caps(layered, 'pki/roles/web'), ['read']);
  });

  test('rules for one path merge across policies; deny wins; a list path also matches its exact rule', () => {
    const a = parsePolicy('path "pki/roles" { capabilities = ["list"] }');
    const b = parsePolicy('path "pki/roles" { capabilities = ["read"] }');
    assert.deepEqual(caps([a, b], 'pki/roles/'), ['list', 'read']);
    assert.deepEqual(caps([a, parsePolicy('path "pki/roles" { capabilities = ["deny"] }')], 'pki/roles'), []);
  });

  test('policy decider: writes parsed rules, protects root and default', () => {
    const given = deciderSpec(policyDecider);
    given([]).when({ type: 'WritePolicy', data: { name: 'Web', text: HCL }, now }).then([{ type: 'PolicyWritten', data: { name: 'web', text: HCL, rules: parsePolicy(HCL), at } }]);
    given([]).when({ type: 'WritePolicy', data: { name: 'web', text: 'nonsense' }, now }).thenThrows('invalid_policy', 'invalid');
    given([]).when({ type: 'WritePolicy', data: { name: 'root', text: HCL }, now }).thenThrows('root_policy', 'invalid');
    given([]).when({ type: 'DeletePolicy', data: { name: 'default' }, now }).thenThrows('builtin_policy', 'invalid');
    given([]).when({ type: 'DeletePolicy', data: { name: 'web' }, now }).then([]);
  });

  test('token decider records metadata and revokes once', () => {
    const given = deciderSpec(tokenDecider);
    const data = { accessor: 'a1', hash: 'h', displayName: 'token-ci', policies: ['default', 'web'], parent: 'root', meta: { team: 'ops' } };
    const created = { type: 'TokenCreated' as const, data: { ...data, createdAt: at } };
    given([]).when({ type: 'CreateToken', data, now }).then([created]);
    given([created]).when({ type: 'RevokeToken', data: { accessor: 'a1' }, now }).then([{ type: 'TokenRevoked', data: { accessor: 'a1', at } }]);
    given([created, { type: 'TokenRevoked', data: { accessor: 'a1', at } }]).when({ type: 'RevokeToken', data: { accessor: 'a1' }, now }).then([]);
  });
});
