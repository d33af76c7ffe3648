#!/usr/bin/env node
// Builds the peercred addon from source (run by the root package's `postinstall`). Uses npm's bundled node-gyp and
// this Node's own headers when they are installed beside it, so the build needs no download (none is reachable on
// the machines Signet is built on). Linux only: SO_PEERCRED is a Linux socket option.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

if (process.platform !== 'linux') {
  console.log(`peercred: skipped on ${process.platform} (SO_PEERCRED is Linux-only); the certd socket API will not start`);
  process.exit(0);
}

/** npm's own node-gyp (the one npm puts on PATH for lifecycle scripts), else one on PATH. */
function nodeGypCommand() {
  const npmDirs = [
    process.env.npm_execpath ? join(dirname(process.env.npm_execpath), '..') : undefined,
    join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm'),
  ];
  const bundled = npmDirs.filter(Boolean).map((dir) => join(dir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')).find(existsSync);
  return bundled ? [process.execPath, bundled] : ['node-gyp'];
}

/** `<prefix>/include/node` of the running Node, when its headers are installed there (distribution packages, official tarballs). */
function localNodeDir() {
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

const [command, ...prefixArgs] = nodeGypCommand();
const nodedir = process.env.npm_config_nodedir || localNodeDir();
const args = [...prefixArgs, 'rebuild', '--directory', here, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const result = spawnSync(command, args, { stdio: 'inherit' });
if (result.status !== 0) {
  const why = result.error ? `: ${result.error.message}` : '';
  console.error(`peercred: building the native addon failed (${command} ${args.join(' ')})${why}; it needs a C compiler, make, python3 and Node's headers`);
  process.exit(result.status ?? 1);
}
