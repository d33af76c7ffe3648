#!/usr/bin/env node
// `npm test`: type-check, make sure the independent tools the end-to-end tests use are present, then run every
// test file on node's built-in runner. Extra arguments narrow the run to matching files (e.g. `npm test -- e2e`).
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureTestTools } from './test-tools.mjs';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

const files = ['test/unit', 'test/contract', 'test/e2e']
  .flatMap((dir) => findTests(join(root, dir)))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();

if (filters.length === 0) {
  console.log('> type-check (tsc --noEmit)');
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], { stdio: 'inherit', cwd: root });
}

const tools = ensureTestTools();
console.log(`> openssl: ${tools.openssl}; python with cryptography: ${tools.python}`);
console.log(`> ${files.length} test files`);

// No run may hang: a test is cancelled after 10 minutes, a file's process exits once its tests are done even if a
// server it started is still open, and the whole run is stopped after 45 minutes.
const RUN_LIMIT_MS = 45 * 60_000;
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=600000', '--test-force-exit', ...files],
  {
    stdio: 'inherit',
    cwd: root,
    timeout: RUN_LIMIT_MS,
    killSignal: 'SIGKILL',
    env: { ...process.env, SIGNET_TEST_PYTHON: tools.python, SIGNET_LOG_LEVEL: process.env.SIGNET_LOG_LEVEL ?? 'silent' },
  },
);
if (result.error) console.error(`> the test run was stopped: ${result.error.message} (limit ${RUN_LIMIT_MS / 60_000} min)`);
process.exit(result.status ?? 1);
