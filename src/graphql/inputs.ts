/** Checks and normalises argument values resolvers share: page windows, serials, issuer references, asOf. */
import type { IssuerRow } from '../../projections/issuers.js';
import { normalizeSerial } from '../app/pki/pem-input.js';
import type { AsOfPoint } from './as-of.js';
import { badUserInput } from './errors.js';
import type { AsOf } from './generated/resolvers.js';
import type { ReadScope } from './scope.js';

/** An argument or input field that may be absent (undefined) or explicitly null. */
export type Optional<T> = T | null | undefined;

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 50;

export interface PageArgs {
  first?: Optional<number>;
  after?: Optional<string>;
  last?: Optional<number>;
  before?: Optional<string>;
}

export interface PageWindow {
  limit: number;
  /** Relay `last`: the page is taken from the end of the range. */
  fromEnd: boolean;
}

function pageSize(value: number, argument: string): number {
  if (!Number.isInteger(value) || value < 0) throw badUserInput(`${argument} must be a non-negative integer`, argument);
  if (value > MAX_PAGE_SIZE) throw badUserInput(`${argument} must be at most ${MAX_PAGE_SIZE}`, argument);
  return value;
}

export function pageWindow(args: PageArgs): PageWindow {
  const hasFirst = args.first !== undefined && args.first !== null;
  const hasLast = args.last !== undefined && args.last !== null;
  if (hasFirst && hasLast) throw badUserInput('give first or last, not both', 'last');
  if (hasLast) return { limit: pageSize(args.last!, 'last'), fromEnd: true };
  return { limit: hasFirst ? pageSize(args.first!, 'first') : DEFAULT_PAGE_SIZE, fromEnd: false };
}

/** A serial (or serial prefix) as the index stores it: lower-case hex without colons. */
export function hexSerial(serial: string, argument: string): string {
  const hex = normalizeSerial(serial.trim());
  if (!/^[0-9a-f]{1,64}$/.test(hex)) throw badUserInput(`${argument}: expected hex digits (colons allowed)`, argument);
  return hex;
}

/**
 * An issuer reference (id, name or `default`) resolved in the scope's state. An unknown reference matches nothing
 * rather than failing, so a filter on it yields an empty page.
 */
export function issuerIdOf(scope: ReadScope, ref: string): string {
  const issuer: IssuerRow | undefined = scope.reads.issuers.resolve(ref);
  return issuer?.issuerId ?? ref;
}

export function asOfPoint(asOf: AsOf): AsOfPoint {
  const hasPosition = asOf.position !== undefined && asOf.position !== null;
  const hasTime = asOf.time !== undefined && asOf.time !== null;
  if (hasPosition === hasTime) throw badUserInput('asOf: give exactly one of position or time', 'asOf');
  return hasPosition ? { position: asOf.position! } : { time: new Date(asOf.time!) };
}

/** Optional ISO instant bounds, already validated by the DateTime scalar. */
export function timeRange(from: Optional<string>, to: Optional<string>, argument: string): { from?: string; to?: string } {
  if (from && to && from > to) throw badUserInput(`${argument}: the lower bound is after the upper bound`, argument);
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}
