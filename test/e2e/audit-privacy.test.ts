/** Secrets never reach the event log in clear: the raw SQLite files are searched for them byte by byte. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { OtpService } from '../../src/app/otp-service.js';
import { hashSecret } from '../../src/app/secrets.js';
import { EstProfileService } from '../../src/app/est/profile-service.js';
import { unwrapPrivateKey } from '../../src/crypto/keywrap.js';
import { decodePem } from '../../src/crypto/pem.js';
import { startTestServer } from '../support/server.js';

test('the raw event log holds no OTP, API token, Basic password or private key in clear; only hashes and wrapped keys', async () => {
  const server = await startTestServer({ env: { SIGNET_AUDIT_TREE_HEAD_INTERVAL: '0' } });
  try {
    const { core } = server;
    const otp = await new OtpService(core.commands).create({ label: 'privacy', ttl: '1h', maxUses: 1 }, { actor: 'test' });
    const password = 'correct-horse-battery-staple';
    await new EstProfileService(core).create({ name: 'privacy', auth_methods: ['basic'], basic_users: [{ username: 'line-7', password }] }, { actor: 'test' });
    await core.runner.waitFor(await core.store.headPosition());

    const tlsKeyDer = decodePem(server.boot.tls.keyPem)[0].der;
    const caKeys = core.queries.issuers.keys().map((key) => unwrapPrivateKey(key.wrapped, core.kek, key.keyId));
    assert.ok(caKeys.length >= 2);

    // Everything SQLite has written for the log: the database and its write-ahead log.
    const raw = Buffer.concat(readdirSync(server.dataDir).filter((name) => name.startsWith('events.db')).map((name) => readFileSync(join(server.dataDir, name))));
    const contains = (text: string | Uint8Array) => raw.includes(Buffer.from(text));
    assert.ok(contains(hashSecret(otp.token)), 'the OTP hash is there: the search looks at the right bytes');
    assert.ok(contains('$scrypt$'), 'the Basic password is there as an scrypt hash');

    const secrets: Record<string, string | Uint8Array> = {
      'the OTP': otp.token,
      'the root API token': server.boot.rootToken,
      'the Basic password': password,
      'a PEM private key': 'PRIVATE KEY-----',
      'the KEK (base64)': Buffer.from(core.kek).toString('base64'),
      'the KEK (raw)': core.kek,
      'the TLS private key (DER)': tlsKeyDer,
      'the TLS private key (base64)': Buffer.from(tlsKeyDer).toString('base64'),
    };
    caKeys.forEach((der, i) => {
      secrets[`private key ${i} (DER)`] = der;
      secrets[`private key ${i} (base64)`] = Buffer.from(der).toString('base64');
    });
    for (const [what, secret] of Object.entries(secrets)) assert.equal(contains(secret), false, `${what} is in the event log`);
  } finally {
    await server.stop();
  }
});
