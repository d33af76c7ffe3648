import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KeyWrapError } from '../../src/crypto/errors.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { loadOrCreateKek, parseKek, unwrapPrivateKey, wrapPrivateKey } from '../../src/crypto/keywrap.js';
import { createSigner } from '../../src/crypto/signer.js';

const code = (c: string) => (e: unknown) => e instanceof KeyWrapError && e.code === c;
const kek = new Uint8Array(randomBytes(32));
const { pkcs8Der } = generateKeyPair({ kind: 'ec', curve: 'P-256' });

describe('key wrap', () => {
  it('round-trips a private key, with a fresh IV each time', () => {
    const wrapped = wrapPrivateKey(pkcs8Der, kek, 'key-1');
    assert.match(wrapped, /^[A-Za-z0-9+/]+=*$/);
    assert.equal(Buffer.from(wrapped, 'base64')[0], 1, 'version byte');
    assert.notEqual(wrapPrivateKey(pkcs8Der, kek, 'key-1'), wrapped);
    const unwrapped = unwrapPrivateKey(wrapped, kek, 'key-1');
    assert.deepEqual(unwrapped, pkcs8Der);
    assert.doesNotThrow(() => createSigner(unwrapped));
  });

  it('fails with unwrap_failed for a wrong KEK, a wrong key id, or any flipped bit', () => {
    const wrapped = wrapPrivateKey(pkcs8Der, kek, 'key-1');
    assert.throws(() => unwrapPrivateKey(wrapped, new Uint8Array(randomBytes(32)), 'key-1'), code('unwrap_failed'));
    assert.throws(() => unwrapPrivateKey(wrapped, kek, 'key-2'), code('unwrap_failed'));
    const blob = Buffer.from(wrapped, 'base64');
    for (const at of [1, 13, 29, blob.length - 1]) {
      const tampered = Buffer.from(blob);
      tampered[at] ^= 0x01;
      assert.throws(() => unwrapPrivateKey(tampered.toString('base64'), kek, 'key-1'), code('unwrap_failed'), `byte ${at}`);
    }
  });

  it('fails with bad_format for unknown versions and non-blobs', () => {
    const blob = Buffer.from(wrapPrivateKey(pkcs8Der, kek, 'k'), 'base64');
    blob[0] = 2;
    assert.throws(() => unwrapPrivateKey(blob.toString('base64'), kek, 'k'), code('bad_format'));
    assert.throws(() => unwrapPrivateKey('not a blob!', kek, 'k'), code('bad_format'));
    assert.throws(() => unwrapPrivateKey('AAAA', kek, 'k'), code('bad_format'));
  });

  it('insists on a 32-byte KEK', () => {
    assert.throws(() => wrapPrivateKey(pkcs8Der, kek.subarray(0, 16), 'k'), code('bad_kek'));
  });
});

describe('KEK loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-kek-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('parses base64, base64url and hex KEKs', () => {
    assert.deepEqual(parseKek(Buffer.from(kek).toString('base64')), kek);
    assert.deepEqual(parseKek(Buffer.from(kek).toString('base64url')), kek);
    assert.deepEqual(parseKek(`${Buffer.from(kek).toString('hex').toUpperCase()}\n`), kek);
    assert.throws(() => parseKek('c2hvcnQ='), code('bad_kek'));
    assert.throws(() => parseKek('zz'.repeat(32)), code('bad_kek'));
  });

  it('prefers SIGNET_KEK over the file', () => {
    const loaded = loadOrCreateKek(dir, Buffer.from(kek).toString('hex'));
    assert.deepEqual(loaded, { kek, source: 'env', insecurePermissions: false });
  });

  it('creates <dataDir>/kek with mode 0600, then reads the same KEK back', () => {
    const created = loadOrCreateKek(dir);
    assert.equal(created.source, 'created');
    assert.equal(created.kek.length, 32);
    assert.equal(statSync(join(dir, 'kek')).mode & 0o777, 0o600);
    const again = loadOrCreateKek(dir, '');
    assert.equal(again.source, 'file');
    assert.deepEqual(again.kek, created.kek);
    assert.equal(again.insecurePermissions, false);
    assert.match(readFileSync(join(dir, 'kek'), 'utf8'), /^[A-Za-z0-9+/]{43}=\n$/);
  });

  it('flags a KEK file readable by group or others', () => {
    chmodSync(join(dir, 'kek'), 0o644);
    assert.equal(loadOrCreateKek(dir).insecurePermissions, true);
  });

  it('refuses a corrupt KEK file', () => {
    const other = mkdtempSync(join(tmpdir(), 'signet-kek-'));
    writeFileSync(join(other, 'kek'), 'garbage', { mode: 0o600 });
    assert.throws(() => loadOrCreateKek(other), code('bad_kek'));
    rmSync(other, { recursive: true, force: true });
  });
});
