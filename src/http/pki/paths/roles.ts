/** path_roles: LIST roles, and read / write / patch / delete roles/:name. Field names and defaults are OpenBao's. */
import { ROLE_DEFAULTS, type RoleDefinition } from '../../../domain/role.js';
import type { PkiServices } from '../../../app/pki/services.js';
import type { FieldData, FieldSchema, FieldType } from '../fields.js';
import type { PathSpec } from '../framework.js';
import { listResponse, PAGING_FIELDS, snakeCase, snakeKeys } from '../responses.js';

type RoleField = keyof RoleDefinition;

const DURATIONS: RoleField[] = ['ttl', 'maxTtl', 'notBeforeDuration'];
const INTEGERS: RoleField[] = ['keyBits', 'signatureBits', 'upstream'];

function fieldType(name: RoleField): FieldType {
  if (DURATIONS.includes(name)) return 'duration';
  if (INTEGERS.includes(name)) return 'int';
  const value = ROLE_DEFAULTS[name];
  if (Array.isArray(value)) return 'commaStringSlice';
  return typeof value === 'boolean' ? 'bool' : 'string';
}

const ROLE_FIELDS = Object.keys(ROLE_DEFAULTS) as RoleField[];

/** The role's fields by their OpenBao (snake_case) names, typed, with OpenBao's defaults. */
export const ROLE_SCHEMA: FieldSchema = Object.fromEntries(ROLE_FIELDS.map((name) => [snakeCase(name), { type: fieldType(name), default: ROLE_DEFAULTS[name] }]));

function readField(data: FieldData, name: RoleField): unknown {
  const field = snakeCase(name);
  switch (fieldType(name)) {
    case 'duration':
    case 'int':
      return data.int(field);
    case 'bool':
      return data.bool(field);
    case 'commaStringSlice':
      return data.list(field);
    default:
      return data.string(field);
  }
}

/** POST: the whole role, defaults for what the request leaves out. */
function roleFromRequest(data: FieldData): RoleDefinition {
  return Object.fromEntries(ROLE_FIELDS.map((name) => [name, readField(data, name)])) as unknown as RoleDefinition;
}

/** PATCH: only what the request gives. */
function changesFromRequest(data: FieldData): Partial<RoleDefinition> {
  return Object.fromEntries(ROLE_FIELDS.filter((name) => data.has(snakeCase(name))).map((name) => [name, readField(data, name)])) as Partial<RoleDefinition>;
}

export function roleResponse(role: RoleDefinition): Record<string, unknown> {
  return snakeKeys(Object.fromEntries(ROLE_FIELDS.map((name) => [name, role[name]])));
}

export function rolePaths(services: PkiServices): PathSpec[] {
  const { roles: service, ctx } = services;
  const read = (name: string) => {
    const role = ctx.queries.roles.get(name);
    return role ? { data: roleResponse(role) } : null;
  };
  return [
    {
      pattern: 'roles',
      fields: PAGING_FIELDS,
      operations: { list: ({ data }) => listResponse(ctx.queries.roles.names(), data) },
    },
    {
      pattern: 'roles/:name',
      fields: ROLE_SCHEMA,
      exists: ({ name }) => ctx.queries.roles.get(name) !== undefined,
      operations: {
        read: ({ params }) => read(params.name),
        update: async ({ params, data, metadata }) => {
          await service.write(params.name, roleFromRequest(data), metadata);
          return read(params.name);
        },
        patch: async ({ params, data, metadata }) => {
          await service.patch(params.name, changesFromRequest(data), metadata);
          return read(params.name);
        },
        delete: async ({ params, metadata }) => {
          await service.delete(params.name, metadata);
        },
      },
    },
  ];
}
