import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadPeercredAddon, peerCredentialsOf, PeercredUnavailableError, type PeerCredentials } from '../../src/certd/peercred.js';
import { tempDir } from '../support/server.js';

describe('peer credentials (SO_PEERCRED)', () => {
  const dir = tempDir('signet-peercred-');
  const path = join(dir, 's');
  let server: Server;
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const nextPeer = () =>
    new Promise<PeerCredentials>((resolve, reject) => {
      server.once('connection', (socket: Socket) => {
        try {
          resolve(peerCredentialsOf(socket));
        } catch (error) {
          reject(error);
        } finally {
          socket.destroy();
        }
      });
    });

  test('names the process that connected, as the kernel saw it', async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const peer = nextPeer();
    const child = spawn(process.execPath, ['-e', `require('net').connect(${JSON.stringify(path)}).on('close', () => process.exit(0)).on('error', () => process.exit(1))`]);
    const credentials = await peer;
    assert.equal(credentials.pid, child.pid, 'the pid of the connecting child, not ours');
    assert.equal(credentials.uid, process.getuid!());
    assert.equal(credentials.gid, process.getgid!());
    await new Promise((resolve) => child.once('exit', resolve));
  });

  test('refuses a socket that has no descriptor any more', async () => {
    const peer = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = spawn(process.execPath, ['-e', `require('net').connect(${JSON.stringify(path)}).on('close', () => process.exit(0))`]);
    const socket = await peer;
    socket.destroy();
    assert.throws(() => peerCredentialsOf(socket), /no file descriptor/);
    await new Promise((resolve) => client.once('exit', resolve));
  });
});

describe('peercred addon loading', () => {
  test('a missing or broken build is a clear error that says how to build it', () => {
    const dir = tempDir('signet-peercred-load-');
    try {
      const missing = join(dir, 'peercred.node');
      assert.throws(() => loadPeercredAddon(missing), (error: unknown) => error instanceof PeercredUnavailableError && error.message.includes('does not exist') && error.message.includes('npm install'));
      writeFileSync(missing, 'not a shared object');
      assert.throws(() => loadPeercredAddon(missing), (error: unknown) => error instanceof PeercredUnavailableError && /failed to load/.test(error.message) && /enabled = false/.test(error.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
