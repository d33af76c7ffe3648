/** A Signet node as a separate process (`signet serve`), for multi-node tests: several processes, one event log. */
import { spawn, type ChildProcess } from 'node:child_process';

const SIGNET = new URL('../../bin/signet.js', import.meta.url).pathname;

export interface NodeProcess {
  child: ChildProcess;
  urls: { est: string; api: string; admin: string; public: string };
  root: string;
  stop(): Promise<number | null>;
}

/** Starts `signet serve` with every listener on an ephemeral loopback port; resolves when it logs "signet ready". */
export function startNode(env: Record<string, string>, timeoutMs = 60_000): Promise<NodeProcess> {
  const child = spawn(process.execPath, [SIGNET, 'serve'], {
    env: {
      ...process.env,
      SIGNET_EST_LISTEN: '127.0.0.1:0',
      SIGNET_API_LISTEN: '127.0.0.1:0',
      SIGNET_ADMIN_LISTEN: '127.0.0.1:0',
      SIGNET_PUBLIC_LISTEN: '127.0.0.1:0',
      SIGNET_POOL_THREADS: '1',
      SIGNET_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.on('exit', (code) => reject(new Error(`node exited with ${code} before it was ready:\n${output}`)));
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const line = output.split('\n').find((l) => l.includes('"signet ready"'));
      if (!line) return;
      clearTimeout(timer);
      const ready = JSON.parse(line) as { est: string; api: string; admin: string; public: string; root: string };
      resolve({
        child,
        urls: { est: ready.est, api: ready.api, admin: ready.admin, public: ready.public },
        root: ready.root,
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit');
            child.once('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
