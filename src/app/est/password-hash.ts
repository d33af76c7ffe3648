/**
 * Passwords of EST Basic users, as scrypt hashes in PHC string form: `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`.
 * Only the hash is ever recorded; verification runs on libuv's thread pool, off the event loop.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const LOG2_N = 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;
const PHC = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function derive(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  // 128 * N * r bytes of work memory, plus headroom: Node's default maxmem (32 MiB) is just too small for ln=15.
  const maxmem = 256 * (options.N ?? 0) * (options.r ?? 0);
  return new Promise((resolve, reject) => scrypt(password, salt, keyLength, { ...options, maxmem }, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, KEY_LENGTH, { N: 2 ** LOG2_N, r: BLOCK_SIZE, p: PARALLELISM });
  return `$scrypt$ln=${LOG2_N},r=${BLOCK_SIZE},p=${PARALLELISM}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** False for a wrong password or a hash this code cannot read; never throws for bad input. */
export async function verifyPassword(password: string, phc: string): Promise<boolean> {
  const match = PHC.exec(phc);
  if (!match) return false;
  const [, ln, r, p, salt, hash] = match;
  const expected = Buffer.from(hash, 'base64');
  if (Number(ln) > 20 || Number(r) > 32 || Number(p) > 16 || expected.length < 16) return false;
  try {
    const key = await derive(password, Buffer.from(salt, 'base64'), expected.length, { N: 2 ** Number(ln), r: Number(r), p: Number(p) });
    return timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

/**
 * Remembers which (user, password) pairs verified against which hash, so a device that enrolls often does not pay
 * an scrypt per request. Keyed by a SHA-256 of the password, never the password; a changed hash misses.
 */
export class VerifiedPasswordCache {
  private readonly verified = new Map<string, string>();
  constructor(private readonly maxEntries = 10_000) {}

  async verify(username: string, password: string, phc: string): Promise<boolean> {
    const key = `${username}\u0000${createHash('sha256').update(password).digest('base64')}`;
    if (this.verified.get(key) === phc) return true;
    if (!(await verifyPassword(password, phc))) return false;
    if (this.verified.size >= this.maxEntries) this.verified.clear();
    this.verified.set(key, phc);
    return true;
  }
}
