/**
 * The group that owns the certd socket: only its members (and the owner) may connect, as certd's `aziotcs` group.
 * A configured name or number; unconfigured, `aziotcs` when the system has it, else the process's own group.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const CERTD_DEFAULT_GROUP = 'aziotcs';

export interface SocketGroup {
  gid: number;
  name: string;
}

/** `getent group NAME|GID` (NSS-aware: LDAP, sssd...), or /etc/group where getent is missing. */
export function lookupGroup(nameOrGid: string): SocketGroup | undefined {
  let line: string | undefined;
  try {
    line = execFileSync('getent', ['group', nameOrGid], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    line = readFileSync('/etc/group', 'utf8').split('\n').find((entry) => [entry.split(':')[0], entry.split(':')[2]].includes(nameOrGid));
  }
  const [groupName, , gid] = line?.split(':') ?? [];
  return groupName && /^\d+$/.test(gid ?? '') ? { gid: Number(gid), name: groupName } : undefined;
}

export function resolveSocketGroup(configured: string | undefined): SocketGroup {
  if (configured !== undefined) {
    const group = lookupGroup(configured) ?? (/^\d+$/.test(configured) ? { gid: Number(configured), name: configured } : undefined);
    if (!group) throw new Error(`certd: socket group "${configured}" does not exist (SIGNET_CERTD_SOCKET_GROUP / [certd] socket_group)`);
    return group;
  }
  const gid = String(process.getgid?.() ?? 0);
  return lookupGroup(CERTD_DEFAULT_GROUP) ?? lookupGroup(gid) ?? { gid: Number(gid), name: gid };
}
