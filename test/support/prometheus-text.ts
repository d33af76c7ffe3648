/**
 * A strict parser for the Prometheus text exposition format 0.0.4, for tests: every line must be valid, every
 * sample must belong to a declared family in one contiguous group, no series may repeat, and histograms must be
 * complete (cumulative buckets, a +Inf bucket equal to _count, a _sum). Throws on the first violation.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function fail(lineNo: number, message: string): never {
  throw new Error(`prometheus text line ${lineNo}: ${message}`);
}

/** As Prometheus reads values (Go's ParseFloat): NaN and Inf in any case, e.g. prom-client's "Nan". */
function parseValue(text: string, lineNo: number): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) fail(lineNo, `invalid value "${text}"`);
  return Number(text);
}

/** Parses `{a="x",b="y"}` starting at `start`; returns the labels and the index after `}`. */
function parseLabels(line: string, start: number, lineNo: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    if (line[i] === '}') return { labels, end: i + 1 };
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
    if (!nameMatch) fail(lineNo, `bad label name at column ${i + 1}`);
    const name = nameMatch[0];
    i += name.length;
    if (line[i] !== '=' || line[i + 1] !== '"') fail(lineNo, `expected ="..." after label ${name}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) fail(lineNo, `unterminated value of label ${name}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = line[i + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else fail(lineNo, `bad escape \\${next} in label ${name}`);
        i += 2;
      } else {
        value += c;
        i += 1;
      }
    }
    i += 1;
    if (name in labels) fail(lineNo, `label ${name} repeated`);
    labels[name] = value;
    if (line[i] === ',') i += 1;
    else if (line[i] !== '}') fail(lineNo, `expected , or } after label ${name}`);
  }
}

/** Which family a sample name belongs to, given the declared families. */
function familyOf(sampleName: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  const exact = families.get(sampleName);
  if (exact && exact.type !== 'histogram' && exact.type !== 'summary') return exact;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const family = families.get(sampleName.slice(0, -suffix.length));
    if (family?.type === 'histogram' || (family?.type === 'summary' && suffix !== '_bucket')) return family;
  }
  if (exact?.type === 'summary') return exact;
  return undefined;
}

function checkHistogram(family: MetricFamily): void {
  const series = new Map<string, { buckets: { le: number; value: number }[]; sum?: number; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push({ le: parseValue(le, 0), value: sample.value });
    } else if (sample.name.endsWith('_sum')) entry.sum = sample.value;
    else entry.count = sample.value;
  }
  for (const [key, entry] of series) {
    const sorted = [...entry.buckets].sort((a, b) => a.le - b.le);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].value < sorted[i - 1].value) throw new Error(`${family.name}${key}: buckets are not cumulative`);
    }
    const inf = sorted[sorted.length - 1];
    if (!inf || inf.le !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
    if (entry.count === undefined || entry.sum === undefined) throw new Error(`${family.name}${key}: missing _count or _sum`);
    if (inf.value !== entry.count) throw new Error(`${family.name}${key}: +Inf bucket ${inf.value} differs from _count ${entry.count}`);
  }
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const closed = new Set<string>();
  const seenSeries = new Set<string>();
  let current: MetricFamily | undefined;
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('prometheus text must end with a newline');

  text.split('\n').forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!meta) return; // a plain comment
      const [, kind, name, rest = ''] = meta;
      if (!METRIC_NAME.test(name)) fail(lineNo, `invalid metric name "${name}"`);
      if (closed.has(name)) fail(lineNo, `${kind} for ${name} after its samples`);
      const family = families.get(name) ?? { name, type: 'untyped' as MetricType, samples: [] };
      if (kind === 'TYPE') {
        if (families.get(name)?.samples.length) fail(lineNo, `TYPE for ${name} after its samples`);
        if (!TYPES.has(rest as MetricType)) fail(lineNo, `unknown type "${rest}"`);
        family.type = rest as MetricType;
      } else {
        if (family.help !== undefined) fail(lineNo, `second HELP for ${name}`);
        family.help = rest;
      }
      families.set(name, family);
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) fail(lineNo, 'a sample must start with a metric name');
    const name = nameMatch[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i, lineNo));
    if (line[i] !== ' ') fail(lineNo, 'expected a space before the value');
    const parts = line.slice(i + 1).split(' ');
    if (parts.length > 2 || parts[0] === '') fail(lineNo, 'expected "value [timestamp]"');
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) fail(lineNo, `invalid timestamp "${parts[1]}"`);
    const value = parseValue(parts[0], lineNo);
    for (const label of Object.keys(labels)) if (!LABEL_NAME.test(label)) fail(lineNo, `invalid label name ${label}`);

    const family = familyOf(name, families);
    if (!family) fail(lineNo, `sample ${name} has no # TYPE declaration`);
    if (current !== family) {
      if (closed.has(family.name)) fail(lineNo, `samples of ${family.name} are not contiguous`);
      if (current) closed.add(current.name);
      current = family;
    }
    const seriesKey = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seenSeries.has(seriesKey)) fail(lineNo, `series ${seriesKey} repeated`);
    seenSeries.add(seriesKey);
    if (family.type === 'counter' && !(value >= 0)) fail(lineNo, `counter ${name} is negative or NaN`);
    family.samples.push({ name, labels, value });
  });

  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** Sum of the samples named `name` whose labels include `labels` (0 when none match). */
export function sampleSum(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) total += sample.value;
    }
  }
  return total;
}
