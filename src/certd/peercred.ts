/**
 * The kernel's record of who is on the other end of a Unix socket (SO_PEERCRED), read through the small N-API
 * addon in native/peercred (built from source by `npm install`). Node has no API for it, and nothing the caller
 * sends may stand in for it: the uid is what certd authorizes.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

interface PeercredAddon {
  getPeerCred(fd: number): PeerCredentials;
}

const ADDON_PATH = fileURLToPath(new URL('../../native/peercred/build/Release/peercred.node', import.meta.url));

export class PeercredUnavailableError extends Error {
  constructor(reason: string) {
    super(
      `certd needs the peercred native addon to identify callers, but ${reason}. ` +
        'Build it with `npm install` (or `node native/peercred/build.mjs`; needs a C compiler, make and python3), ' +
        'or disable the certd socket with `[certd] enabled = false` in signet.toml.',
    );
    this.name = 'PeercredUnavailableError';
  }
}

/** Loads the addon at `path`; throws PeercredUnavailableError saying what to do when it is not built or cannot load. */
export function loadPeercredAddon(path: string): PeercredAddon {
  if (process.platform !== 'linux') throw new PeercredUnavailableError(`SO_PEERCRED is Linux-only and this is ${process.platform}`);
  if (!existsSync(path)) throw new PeercredUnavailableError(`${path} does not exist`);
  try {
    return createRequire(import.meta.url)(path) as PeercredAddon;
  } catch (error) {
    throw new PeercredUnavailableError(`${path} failed to load (${(error as Error).message})`);
  }
}

let addon: PeercredAddon | undefined;

/** The built addon, loaded once. */
export function loadPeercred(): PeercredAddon {
  addon ??= loadPeercredAddon(ADDON_PATH);
  return addon;
}

/**
 * Credentials of the process that connected `socket`. Node does not expose a socket's descriptor publicly; the
 * libuv handle behind a net.Socket (`_handle`, a Pipe for Unix sockets) has it as `fd`, which is stable for the
 * connection's lifetime and is what getsockopt needs.
 */
export function peerCredentialsOf(socket: Socket): PeerCredentials {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the connection has no file descriptor (already closed?)');
  return loadPeercred().getPeerCred(fd);
}
