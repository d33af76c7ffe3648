/** OCSP encoding (src/crypto/ocsp.ts): requests made by openssl parse, responses we build satisfy openssl and python. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { parseCertificate } from '../../src/crypto/certificate.js';
import { CryptoInputError } from '../../src/crypto/errors.js';
import {
  assembleOcspResponse,
  encodeOcspRequest,
  encodeResponseData,
  issuerCertIdHashes,
  ocspStatusResponse,
  parseOcspRequest,
  responderKeyHash,
  type OcspCertStatus,
} from '../../src/crypto/ocsp.js';
import { derToPem } from '../../src/crypto/pem.js';
import { NOW, makeRootCa } from '../fixtures/crypto/helpers.js';
import { openssl, python } from '../support/tools.js';

const ca = makeRootCa();
const caCert = parseCertificate(ca.certDer);
const dir = mkdtempSync(join(tmpdir(), 'signet-ocsp-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, derToPem(ca.certDer, 'CERTIFICATE'));
after(() => rmSync(dir, { recursive: true, force: true }));

function opensslRequest(serial: string, options: string[] = []): Uint8Array {
  const file = join(dir, `req-${serial}.der`);
  openssl(['ocsp', ...options, '-issuer', caFile, '-serial', `0x${serial}`, '-reqout', file]);
  return readFileSync(file);
}

function respond(requestDer: Uint8Array, certStatus: OcspCertStatus, thisUpdate = Date.now() - 60_000): Uint8Array {
  const request = parseOcspRequest(requestDer);
  const data = encodeResponseData({
    responderKeyHash: responderKeyHash(caCert.spkiDer),
    producedAt: thisUpdate,
    responses: request.certIds.map((id) => ({ certIdDer: id.der, certStatus, thisUpdate, nextUpdate: thisUpdate + 3_600_000 })),
    nonceExtension: request.nonceExtension,
  });
  return assembleOcspResponse(data, ca.signer.algorithm, ca.signer.sign(data));
}

/** openssl checks the response against the request (signature, nonce), then prints the status for the serial. */
function opensslCheck(serial: string, requestDer: Uint8Array, responseDer: Uint8Array): string {
  const reqFile = join(dir, `check-req-${serial}.der`);
  const respFile = join(dir, `check-resp-${serial}.der`);
  writeFileSync(reqFile, requestDer);
  writeFileSync(respFile, responseDer);
  const verified = spawnSync('openssl', ['ocsp', '-reqin', reqFile, '-respin', respFile, '-issuer', caFile, '-CAfile', caFile], { encoding: 'utf8' });
  assert.equal(verified.status, 0, verified.stderr);
  assert.match(verified.stderr, /Response verify OK/);
  assert.doesNotMatch(verified.stderr, /nonce/i);
  return openssl(['ocsp', '-respin', respFile, '-issuer', caFile, '-CAfile', caFile, '-no_nonce', '-serial', `0x${serial}`]);
}

describe('OCSP encoding', () => {
  it('parses an openssl request: CertID hashes match the issuer, the serial and the nonce come through', () => {
    const request = parseOcspRequest(opensslRequest('0a1b2c'));
    assert.equal(request.certIds.length, 1);
    const [id] = request.certIds;
    assert.equal(id.serialHex, '0a1b2c');
    assert.equal(id.hash, 'sha1');
    const expected = issuerCertIdHashes(caCert.subjectDer, caCert.spkiDer, 'sha1');
    assert.deepEqual(Buffer.from(id.issuerNameHash), Buffer.from(expected.nameHash));
    assert.deepEqual(Buffer.from(id.issuerKeyHash), Buffer.from(expected.keyHash));
    assert.ok(request.nonceExtension, 'openssl sends a nonce by default');
    assert.equal(parseOcspRequest(opensslRequest('0a1b2d', ['-no_nonce'])).nonceExtension, undefined);
    assert.equal(parseOcspRequest(opensslRequest('0a1b2e', ['-no_nonce', '-sha256'])).certIds[0].hash, 'sha256');
  });

  it('openssl accepts good, revoked (with reason) and unknown responses and checks the echoed nonce', () => {
    const good = opensslRequest('01');
    assert.match(opensslCheck('01', good, respond(good, { status: 'good' })), /0x01: good/);
    const revoked = opensslRequest('02');
    const revokedText = opensslCheck('02', revoked, respond(revoked, { status: 'revoked', revokedAt: NOW, reasonCode: 1 }));
    assert.match(revokedText, /0x02: revoked/);
    assert.match(revokedText, /Reason: keyCompromise/);
    const unknown = opensslRequest('03');
    assert.match(opensslCheck('03', unknown, respond(unknown, { status: 'unknown' })), /0x03: unknown/);
  });

  it('openssl notices a nonce that was not echoed', () => {
    const request = opensslRequest('04');
    const withoutNonce = parseOcspRequest(request);
    const data = encodeResponseData({
      responderKeyHash: responderKeyHash(caCert.spkiDer),
      producedAt: Date.now(),
      responses: [{ certIdDer: withoutNonce.certIds[0].der, certStatus: { status: 'good' }, thisUpdate: Date.now() - 1000 }],
    });
    const reqFile = join(dir, 'nn-req.der');
    const respFile = join(dir, 'nn-resp.der');
    writeFileSync(reqFile, request);
    writeFileSync(respFile, assembleOcspResponse(data, ca.signer.algorithm, ca.signer.sign(data)));
    const out = spawnSync('openssl', ['ocsp', '-reqin', reqFile, '-respin', respFile, '-issuer', caFile, '-CAfile', caFile], { encoding: 'utf8' });
    assert.match(out.stderr, /WARNING: no nonce in response/);
  });

  it('python cryptography loads the response: status, serial, reason and nonce', () => {
    const request = encodeOcspRequest([{ hash: 'sha256', ...renameHashes(issuerCertIdHashes(caCert.subjectDer, caCert.spkiDer, 'sha256')), serialHex: '7f01' }], Uint8Array.of(1, 2, 3, 4));
    const der = respond(request, { status: 'revoked', revokedAt: NOW, reasonCode: 4 });
    const script = `
import sys, json
from cryptography.x509 import ocsp
r = ocsp.load_der_ocsp_response(sys.stdin.buffer.read())
print(json.dumps({"status": r.response_status.name, "cert": r.certificate_status.name, "serial": format(r.serial_number, "x"),
  "reason": r.revocation_reason.name, "nonce": [e.value.nonce.hex() for e in r.extensions][0], "key_hash": r.responder_key_hash.hex()}))
`;
    const out = JSON.parse(python(script, der)) as Record<string, string>;
    assert.deepEqual(out, { status: 'SUCCESSFUL', cert: 'REVOKED', serial: '7f01', reason: 'superseded', nonce: '01020304', key_hash: Buffer.from(responderKeyHash(caCert.spkiDer)).toString('hex') });
  });

  it('status-only responses are the bare ENUMERATED that clients expect', () => {
    assert.deepEqual([...ocspStatusResponse('malformedRequest')], [0x30, 0x03, 0x0a, 0x01, 0x01]);
    assert.deepEqual([...ocspStatusResponse('unauthorized')], [0x30, 0x03, 0x0a, 0x01, 0x06]);
    const out = python('import sys\nfrom cryptography.x509 import ocsp\nprint(ocsp.load_der_ocsp_response(sys.stdin.buffer.read()).response_status.name)', ocspStatusResponse('unauthorized'));
    assert.equal(out.trim(), 'UNAUTHORIZED');
  });

  it('rejects garbage and unsupported hash algorithms with CryptoInputError', () => {
    assert.throws(() => parseOcspRequest(Uint8Array.of(0x30, 0x00)), CryptoInputError);
    assert.throws(() => parseOcspRequest(Uint8Array.of(1, 2, 3)), CryptoInputError);
    const md5 = mdRequest();
    assert.throws(() => parseOcspRequest(md5), (error: unknown) => error instanceof CryptoInputError && error.code === 'unsupported_algorithm');
  });
});

function mdRequest(): Uint8Array {
  const file = join(dir, 'req-md5.der');
  openssl(['ocsp', '-md5', '-issuer', caFile, '-serial', '0x05', '-no_nonce', '-reqout', file]);
  return readFileSync(file);
}

function renameHashes(h: { nameHash: Uint8Array; keyHash: Uint8Array }) {
  return { issuerNameHash: h.nameHash, issuerKeyHash: h.keyHash };
}
