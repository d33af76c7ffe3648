/**
 * `signet serve` in its own process on ephemeral loopback ports and a fresh temp data dir, so a benchmark can
 * measure the server's CPU and memory apart from the load client's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface SignetProcess {
  pid: number;
  dataDir: string;
  est: string;
  api: string;
  admin: string;
  /** The root CA certificate (PEM) the listeners' TLS certificates chain to. */
  caPem: string;
  rootToken: string;
  /** SIGTERM (graceful: a `--cpu-prof` profile is written), wait for exit, remove the data dir. */
  stop(): Promise<void>;
}

export interface SignetOptions {
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=load/results']. */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

const MAX_SHOWN_ERRORS = 3;
/** The heap flags `npm start`, bin/signet.js and the ops files run the server with (README, "Memory"). */
const SERVE_HEAP_FLAGS = ['--max-semi-space-size=4', '--max-old-space-size=512'];

export async function startSignet(options: SignetOptions = {}): Promise<SignetProcess> {
  let shownErrors = 0;
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-load-'));
  const child: ChildProcess = spawn(process.execPath, [...SERVE_HEAP_FLAGS, ...(options.nodeArgs ?? []), 'bin/signet.js', 'serve'], {
    env: {
      ...process.env,
      SIGNET_DATA_DIR: dataDir,
      SIGNET_LOG_LEVEL: 'info',
      SIGNET_EST_LISTEN: '127.0.0.1:0',
      SIGNET_API_LISTEN: '127.0.0.1:0',
      SIGNET_ADMIN_LISTEN: '127.0.0.1:0',
      SIGNET_PUBLIC_LISTEN: '127.0.0.1:0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ est: string; api: string; admin: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`signet serve exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: { msg?: string; level?: number; est?: string; api?: string; admin?: string };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      // The server's own errors (pino level 50+) matter when a benchmark sees 500s: show the first few.
      if ((entry.level ?? 0) >= 50 && shownErrors++ < MAX_SHOWN_ERRORS) console.error(`  signet: ${line.slice(0, 600)}`);
      if (entry.msg === 'signet ready' && entry.est && entry.api && entry.admin) resolve({ est: entry.est, api: entry.api, admin: entry.admin });
    });
  });
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    if (process.env.BENCH_KEEP_DATA === '1') console.error(`signet data dir kept: ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().finally(() => process.exit(130)));
  return {
    pid: child.pid!,
    dataDir,
    ...ready,
    caPem: readFileSync(join(dataDir, 'ca/root.pem'), 'utf8'),
    rootToken: readFileSync(join(dataDir, 'root-token'), 'utf8').trim(),
    stop,
  };
}
