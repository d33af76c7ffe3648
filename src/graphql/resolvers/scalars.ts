/** DateTime (ISO 8601, normalised to UTC milliseconds) and Position (a non-negative safe integer). */
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { badUserInput } from '../errors.js';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: unknown): string {
  const time = typeof value === 'string' && ISO_DATE_TIME.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) throw badUserInput(`DateTime: expected an ISO 8601 instant with a time zone (e.g. 2025-01-31T12:00:00Z), got ${JSON.stringify(value)}`);
  return new Date(time).toISOString();
}

function parsePosition(value: unknown): number {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    throw badUserInput(`Position: expected a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return number;
}

const literal = (node: ValueNode): unknown => (node.kind === Kind.STRING || node.kind === Kind.INT ? node.value : undefined);

export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (value) => new Date(value as string).toISOString(),
  parseValue: parseDateTime,
  parseLiteral: (node) => parseDateTime(node.kind === Kind.STRING ? node.value : undefined),
});

export const Position = new GraphQLScalarType({
  name: 'Position',
  serialize: (value) => value,
  parseValue: parsePosition,
  parseLiteral: (node) => parsePosition(node.kind === Kind.INT ? Number(node.value) : literal(node)),
});
