/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most self time, and self time
 * grouped by package or source directory, so a profile can be read without DevTools.
 * Usage: node --import tsx load/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: an npm package, a source directory of this project, node internals, or V8. */
export function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node internals' : url;
  const local = /\/(src\/[^/]+|projections|workers|bin)\//.exec(url);
  return local ? local[1] : url;
}

export function summarise(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|work\/main)\//, '')}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const where = area(url, functionName);
    byArea.set(where, (byArea.get(where) ?? 0) + us);
  }
  const rows = (map: Map<string, number>, n: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([key, us]) => `| ${((us / total) * 100).toFixed(1)} % | ${key} |`);
  return [
    `total sampled: ${(total / 1e6).toFixed(1)} s`,
    '',
    '| self | area |',
    '|---:|---|',
    ...rows(byArea, 15),
    '',
    '| self | function |',
    '|---:|---|',
    ...rows(byFunction, top),
  ].join('\n');
}

if (process.argv[2]) console.log(summarise(JSON.parse(readFileSync(process.argv[2], 'utf8')) as CpuProfile, Number(process.argv[3] ?? 25)));
