/** A Signet node as a separate process (`signet serve`), for multi-node tests: several processes, one event log. */
import { spawn, type ChildProcess } from 'node:child_process';

const SIGNET = new URL('../../bin/signet.js', import.meta.url).pathname;

// Every node this test process started and has not seen exit. They are killed when the test process exits, and they
// never keep it alive: a failed start or a cancelled test must not leave a server that makes the run hang.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface NodeProcess {
  child: ChildProcess;
  urls: { est: string; api: string; admin: string; public: string };
  root: string;
  stop(): Promise<number | null>;
}

/** SIGTERM, then SIGKILL if the node has not exited within 15 s; resolves with its exit code. */
function terminate(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      clearTimeout(force);
      done(code);
    });
    child.kill('SIGTERM');
  });
}

/** Stops every node still running (for `after` hooks, whatever state the test left them in). */
export async function stopAllNodes(): Promise<void> {
  await Promise.all([...running].map(terminate));
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
  running.add(child);
  child.on('exit', () => running.delete(child));
  child.unref();
  (child.stdout as unknown as { unref(): void }).unref();
  (child.stderr as unknown as { unref(): void }).unref();
  let output = '';
  let ready = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const exitedEarly = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before it was ready:\n${output}`));
    };
    child.on('exit', exitedEarly);
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      if (ready) return;
      const line = output.split('\n').find((l) => l.includes('"signet ready"'));
      if (!line) return;
      ready = true;
      clearTimeout(timer);
      child.off('exit', exitedEarly);
      const logged = JSON.parse(line) as { est: string; api: string; admin: string; public: string; root: string };
      resolve({
        child,
        urls: { est: logged.est, api: logged.api, admin: logged.admin, public: logged.public },
        root: logged.root,
        stop: () => terminate(child),
      });
    });
  });
}
