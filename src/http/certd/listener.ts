/**
 * HTTP on a Unix domain socket for certd: mode 0660 and a chosen group, so only the owner and the group's members
 * can connect; each connection's peer credentials are read from the kernel as it is accepted.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { Logger } from '../../app/logger.js';
import { loadPeercred, peerCredentialsOf, type PeerCredentials } from '../../certd/peercred.js';
import type { RequestHandler } from '../listeners.js';
import type { SocketGroup } from './socket-group.js';

export const CERTD_SOCKET_MODE = 0o660;

export interface UnixSocketListener {
  path: string;
  server: Server;
  group: SocketGroup;
  close(): Promise<void>;
}

const peers = new WeakMap<Socket, PeerCredentials>();

/** Who connected this socket, as the kernel recorded it when the connection was accepted. */
export function connectionPeer(socket: Socket): PeerCredentials | undefined {
  return peers.get(socket);
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** A socket file left by a process that is gone is removed; a live one, or anything that is not a socket, is not. */
async function removeStaleSocket(path: string, logger: Logger): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stat.isSocket()) throw new Error(`certd: ${path} exists and is not a socket; refusing to replace it`);
  if (await canConnect(path)) throw new Error(`certd: another process is already serving ${path}`);
  logger.info({ path }, 'certd: removing a stale socket file');
  unlinkSync(path);
}

/** Callers need search permission on the socket's directory; a 0700 directory (the data dir) locks them out. */
function warnIfUnreachable(dir: string, logger: Logger): void {
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o011) === 0) {
    logger.warn(
      { dir, mode: mode.toString(8) },
      'certd: the socket directory cannot be entered by other users, so callers cannot reach the socket; set SIGNET_CERTD_SOCKET to a path in a directory they can enter (e.g. /run/signet/certd.sock)',
    );
  }
}

/**
 * Binds in a private directory, sets owner group and mode there, then renames the socket into place: it never
 * exists at its public path with looser permissions, not even for an instant.
 */
async function bindPrivately(server: Server, path: string, group: SocketGroup): Promise<number> {
  // `.cXXXXXX/s` is no longer than `certd.sock`: a path that fits the 108-byte sun_path limit fits while staging too.
  const privateDir = mkdtempSync(join(dirname(path), '.c'));
  try {
    const staging = join(privateDir, 's');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(staging, () => {
        server.off('error', reject);
        resolve();
      });
    });
    try {
      chownSync(staging, process.getuid?.() ?? 0, group.gid);
    } catch (error) {
      throw new Error(`certd: cannot give the socket to group ${group.name} (gid ${group.gid}): ${(error as Error).message}; run as root or as a member of that group`);
    }
    chmodSync(staging, CERTD_SOCKET_MODE);
    renameSync(staging, path);
    return lstatSync(path).ino;
  } catch (error) {
    server.close();
    throw error;
  } finally {
    rmSync(privateDir, { recursive: true, force: true });
  }
}

export async function listenUnixSocket(path: string, group: SocketGroup, handler: RequestHandler, logger: Logger): Promise<UnixSocketListener> {
  loadPeercred();
  const server = createServer(handler);
  // Before any request on the connection is parsed: a connection whose peer is unknown is closed unanswered.
  server.on('connection', (socket: Socket) => {
    try {
      peers.set(socket, peerCredentialsOf(socket));
    } catch (error) {
      logger.warn({ err: error }, 'certd: cannot read the peer credentials of a connection; closing it');
      socket.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;

  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  await removeStaleSocket(path, logger);
  const inode = await bindPrivately(server, path, group);
  warnIfUnreachable(dirname(path), logger);
  return {
    path,
    server,
    group,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          // Only our own socket: another Signet may have taken the path over since.
          try {
            if (lstatSync(path).ino === inode) unlinkSync(path);
          } catch {
            // already gone
          }
          resolve();
        });
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      }),
  };
}
