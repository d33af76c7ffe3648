/** The committed resolver types (src/graphql/generated/resolvers.ts) match the SDL in schema/. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('generated GraphQL resolver types are up to date with schema/*.graphql', () => {
  const root = new URL('../..', import.meta.url).pathname;
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/graphql-codegen.ts', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});
