/** Admin request parsing (anything malformed is a precise 400, never a guess) and the API's timestamp format. */
import type { ParsedUrlQuery } from 'node:querystring';
import { HttpError } from '../errors.js';

/** One optional query parameter; given twice is an error rather than a silent pick. */
export function queryParam(query: ParsedUrlQuery, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new HttpError(400, `query parameter "${name}" must be given at most once`);
  return value === undefined || value === '' ? undefined : value;
}

export function queryEnum<T extends string>(query: ParsedUrlQuery, name: string, allowed: readonly T[]): T | undefined {
  const value = queryParam(query, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new HttpError(400, `query parameter "${name}" must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** A comma-separated list of simple words (e.g. `action=enroll,reenroll`). */
export function queryWords(query: ParsedUrlQuery, name: string): string[] | undefined {
  const value = queryParam(query, name);
  if (value === undefined) return undefined;
  const words = value.split(',').map((w) => w.trim());
  if (words.some((w) => !/^[a-z][a-z0-9_]*$/i.test(w))) throw new HttpError(400, `query parameter "${name}" must be a comma-separated list of names`);
  return words;
}

export interface Paging {
  page: number;
  perPage: number;
  offset: number;
}

function positiveInteger(query: ParsedUrlQuery, name: string, fallback: number): number {
  const value = queryParam(query, name);
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw new HttpError(400, `query parameter "${name}" must be an integer of at least 1`);
  return Number(value);
}

/** A paged answer as the spec shapes it: `{<key>: [...], total, page, per_page}`. */
export function pageBody<K extends string, T>(key: K, items: T[], total: number, paging: Paging): Record<K, T[]> & { total: number; page: number; per_page: number } {
  return { [key]: items, total, page: paging.page, per_page: paging.perPage } as Record<K, T[]> & { total: number; page: number; per_page: number };
}

/** `page` (1-based) and `per_page` (up to `max`); a page past the end is simply empty. */
export function parsePaging(query: ParsedUrlQuery, defaults: { perPage: number; max: number }): Paging {
  const page = positiveInteger(query, 'page', 1);
  const perPage = positiveInteger(query, 'per_page', defaults.perPage);
  if (perPage > defaults.max) throw new HttpError(400, `query parameter "per_page" must be at most ${defaults.max}`);
  return { page, perPage, offset: (page - 1) * perPage };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/**
 * An ISO 8601 date (`2026-06-24`, midnight UTC) or date-time with a zone, as epoch ms, with the length of the
 * period it names at its precision (a day, a minute, a second, a millisecond); undefined if invalid.
 */
export function parseIsoInstant(text: string): { ms: number; spanMs: number } | undefined {
  const date = DATE.exec(text);
  const match = date ?? DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, y, m, d] = match.map(Number);
  // Date.parse rolls 2026-02-31 over to March; refuse dates that do not exist.
  const calendar = new Date(Date.UTC(y, m - 1, d));
  if (calendar.getUTCFullYear() !== y || calendar.getUTCMonth() !== m - 1 || calendar.getUTCDate() !== d) return undefined;
  const ms = date ? calendar.getTime() : Date.parse(text.toUpperCase());
  if (Number.isNaN(ms)) return undefined;
  const [, , , , , , seconds, fraction] = match;
  const spanMs = date ? 86_400_000 : seconds === undefined ? 60_000 : fraction === undefined ? 1_000 : Math.max(1, 10 ** (3 - fraction.length));
  return { ms, spanMs };
}

/** A half-open range of ISO timestamps [from, to), comparable as strings with stored `toISOString()` values. */
export interface TimeRange {
  from?: string;
  to?: string;
}

/**
 * Two query parameters as a time range, both ends inclusive at the precision written: `end=2026-06-24` covers
 * that whole day, `end=2026-06-24T10:15:30Z` that whole second (the precision the API shows).
 */
export function parseTimeRange(query: ParsedUrlQuery, startName: string, endName: string): TimeRange {
  const bound = (name: string) => {
    const value = queryParam(query, name);
    if (value === undefined) return undefined;
    const instant = parseIsoInstant(value);
    if (!instant) throw new HttpError(400, `query parameter "${name}" must be an ISO 8601 date (2026-06-24) or date-time (2026-06-24T10:15:30Z)`);
    return instant;
  };
  const start = bound(startName);
  const end = bound(endName);
  const toMs = end && end.ms + end.spanMs;
  if (start && toMs !== undefined && start.ms >= toMs) throw new HttpError(400, `"${startName}" must not be after "${endName}"`);
  return {
    ...(start ? { from: new Date(start.ms).toISOString() } : {}),
    ...(toMs !== undefined ? { to: new Date(toMs).toISOString() } : {}),
  };
}

/**
 * A certificate serial as Signet stores it (lower-case hex of the minimal unsigned octets) from what operators
 * paste: any case, with or without colons, with or without leading zeros (`0A:1B`, `a1b`, `00A1B`).
 */
export function canonicalSerial(input: string): string {
  const hex = input.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(hex)) throw new HttpError(400, `"${input}" is not a certificate serial (hex digits, colons allowed)`);
  const digits = hex.replace(/^0+/, '') || '0';
  return digits.length % 2 ? `0${digits}` : digits;
}

/** A serial prefix for filtering, in the stored spelling (lower-case hex without colons). */
export function serialPrefix(input: string): string {
  const hex = input.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(hex)) throw new HttpError(400, 'query parameter "serial" must be hex digits (colons allowed)');
  return hex;
}

/** Timestamps as the admin spec writes them: RFC 3339 UTC, whole seconds (`2026-06-24T14:30:00Z`). */
export function timestamp(value: string | number | Date): string {
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** JSON bodies are checked field by field; a misspelt field is an error, not silently ignored. */
export function rejectUnknownFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length) throw new HttpError(400, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; expected ${allowed.join(', ')}`);
}
