import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLogger } from '../../src/app/logger.js';
import { connectionPeer, listenUnixSocket } from '../../src/http/certd/listener.js';
import { CERTD_DEFAULT_GROUP, lookupGroup, resolveSocketGroup } from '../../src/http/certd/socket-group.js';
import { PYTHON } from '../support/tools.js';
import { tempDir } from '../support/server.js';

const logger = createLogger('silent');
const ownGroup = { gid: process.getgid!(), name: 'own' };

function get(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ socketPath: path, path: '/' }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

describe('certd Unix socket listener', () => {
  const dir = tempDir('signet-certd-listener-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('listens with mode 0660, knows each peer, and removes its socket on close', async () => {
    const path = join(dir, 'a.sock');
    const listener = await listenUnixSocket(path, ownGroup, (req, res) => res.end(JSON.stringify(connectionPeer(req.socket))), logger);
    assert.equal(statSync(path).mode & 0o777, 0o660);
    assert.deepEqual(JSON.parse(await get(path)), { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    await listener.close();
    assert.ok(!existsSync(path));
  });

  test('replaces a stale socket file left by a process that is gone', async () => {
    const path = join(dir, 'stale.sock');
    // Python does not unlink a bound socket when it exits: what a crashed server leaves behind.
    execFileSync(PYTHON, ['-c', `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(path)}); s.listen()`]);
    assert.ok(lstatSync(path).isSocket());
    const listener = await listenUnixSocket(path, ownGroup, (_req, res) => res.end('fresh'), logger);
    assert.equal(await get(path), 'fresh');
    await listener.close();
  });

  test('refuses to take over a live socket or to replace a file that is not a socket', async () => {
    const path = join(dir, 'live.sock');
    const first = await listenUnixSocket(path, ownGroup, (_req, res) => res.end('first'), logger);
    await assert.rejects(listenUnixSocket(path, ownGroup, (_req, res) => res.end('second'), logger), /another process is already serving/);
    assert.equal(await get(path), 'first');
    await first.close();

    const file = join(dir, 'plain.sock');
    writeFileSync(file, 'not a socket');
    await assert.rejects(listenUnixSocket(file, ownGroup, (_req, res) => res.end(), logger), /is not a socket; refusing to replace it/);
    assert.equal(statSync(file).isFile(), true);
  });
});

describe('certd socket group', () => {
  test('a configured group by name or number; an unknown name is an error', () => {
    assert.deepEqual(resolveSocketGroup('users'), { gid: 100, name: 'users' });
    assert.deepEqual(resolveSocketGroup('100'), { gid: 100, name: 'users' });
    assert.deepEqual(resolveSocketGroup('54321'), { gid: 54321, name: '54321' });
    assert.throws(() => resolveSocketGroup('no-such-group-here'), /socket group "no-such-group-here" does not exist/);
  });

  test("unconfigured: aziotcs when the system has it, else the process's own group", { skip: process.getuid?.() === 0 ? false : 'needs root to create the aziotcs group' }, () => {
    const existed = lookupGroup(CERTD_DEFAULT_GROUP) !== undefined;
    if (!existed) {
      assert.equal(resolveSocketGroup(undefined).gid, process.getgid!());
      execFileSync('groupadd', [CERTD_DEFAULT_GROUP]);
    }
    try {
      assert.equal(resolveSocketGroup(undefined).name, CERTD_DEFAULT_GROUP);
    } finally {
      if (!existed) execFileSync('groupdel', [CERTD_DEFAULT_GROUP]);
    }
  });
});
