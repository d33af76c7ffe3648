/**
 * Typed request fields as OpenBao's framework reads them (sdk/framework FieldType): strings, booleans ("true",
 * "1"...), integers, durations in seconds ("72h", 3600), comma-separated or JSON string lists, maps. A bad value is
 * a 400 naming the field; unknown parameters are ignored with a warning, as OpenBao does.
 */
import { HttpError } from '../errors.js';

export type FieldType = 'string' | 'bool' | 'int' | 'duration' | 'commaStringSlice' | 'stringSlice' | 'map';

export interface FieldSpec {
  type: FieldType;
  /** The value when the request leaves the field out. */
  default?: unknown;
  description?: string;
}

export type FieldSchema = Record<string, FieldSpec>;

const TRUE = ['1', 't', 'true', 'y', 'yes', 'on'];
const FALSE = ['0', 'f', 'false', 'n', 'no', 'off'];

function fail(name: string, value: unknown, expected: string): never {
  throw new HttpError(400, `error converting input ${JSON.stringify(value)} for field "${name}": expected ${expected}`);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Go-style durations ("1h30m", "90s", "1.5h", "100ms", OpenBao's "d" too) or plain seconds, in milliseconds. */
export function goDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return 0;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let ms = 0;
  for (const [, amount, , unit] of trimmed.matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(amount) * UNIT_MS[unit];
  return Math.floor(ms);
}

function durationSeconds(name: string, value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : fail(name, value, 'a duration');
  const ms = typeof value === 'string' ? goDurationMs(value) : undefined;
  return ms === undefined ? fail(name, value, 'a duration like "72h", "30m" or a number of seconds') : Math.floor(ms / 1000);
}

function stringList(name: string, value: unknown, splitCommas: boolean): string[] {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : fail(name, value, 'a list of strings')));
  if (typeof value === 'string') return (splitCommas ? value.split(',') : [value]).map((v) => v.trim()).filter((v) => v !== '');
  if (typeof value === 'number') return [String(value)];
  return fail(name, value, 'a list of strings or a comma-separated string');
}

export function convertField(name: string, type: FieldType, value: unknown): unknown {
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return fail(name, value, 'a string');
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number' && (value === 0 || value === 1)) return value === 1;
      if (typeof value === 'string' && TRUE.includes(value.toLowerCase())) return true;
      if (typeof value === 'string' && FALSE.includes(value.toLowerCase())) return false;
      return fail(name, value, 'a boolean');
    case 'int': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n === 'number' && Number.isInteger(n)) return n;
      return fail(name, value, 'an integer');
    }
    case 'duration':
      return durationSeconds(name, value);
    case 'commaStringSlice':
      return stringList(name, value, true);
    case 'stringSlice':
      return stringList(name, value, false);
    case 'map':
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
      }
      return fail(name, value, 'an object of strings');
  }
}

function zeroValue(type: FieldType): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
    case 'duration':
      return 0;
    case 'commaStringSlice':
    case 'stringSlice':
      return [];
    case 'map':
      return {};
  }
}

/** The request's fields, converted to their declared types. */
export class FieldData {
  private readonly values = new Map<string, unknown>();
  readonly unknown: string[] = [];

  constructor(
    private readonly schema: FieldSchema,
    raw: Record<string, unknown>,
  ) {
    for (const [name, value] of Object.entries(raw)) {
      const spec = schema[name];
      if (!spec) this.unknown.push(name);
      else if (value !== null && value !== undefined) this.values.set(name, convertField(name, spec.type, value));
    }
  }

  /** Whether the request gave the field (OpenBao GetOk). */
  has(name: string): boolean {
    return this.values.has(name);
  }

  private value(name: string): unknown {
    const spec = this.schema[name];
    if (!spec) throw new Error(`field ${name} is not declared`);
    if (this.values.has(name)) return this.values.get(name);
    return spec.default ?? zeroValue(spec.type);
  }

  string(name: string): string {
    return this.value(name) as string;
  }

  bool(name: string): boolean {
    return this.value(name) as boolean;
  }

  int(name: string): number {
    return this.value(name) as number;
  }

  list(name: string): string[] {
    return this.value(name) as string[];
  }

  map(name: string): Record<string, string> {
    return this.value(name) as Record<string, string>;
  }

  /** Fields the request gave, by name (for PATCH-style merges). */
  given(): string[] {
    return [...this.values.keys()];
  }
}
