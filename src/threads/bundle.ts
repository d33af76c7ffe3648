/**
 * Thread entries as plain JavaScript bundles. A worker thread that loads TypeScript through tsx gets a module-hooks
 * thread of its own in Node 20 and compiles every module again: about 23 MB and a few hundred milliseconds per
 * thread. `signet serve` bundles each entry once at start (esbuild, our code only: packages stay external) into
 * node_modules/.cache, and its threads load the bundle. Entries not prepared are loaded through tsx (tests that
 * start a thread directly).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

const BUNDLE_DIR = fileURLToPath(new URL('../../node_modules/.cache/signet-threads/', import.meta.url));
const prepared = new Map<string, URL>();

/** Each bundled module keeps its own import.meta.url, so paths it resolves relative to itself stay right. */
const ownModuleUrls: Plugin = {
  name: 'own-module-urls',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};

async function bundle(entry: URL): Promise<URL> {
  // Imported here: threads load this module too and never bundle.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
    plugins: [ownModuleUrls],
  });
  const code = result.outputFiles[0].contents;
  const name = entry.pathname.split('/').pop()!.replace(/\.ts$/, '');
  const file = join(BUNDLE_DIR, `${name}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  mkdirSync(BUNDLE_DIR, { recursive: true });
  // Processes starting together write identical bytes; the rename makes each write whole.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, code);
  renameSync(temporary, file);
  pruneOlderBundles(name, file);
  return pathToFileURL(file);
}

/** Bundles of this entry from earlier versions of the code, untouched for a day, are removed. */
function pruneOlderBundles(name: string, current: string): void {
  const dayAgo = Date.now() - 86_400_000;
  for (const other of readdirSync(BUNDLE_DIR)) {
    const path = join(BUNDLE_DIR, other);
    if (path === current || !other.startsWith(`${name}-`)) continue;
    try {
      if (statSync(path).mtimeMs < dayAgo) rmSync(path, { force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

/** Bundles the given TypeScript thread entries (once per process). */
export async function prepareThreadEntries(entries: readonly URL[]): Promise<void> {
  await Promise.all(
    entries
      .filter((entry) => entry.pathname.endsWith('.ts') && !prepared.has(entry.href))
      .map(async (entry) => prepared.set(entry.href, await bundle(entry))),
  );
}

/** The bundle prepared for `entry`, or `entry` itself. */
export function threadEntry(entry: URL): URL {
  return prepared.get(entry.href) ?? entry;
}
