/** Starts a real Signet (all listeners on ephemeral loopback ports, SQLite in a temp dir) for end-to-end tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type SignetConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/app/logger.js';
import { startServer, type RunningSignet } from '../../src/server.js';

export interface TestServer extends RunningSignet {
  dataDir: string;
  config: SignetConfig;
  /** Stops the server and deletes its data dir (unless keepData). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export function tempDir(prefix = 'signet-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestServer(options: { dataDir?: string; env?: Record<string, string> } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir();
  const config = loadConfig(
    {
      SIGNET_DATA_DIR: dataDir,
      SIGNET_EST_LISTEN: '127.0.0.1:0',
      SIGNET_API_LISTEN: '127.0.0.1:0',
      SIGNET_ADMIN_LISTEN: '127.0.0.1:0',
      SIGNET_PUBLIC_LISTEN: '127.0.0.1:0',
      SIGNET_POOL_THREADS: '2',
      ...options.env,
    },
    dataDir,
  );
  const server = await startServer(config, createLogger(process.env.SIGNET_LOG_LEVEL ?? 'silent'));
  return {
    ...server,
    dataDir,
    config,
    async stop(stopOptions = {}) {
      await server.close();
      if (!stopOptions.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
