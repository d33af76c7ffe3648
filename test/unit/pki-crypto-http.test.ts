import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildCsr } from '../../src/crypto/csr-builder.js';
import { parseCsr, verifyCsr } from '../../src/crypto/csr.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { decodeUtf8OtherName, encodeUtf8OtherName } from '../../src/crypto/other-name.js';
import { derToPem } from '../../src/crypto/pem.js';
import { exportPrivateKey, readPrivateKeys, samePublicKey } from '../../src/crypto/private-key.js';
import { createSigner } from '../../src/crypto/signer.js';
import { FieldData } from '../../src/http/pki/fields.js';
import { matchesPathPattern } from '../../src/http/pki/framework.js';
import { ListMethodRewriter, rewriteRequestHead } from '../../src/http/pki/list-method.js';
import { listResponse } from '../../src/http/pki/responses.js';
import { openssl, python } from '../support/tools.js';

describe('CSR builder', () => {
  for (const spec of [{ kind: 'ec', curve: 'P-256' }, { kind: 'rsa', bits: 2048 }, { kind: 'ed25519' }] as const) {
    test(`a ${spec.kind} request our parser, openssl and python all accept`, () => {
      const signer = createSigner(generateKeyPair(spec).pkcs8Der);
      const upn = encodeUtf8OtherName('1.3.6.1.4.1.311.20.2.3', 'ops@example.com');
      const der = buildCsr(signer, {
        subject: [{ type: 'O', value: 'Example' }, { type: 'CN', value: 'Intermediate CA' }],
        sans: [{ type: 'dns', value: 'ca.example.com' }, upn],
        requestCa: true,
      });
      const parsed = parseCsr(der);
      verifyCsr(parsed);
      assert.deepEqual(parsed.subject, [{ type: 'O', value: 'Example' }, { type: 'CN', value: 'Intermediate CA' }]);
      assert.equal(parsed.sans[0].value, 'ca.example.com');
      assert.deepEqual(decodeUtf8OtherName(parsed.sans[1]), { oid: '1.3.6.1.4.1.311.20.2.3', value: 'ops@example.com' });
      const pem = derToPem(der, 'CERTIFICATE REQUEST');
      assert.match(openssl(['req', '-verify', '-noout', '-text'], Buffer.from(pem)), /CA:TRUE/);
      const py = python(
        `import sys\nfrom cryptography import x509\nr = x509.load_pem_x509_csr(sys.stdin.buffer.read())\nassert r.is_signature_valid\nprint(r.subject.rfc4514_string())`,
        pem,
      );
      assert.equal(py.trim(), 'CN=Intermediate CA,O=Example');
    });
  }

  test('an empty subject needs no CN; no SANs means an empty attribute set', () => {
    const signer = createSigner(generateKeyPair({ kind: 'ec', curve: 'P-256' }).pkcs8Der);
    const parsed = parseCsr(buildCsr(signer, { subject: [] }));
    verifyCsr(parsed);
    assert.deepEqual(parsed.subject, []);
    assert.deepEqual(parsed.requestedExtensions, []);
  });
});

describe('private keys at the API edge', () => {
  test("OpenBao's formats: PKCS#1 for RSA, SEC1 for EC, PKCS#8 for Ed25519 or on request; all read back", () => {
    const rsa = generateKeyPair({ kind: 'rsa', bits: 2048 }).pkcs8Der;
    const ec = generateKeyPair({ kind: 'ec', curve: 'P-384' }).pkcs8Der;
    const ed = generateKeyPair({ kind: 'ed25519' }).pkcs8Der;
    assert.match(exportPrivateKey(rsa, 'pem', 'der'), /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.match(exportPrivateKey(ec, 'pem', 'der'), /^-----BEGIN EC PRIVATE KEY-----/);
    assert.match(exportPrivateKey(ed, 'pem', 'der'), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(exportPrivateKey(ec, 'pem', 'pkcs8'), /^-----BEGIN PRIVATE KEY-----/);
    const bundle = [rsa, ec, ed].map((k) => exportPrivateKey(k, 'pem', 'der')).join('');
    const read = readPrivateKeys(bundle);
    assert.deepEqual(read.map((k) => k.spec.kind), ['rsa', 'ec', 'ed25519']);
    assert.ok(samePublicKey(createSigner(read[1].pkcs8Der).spkiDer, createSigner(ec).spkiDer));
    assert.ok(!samePublicKey(createSigner(read[0].pkcs8Der).spkiDer, createSigner(ec).spkiDer));
    assert.match(openssl(['pkey', '-noout', '-text'], Buffer.from(exportPrivateKey(ec, 'pem', 'der'))), /P-384|secp384r1/);
    assert.equal(Buffer.from(exportPrivateKey(ed, 'der', 'der'), 'base64').length > 0, true);
  });
});

describe('LIST method rewriter', () => {
  test('rewrites LIST request lines only, across chunk splits and keep-alive bodies', () => {
    const post = 'POST /v1/pki/roles/web HTTP/1.1\r\nContent-Length: 19\r\n\r\n{"x":"LIST /v1/a "}';
    const list = 'LIST /v1/pki/roles HTTP/1.1\r\nHost: x\r\n\r\n';
    const input = Buffer.from(post + list);
    for (const split of [1, 7, 40, 70, input.length]) {
      const rewriter = new ListMethodRewriter();
      const out = Buffer.concat([rewriter.push(input.subarray(0, split)), rewriter.push(input.subarray(split))]).toString('latin1');
      assert.equal(out, `${post}GET /v1/pki/roles HTTP/1.1\r\nx-signet-method: LIST\r\nHost: x\r\n\r\n`, `split at ${split}`);
    }
  });

  test('stops rewriting after a chunked request', () => {
    const head = rewriteRequestHead(Buffer.from('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'));
    assert.equal(head.bodyLength, undefined);
    const rewriter = new ListMethodRewriter();
    const rest = 'LIST / HTTP/1.1\r\n\r\n';
    assert.equal(rewriter.push(Buffer.from(`POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${rest}`)).toString().endsWith(rest), true);
  });
});

describe('OpenBao fields and paths', () => {
  test('fields convert like OpenBao framework types', () => {
    const data = new FieldData(
      { ttl: { type: 'duration' }, flag: { type: 'bool' }, names: { type: 'commaStringSlice' }, bits: { type: 'int', default: 0 }, other: { type: 'string', default: 'd' } },
      { ttl: '1h30m', flag: 'true', names: 'a.example.com, b.example.com', bits: '384', stray: 1 },
    );
    assert.equal(data.int('ttl'), 5400);
    assert.equal(data.bool('flag'), true);
    assert.deepEqual(data.list('names'), ['a.example.com', 'b.example.com']);
    assert.equal(data.int('bits'), 384);
    assert.equal(data.string('other'), 'd');
    assert.equal(data.has('other'), false);
    assert.deepEqual(data.unknown, ['stray']);
    assert.throws(() => new FieldData({ flag: { type: 'bool' } }, { flag: 'maybe' }), /field "flag"/);
    assert.throws(() => new FieldData({ ttl: { type: 'duration' } }, { ttl: 'soon' }), /field "ttl"/);
  });

  test('unauthenticated table patterns: * prefixes, + segments', () => {
    assert.ok(matchesPathPattern('cert/*', 'cert/ab:cd/raw'));
    assert.ok(matchesPathPattern('issuer/+/pem', 'issuer/root-x1/pem'));
    assert.ok(!matchesPathPattern('issuer/+/pem', 'issuer/root-x1/json'));
    assert.ok(matchesPathPattern('issuers/', 'issuers/'));
    assert.ok(!matchesPathPattern('issuers/', 'issuers'));
  });

  test('LIST pages with after and limit', () => {
    const data = new FieldData({ after: { type: 'string' }, limit: { type: 'int' } }, { after: 'b', limit: 2 });
    assert.deepEqual(listResponse(['d', 'a', 'c', 'b', 'e'], data).data, { keys: ['c', 'd'] });
  });
});
