/**
 * What we build, checked by the real tools: the openssl CLI (verify, x509 -text, pkcs7) and python3 `cryptography`.
 * Needs both installed; fails with a clear message otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIntermediateCa, issuerTemplateFromCertificate } from '../../src/crypto/ca.js';
import { parseCertificate, signCertificate } from '../../src/crypto/certificate.js';
import { csrFacts, parseCsr } from '../../src/crypto/csr.js';
import { issueFromCsr } from '../../src/crypto/issue.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { formatName } from '../../src/crypto/name.js';
import { derToPem, pemToDer } from '../../src/crypto/pem.js';
import { encodeCertsOnlyPkcs7 } from '../../src/crypto/pkcs7.js';
import { randomSerialHex } from '../../src/crypto/serial.js';
import { createSigner } from '../../src/crypto/signer.js';
import { DAY, NOW, acceptedCsrs, hex, leafContent, loadCsr, makeRootCa } from '../fixtures/crypto/helpers.js';

function requireTool(command: string, args: string[], hint: string): void {
  const probe = spawnSync(command, args, { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`crypto e2e tests need ${hint}; \`${command} ${args.join(' ')}\` failed: ${probe.error?.message ?? probe.stderr.trim()}`);
  }
}

function openssl(...args: string[]): string {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

const PYTHON_READER = `
import json, sys
from cryptography import x509
from cryptography.x509.oid import ExtensionOID
out = []
chain = sys.argv[1] == '--chain'
certs = [x509.load_der_x509_certificate(open(p, 'rb').read()) for p in sys.argv[2:]]
for i, c in enumerate(certs):
    ext = {e.oid.dotted_string: e for e in c.extensions}
    def value(oid):
        e = ext.get(oid.dotted_string)
        return e.value if e else None
    san = value(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    sans = []
    if san:
        for n in san:
            kind = {'DNSName': 'dns', 'IPAddress': 'ip', 'RFC822Name': 'email', 'UniformResourceIdentifier': 'uri'}.get(type(n).__name__, 'other')
            sans.append([kind, str(n.value) if kind != 'other' else type(n).__name__])
    bc = value(ExtensionOID.BASIC_CONSTRAINTS)
    ku = value(ExtensionOID.KEY_USAGE)
    eku = value(ExtensionOID.EXTENDED_KEY_USAGE)
    aki = value(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    aia = value(ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    crl = value(ExtensionOID.CRL_DISTRIBUTION_POINTS)
    issued_by_next = None
    if chain and i + 1 < len(certs):
        c.verify_directly_issued_by(certs[i + 1])
        issued_by_next = True
    out.append({
        'serial': format(c.serial_number, 'x'),
        'subject': c.subject.rfc4514_string(),
        'not_after': int(c.not_valid_after_utc.timestamp()),
        'sans': sans,
        'san_critical': ext[ExtensionOID.SUBJECT_ALTERNATIVE_NAME.dotted_string].critical if san else None,
        'ca': bc.ca if bc else None,
        'path_length': bc.path_length if bc else None,
        'digital_signature': ku.digital_signature if ku else None,
        'key_cert_sign': ku.key_cert_sign if ku else None,
        'eku': [o.dotted_string for o in eku] if eku else [],
        'ski': value(ExtensionOID.SUBJECT_KEY_IDENTIFIER).digest.hex(),
        'aki': aki.key_identifier.hex() if aki else None,
        'ocsp': [d.access_location.value for d in aia if d.access_method.dotted_string == '1.3.6.1.5.5.7.48.1'] if aia else [],
        'crl': [n.value for p in crl for n in p.full_name] if crl else [],
        'issued_by_next': issued_by_next,
    })
print(json.dumps(out))
`;

interface PythonView {
  serial: string;
  subject: string;
  not_after: number;
  sans: [string, string][];
  san_critical: boolean | null;
  ca: boolean | null;
  path_length: number | null;
  digital_signature: boolean | null;
  key_cert_sign: boolean | null;
  eku: string[];
  ski: string;
  aki: string | null;
  ocsp: string[];
  crl: string[];
  issued_by_next: boolean | null;
}

/** Loads each DER file; with `chain`, also checks each certificate was issued by the next one. */
function pythonRead(paths: string[], chain = false): PythonView[] {
  const output = execFileSync('python3', ['-c', PYTHON_READER, chain ? '--chain' : '--each', ...paths], { encoding: 'utf8' });
  return JSON.parse(output) as PythonView[];
}

describe('certificates checked with openssl and python cryptography', () => {
  let dir = '';
  const root = makeRootCa();
  const intermediateKey = generateKeyPair({ kind: 'ec', curve: 'P-256' });
  const intermediateDer = createIntermediateCa(root, intermediateKey.spkiDer, {
    subject: [{ type: 'C', value: 'DE' }, { type: 'O', value: 'Signet Test' }, { type: 'CN', value: 'Signet Issuing CA' }],
    serialHex: randomSerialHex(),
    notBefore: NOW - DAY,
    notAfter: NOW + 1000 * DAY,
    pathLen: 0,
    crlDistributionPoints: ['http://pki.example/crl/root.crl'],
    issuingCertificateUrls: ['http://pki.example/ca/root.der'],
  });
  const intermediate = {
    signer: createSigner(intermediateKey.pkcs8Der),
    template: issuerTemplateFromCertificate(intermediateDer, 'ecdsa-sha256'),
  };
  const leaves = new Map<string, Uint8Array>();
  const file = (name: string) => join(dir, name);

  before(() => {
    requireTool('openssl', ['version'], 'the openssl CLI (OpenSSL 3)');
    requireTool('python3', ['-c', 'import cryptography'], 'python3 with the `cryptography` package (pip install cryptography)');
    dir = mkdtempSync(join(tmpdir(), 'signet-crypto-e2e-'));
    writeFileSync(file('root.pem'), derToPem(root.certDer, 'CERTIFICATE'));
    writeFileSync(file('chain.pem'), derToPem(intermediateDer, 'CERTIFICATE'));
    writeFileSync(file('intermediate.der'), intermediateDer);
    writeFileSync(file('root.der'), root.certDer);
    for (const name of acceptedCsrs) {
      const result = issueFromCsr({
        csrDer: loadCsr(name),
        template: intermediate.template,
        signer: intermediate.signer,
        decide: (facts) => leafContent(facts, { notBefore: Date.now() - 60_000, notAfter: Date.now() + 30 * DAY }),
      });
      assert.ok(result.ok, result.ok ? '' : result.message);
      leaves.set(name, result.certDer);
      writeFileSync(file(`${name}.pem`), derToPem(result.certDer, 'CERTIFICATE'));
      writeFileSync(file(`${name}.der`), result.certDer);
    }
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('openssl verify accepts every leaf through the intermediate, in strict X.509 mode', () => {
    for (const name of acceptedCsrs) {
      const output = openssl('verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', file('root.pem'), '-untrusted', file('chain.pem'), file(`${name}.pem`));
      assert.match(output, new RegExp(`${name}\\.pem: OK`));
    }
  });

  it('openssl verify refuses a leaf without the intermediate', () => {
    const result = spawnSync('openssl', ['verify', '-CAfile', file('root.pem'), file('p256-full.pem')], { encoding: 'utf8' });
    assert.notEqual(result.status, 0);
  });

  it('openssl x509 -text shows the extensions we wrote', () => {
    const text = openssl('x509', '-in', file('p256-full.pem'), '-noout', '-text');
    for (const expected of [
      /X509v3 Subject Key Identifier/,
      /X509v3 Authority Key Identifier/,
      /X509v3 Basic Constraints: critical\s+CA:FALSE/,
      /X509v3 Key Usage: critical\s+Digital Signature/,
      /X509v3 Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/,
      /DNS:device-01\.example\.com, DNS:\*\.device-01\.example\.com, IP Address:192\.0\.2\.10, IP Address:2001:DB8:0:0:0:0:0:42, email:device@example\.com, URI:urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66, othername: UPN::device01@example\.com/,
      /CRL Distribution Points:\s+Full Name:\s+URI:http:\/\/pki\.example\/crl\/root\.crl/,
      /OCSP - URI:http:\/\/pki\.example\/ocsp/,
      /CA Issuers - URI:http:\/\/pki\.example\/ca\/root\.der/,
      /Subject: C ?= ?DE, ST ?= ?Bayern, L ?= ?M(ü|\\C3\\BC)nchen, O ?= ?Acme Ltd, OU ?= ?Devices, CN ?= ?device-01\.example\.com/,
    ]) {
      assert.match(text, expected);
    }
    const ca = openssl('x509', '-in', file('chain.pem'), '-noout', '-text');
    assert.match(ca, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(ca, /X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    const empty = openssl('x509', '-in', file('empty-subject.pem'), '-noout', '-text');
    assert.match(empty, /X509v3 Subject Alternative Name: critical\s+DNS:nosubject\.example/);
  });

  it('openssl pkcs7 -print_certs reads our certs-only PKCS#7', () => {
    const leaf = leaves.get('rsa2048')!;
    writeFileSync(file('certs.p7b'), encodeCertsOnlyPkcs7([leaf, intermediateDer]));
    const printed = openssl('pkcs7', '-print_certs', '-inform', 'DER', '-in', file('certs.p7b'));
    assert.equal(printed.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2);
    const blocks = printed.split(/(?=-----BEGIN CERTIFICATE-----)/).filter((b) => b.includes('BEGIN'));
    assert.deepEqual(blocks.map((b) => hex(pemToDer(b, 'CERTIFICATE'))), [hex(leaf), hex(intermediateDer)]);
    assert.match(printed, /subject=.*CN ?= ?device-01\.example\.com/);
  });

  it('python cryptography loads every certificate and agrees with parseCertificate', () => {
    const names = [...acceptedCsrs];
    const views = pythonRead(names.map((n) => file(`${n}.der`)));
    names.forEach((name, i) => {
      const ours = parseCertificate(leaves.get(name)!);
      const view = views[i];
      assert.equal(view.serial, ours.serialHex.replace(/^0+/, ''), name);
      assert.equal(view.not_after * 1000, ours.notAfter, name);
      assert.deepEqual(view.sans, ours.sans.map((s) => [s.type, s.type === 'other' ? 'OtherName' : s.value]), name);
      assert.equal(view.san_critical, ours.sans.length ? ours.subject.length === 0 : null, name);
      assert.equal(view.ca, false);
      assert.equal(view.digital_signature, true);
      assert.deepEqual(view.eku, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
      assert.equal(view.ski, hex(ours.subjectKeyId!));
      assert.equal(view.aki, hex(ours.authorityKeyId!));
      assert.deepEqual(view.ocsp, ['http://pki.example/ocsp']);
      assert.deepEqual(view.crl, ['http://pki.example/crl/root.crl']);
    });
    // Python spells emailAddress as its dotted OID (RFC 4514 has no short name for it); the rest must match.
    const p256 = views[names.indexOf('p256-full')];
    const ourSubject = formatName(parseCertificate(leaves.get('p256-full')!).subject);
    assert.equal(p256.subject.replace('1.2.840.113549.1.9.1=', 'emailAddress='), ourSubject);
  });

  it('python cryptography verifies the chain leaf -> intermediate -> root', () => {
    const [leaf, ca, self] = pythonRead([file('p384.der'), file('intermediate.der'), file('root.der')], true);
    assert.equal(leaf.issued_by_next, true);
    assert.equal(ca.issued_by_next, true);
    assert.equal(ca.ca, true);
    assert.equal(ca.path_length, 0);
    assert.equal(ca.key_cert_sign, true);
    assert.equal(self.aki, self.ski);
    assert.equal(leaf.aki, ca.ski);
  });

  it('CAs with every key type, and the noble signer, sign chains openssl and python accept', () => {
    const cases: [string, ReturnType<typeof makeRootCa>][] = [
      ['p384', makeRootCa({ kind: 'ec', curve: 'P-384' })],
      ['ed25519', makeRootCa({ kind: 'ed25519' })],
      ['rsa', makeRootCa({ kind: 'rsa', bits: 2048 })],
      ['noble-p256', makeRootCa({ kind: 'ec', curve: 'P-256' }, 'noble')],
      ['noble-ed25519', makeRootCa({ kind: 'ed25519' }, 'noble')],
    ];
    for (const [label, ca] of cases) {
      const leafDer = signCertificate(ca.template, ca.signer, leafContent(csrFacts(parseCsr(loadCsr('p256-full'))), { notBefore: Date.now() - 60_000, notAfter: Date.now() + DAY }));
      writeFileSync(file(`${label}-ca.pem`), derToPem(ca.certDer, 'CERTIFICATE'));
      writeFileSync(file(`${label}-ca.der`), ca.certDer);
      writeFileSync(file(`${label}-leaf.pem`), derToPem(leafDer, 'CERTIFICATE'));
      writeFileSync(file(`${label}-leaf.der`), leafDer);
      assert.match(openssl('verify', '-x509_strict', '-CAfile', file(`${label}-ca.pem`), file(`${label}-leaf.pem`)), /OK/, label);
      const [leaf] = pythonRead([file(`${label}-leaf.der`), file(`${label}-ca.der`)], true);
      assert.equal(leaf.issued_by_next, true, label);
    }
  });

  it('issues under an openssl-made CA whose SKI is not the SHA-1 of its key, and openssl verifies the chain', () => {
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', file('foreign.key'));
    openssl(
      'req', '-x509', '-new', '-key', file('foreign.key'), '-subj', '/O=Elsewhere/CN=Foreign Root', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-addext', 'subjectKeyIdentifier=0102030405060708', '-addext', 'authorityKeyIdentifier=none', '-out', file('foreign.pem'),
    );
    const foreignDer = pemToDer(readFileSync(file('foreign.pem'), 'utf8'), 'CERTIFICATE');
    const foreign = parseCertificate(foreignDer);
    assert.equal(hex(foreign.subjectKeyId!), '0102030405060708');
    assert.equal(foreign.serialHex.replace(/^0+/, ''), openssl('x509', '-in', file('foreign.pem'), '-noout', '-serial').trim().replace(/^serial=0*/, '').toLowerCase());
    const pkcs8 = pemToDer(openssl('pkey', '-in', file('foreign.key')), 'PRIVATE KEY');
    const signer = createSigner(pkcs8);
    const template = issuerTemplateFromCertificate(foreignDer, signer.algorithm);
    const leafDer = signCertificate(template, signer, leafContent(csrFacts(parseCsr(loadCsr('ed25519'))), { notBefore: Date.now() - 60_000, notAfter: Date.now() + DAY }));
    writeFileSync(file('foreign-leaf.pem'), derToPem(leafDer, 'CERTIFICATE'));
    assert.match(openssl('verify', '-x509_strict', '-CAfile', file('foreign.pem'), file('foreign-leaf.pem')), /OK/);
    assert.equal(hex(parseCertificate(leafDer).authorityKeyId!), '0102030405060708');
  });
});
