import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '../../src/domain/errors.js';
import { normalizeRole, ROLE_DEFAULTS, type RoleDefinition } from '../../src/domain/role.js';
import {
  checkCsrKey,
  EMPTY_CERT_REQUEST,
  formatGoDuration,
  keySpecForIssue,
  resolveCertRequest,
  roleExtKeyUsages,
  roleKeyRules,
  roleKeyUsages,
  signVerbatimRole,
  type CertRequestInput,
  type CsrIdentity,
} from '../../src/domain/role-issuance.js';
import { globMatch, refusedCommonName, refusedName } from '../../src/domain/role-names.js';

const system = { defaultTtl: 365 * 86400, maxTtl: 365 * 86400 };
const role = (overrides: Partial<RoleDefinition> = {}) => normalizeRole({ ...ROLE_DEFAULTS, allowedDomains: ['example.com'], allowSubdomains: true, ...overrides });
const request = (overrides: Partial<CertRequestInput> = {}): CertRequestInput => ({ ...EMPTY_CERT_REQUEST, ...overrides });
const csr = (overrides: Partial<CsrIdentity> = {}): CsrIdentity => ({ userIds: [], dnsNames: [], emails: [], ips: [], uris: [], otherSans: [], ...overrides });

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DomainError && error.kind === 'invalid', `expected an invalid DomainError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected a refusal');
}

describe('role names (OpenBao validateNames)', () => {
  test('subdomains, bare domains, globs and localhost', () => {
    assert.equal(refusedName(role(), ['a.example.com', 'b.c.example.com']), undefined);
    assert.equal(refusedName(role(), ['example.com']), 'example.com');
    assert.equal(refusedName(role({ allowBareDomains: true }), ['example.com']), undefined);
    assert.equal(refusedName(role(), ['evil-example.com']), 'evil-example.com');
    assert.equal(refusedName(role({ allowSubdomains: false, allowGlobDomains: true, allowedDomains: ['ftp*.example.com'] }), ['ftp1.example.com', 'ftp.a.example.com']), undefined);
    assert.equal(refusedName(role(), ['localhost']), undefined);
    assert.equal(refusedName(role({ allowLocalhost: false }), ['localhost']), 'localhost');
  });

  test('wildcards follow RFC 6125 and allow_wildcard_certificates; enforce_hostnames wins over allow_any_name', () => {
    assert.equal(refusedName(role(), ['*.example.com']), undefined);
    assert.equal(refusedName(role({ allowWildcardCertificates: false }), ['*.example.com']), '*.example.com');
    assert.equal(refusedName(role(), ['*.*.example.com']), '*.*.example.com');
    assert.equal(refusedName(role({ allowAnyName: true }), ['not a host']), 'not a host');
    assert.equal(refusedName(role({ allowAnyName: true, enforceHostnames: false }), ['not a host']), undefined);
  });

  test('emails are checked by their domain; cn_validations decide the common name type', () => {
    assert.equal(refusedName(role(), ['ops@mail.example.com']), undefined);
    assert.equal(refusedName(role(), ['ops@other.org']), 'ops@other.org');
    assert.equal(refusedCommonName(role({ cnValidations: ['hostname'] }), 'ops@mail.example.com'), 'ops@mail.example.com');
    assert.equal(refusedCommonName(role({ cnValidations: ['disabled'], allowAnyName: true }), 'Any Human Name'), undefined);
  });

  test('globs are go-glob: * spans dots, case-sensitive', () => {
    assert.ok(globMatch('spiffe://*', 'spiffe://cluster/ns/a'));
    assert.ok(!globMatch('A*', 'abc'));
  });
});

describe('resolveCertRequest', () => {
  test('issue: subject from the role, CN added to the DNS SANs, alt names and IPs', () => {
    const resolved = resolveCertRequest(
      role({ organization: ['Example'], country: ['DE'] }),
      request({ commonName: 'www.example.com', altNames: ['api.example.com', 'ops@mail.example.com'], ipSans: ['10.0.0.1'], ttl: 3600 }),
      system,
    );
    assert.deepEqual(resolved.subject, [
      { type: 'C', value: 'DE' },
      { type: 'O', value: 'Example' },
      { type: 'CN', value: 'www.example.com' },
    ]);
    assert.deepEqual(resolved.sans, [
      { type: 'dns', value: 'www.example.com' },
      { type: 'dns', value: 'api.example.com' },
      { type: 'email', value: 'ops@mail.example.com' },
      { type: 'ip', value: '10.0.0.1' },
    ]);
    assert.equal(resolved.ttlSeconds, 3600);
  });

  test("refusals carry OpenBao's messages", () => {
    assert.equal(refusal(() => resolveCertRequest(role(), request({ commonName: 'www.evil.org' }), system)), 'common name www.evil.org not allowed by this role');
    assert.equal(refusal(() => resolveCertRequest(role(), request({ commonName: 'a.example.com', altNames: ['b.evil.org'] }), system)), 'subject alternate name b.evil.org not allowed by this role');
    assert.equal(refusal(() => resolveCertRequest(role(), request({ commonName: 'a.example.com', altNames: ['x@evil.org'] }), system)), 'email address x@evil.org not allowed by this role');
    assert.match(refusal(() => resolveCertRequest(role(), request({}), system)), /^the common_name field is required/);
    assert.equal(refusal(() => resolveCertRequest(role({ allowIpSans: false }), request({ commonName: 'a.example.com', ipSans: ['10.0.0.1'] }), system)), 'IP Subject Alternative Names are not allowed in this role, but was provided via the API');
    assert.equal(refusal(() => resolveCertRequest(role(), request({ commonName: 'a.example.com', ipSans: ['nope'] }), system)), 'the value "nope" is not a valid IP address');
    assert.equal(refusal(() => resolveCertRequest(role(), request({ commonName: 'a.example.com', uriSans: ['spiffe://x'] }), system)), 'URI Subject Alternative Names are not allowed in this role, but were provided via the API');
    assert.equal(refusal(() => resolveCertRequest(role({ allowedUriSans: ['spiffe://a/*'] }), request({ commonName: 'a.example.com', uriSans: ['spiffe://b/x'] }), system)), 'URI Subject Alternative Names were provided via the API which are not valid for this role');
    assert.equal(refusal(() => resolveCertRequest(role(), request({ commonName: 'a.example.com', otherSans: [{ oid: '1.2.3', value: 'x' }] }), system)), 'other SAN OID 1.2.3 not allowed by this role');
  });

  test('a TTL over max_ttl is refused; ttl and not_after together are refused', () => {
    assert.equal(refusal(() => resolveCertRequest(role({ maxTtl: 86400 }), request({ commonName: 'a.example.com', ttl: 2 * 86400 }), system)), 'TTL "48h0m0s" is longer than permitted maxTTL "24h0m0s"');
    assert.match(refusal(() => resolveCertRequest(role(), request({ commonName: 'a.example.com', ttl: 60, notAfter: '2030-01-01T00:00:00Z' }), system)), /^Either ttl or not_after/);
  });

  test('without a requested TTL the role ttl, else the system default capped by max_ttl (with a warning)', () => {
    assert.equal(resolveCertRequest(role({ ttl: 600, maxTtl: 3600 }), request({ commonName: 'a.example.com' }), system).ttlSeconds, 600);
    const capped = resolveCertRequest(role({ maxTtl: 3600 }), request({ commonName: 'a.example.com' }), system);
    assert.equal(capped.ttlSeconds, 3600);
    assert.match(capped.warnings[0], /so maxTTL is being used/);
    assert.equal(resolveCertRequest(role(), request({ commonName: 'a.example.com', notAfter: '2030-01-01T00:00:00Z' }), system).notAfter, Date.parse('2030-01-01T00:00:00Z'));
  });

  test('sign: use_csr_common_name / use_csr_sans take names from the CSR, or from the request when off', () => {
    const identity = csr({ commonName: 'csr.example.com', dnsNames: ['alt.example.com'], ips: ['192.0.2.1'] });
    const fromCsr = resolveCertRequest(role(), request({ commonName: 'req.example.com', altNames: ['x.example.com'] }), system, identity);
    assert.deepEqual(fromCsr.subject, [{ type: 'CN', value: 'csr.example.com' }]);
    assert.deepEqual(fromCsr.sans.map((s) => s.value), ['alt.example.com', 'csr.example.com', '192.0.2.1']);
    assert.equal(fromCsr.warnings.length, 2);
    const fromRequest = resolveCertRequest(role({ useCsrCommonName: false, useCsrSans: false }), request({ commonName: 'req.example.com', excludeCnFromSans: true }), system, identity);
    assert.deepEqual(fromRequest.subject, [{ type: 'CN', value: 'req.example.com' }]);
    assert.deepEqual(fromRequest.sans, []);
    assert.equal(refusal(() => resolveCertRequest(role(), request(), system, csr({ commonName: 'csr.evil.org' }))), 'common name csr.evil.org not allowed by this role');
  });

  test('sign-verbatim role: any name, the named role only lends lifetimes and no_store', () => {
    const verbatim = signVerbatimRole({ keyUsage: ['DigitalSignature'], extKeyUsage: [], extKeyUsageOids: [] }, role({ ttl: 60, maxTtl: 120, noStore: true, allowAnyName: false }));
    assert.equal(verbatim.allowAnyName, true);
    assert.deepEqual([verbatim.ttl, verbatim.maxTtl, verbatim.noStore], [60, 120, true]);
    assert.deepEqual(roleExtKeyUsages(verbatim), []);
  });
});

describe('role keys and usages', () => {
  test('CSR keys must match the role type and be at least key_bits', () => {
    assert.doesNotThrow(() => checkCsrKey(role({ keyType: 'ec', keyBits: 256 }), { kind: 'ec', curve: 'P-384' }));
    assert.equal(refusal(() => checkCsrKey(role({ keyType: 'ec', keyBits: 384 }), { kind: 'ec', curve: 'P-256' })), "role requires a minimum of a 384-bit key, but CSR's key is 256 bits");
    assert.equal(refusal(() => checkCsrKey(role({ keyType: 'rsa' }), { kind: 'ed25519' })), 'role requires keys of type rsa');
    assert.doesNotThrow(() => checkCsrKey(role({ keyType: 'any' }), { kind: 'ed25519' }));
    assert.deepEqual(roleKeyRules(role({ keyType: 'ec', keyBits: 384 })), [{ kind: 'ec', curves: ['P-384'] }]);
  });

  test('issue generates the role key, or the requested one when the role says any', () => {
    assert.deepEqual(keySpecForIssue(role({ keyType: 'ec', keyBits: 384 }), { keyType: 'rsa', keyBits: 4096 }), { kind: 'ec', curve: 'P-384' });
    assert.deepEqual(keySpecForIssue(role({ keyType: 'any' }), { keyType: 'ed25519', keyBits: 0 }), { kind: 'ed25519' });
    assert.match(refusal(() => keySpecForIssue(role({ keyType: 'any' }), { keyType: '', keyBits: 0 })), /^role key type "any" not allowed/);
  });

  test('flags, then ext_key_usage names, then OIDs', () => {
    assert.deepEqual(roleKeyUsages(role()), ['digitalSignature', 'keyAgreement', 'keyEncipherment']);
    assert.deepEqual(roleExtKeyUsages(role({ clientFlag: false, codeSigningFlag: true, extKeyUsage: ['TimeStamping'], extKeyUsageOids: ['1.3.6.1.4.1.311.20.2.2'] })), [
      'serverAuth',
      'codeSigning',
      'timeStamping',
      '1.3.6.1.4.1.311.20.2.2',
    ]);
    assert.equal(formatGoDuration(90), '1m30s');
  });
});
