/**
 * What a resolver reads from: the live read models or a past state, the instant statuses are judged at, and the
 * request's loaders for that state. Nodes carry their scope, so nested fields (a certificate's issuer, its renewal)
 * read from the same state as their parent.
 */
import { createLoaders, type Loaders } from './loaders.js';
import type { GraphReads } from './reads.js';

export interface ReadScope {
  reads: GraphReads;
  now: Date;
  loaders: Loaders;
}

export type Scoped<Row> = Row & { scope: ReadScope };

export function readScope(reads: GraphReads, now: Date): ReadScope {
  return { reads, now, loaders: createLoaders(reads, now) };
}

export const scoped = <Row extends object>(row: Row, scope: ReadScope): Scoped<Row> => ({ ...row, scope });
