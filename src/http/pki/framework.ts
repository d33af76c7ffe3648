/**
 * A small version of OpenBao's logical framework: each endpoint is a declarative PathSpec (pattern, typed fields,
 * operations), grouped by mount (`pki`, `auth/token`, `sys`). Requests map to operations the OpenBao way
 * (GET read, LIST or GET ?list=true list, POST/PUT update, PATCH patch, DELETE delete).
 */
import type { EventMetadata } from '../../eventstore/port.js';
import type { ApiTokenRow } from '../../../projections/credentials.js';
import type { FieldData, FieldSchema } from './fields.js';

export type Operation = 'read' | 'list' | 'update' | 'patch' | 'delete';

export interface PkiRequest {
  operation: Operation;
  /** The path below /v1/, e.g. "pki/issue/web". */
  path: string;
  params: Record<string, string>;
  data: FieldData;
  /** The authenticated caller; undefined on unauthenticated paths called without a token. */
  token?: ApiTokenRow;
  /** The caller's token secret as presented (lookup-self returns it as `id`). */
  clientToken?: string;
  metadata: EventMetadata;
}

export interface EnvelopeResult {
  /** 200 unless set (tidy answers 202 Accepted). */
  status?: number;
  data?: Record<string, unknown> | null;
  warnings?: string[];
  /** The `auth` block of token responses. */
  auth?: Record<string, unknown> | null;
}

export interface RawResult {
  raw: Uint8Array | string;
  contentType: string;
}

/** `null` is OpenBao's nil response: 404 with an empty error list. Undefined is 204 No Content. */
export type PkiResult = EnvelopeResult | RawResult | null | undefined | void;

export type Handler = (request: PkiRequest) => PkiResult | Promise<PkiResult>;

export interface PathSpec {
  /** Segments below the mount; `:name` captures one segment. */
  pattern: string;
  fields?: FieldSchema;
  operations: Partial<Record<Operation, Handler>>;
  /** OpenBao's ExistenceCheck: when it says no, a write needs `create` rather than `update`. */
  exists?: (params: Record<string, string>) => boolean;
  /** OpenBao's root-protected paths: the caller also needs `sudo`. */
  sudo?: boolean;
  /** Narrows the pattern (e.g. `cert/:serial` but not `cert/crl`, which the revocation routes serve). */
  accepts?: (params: Record<string, string>) => boolean;
}

export interface Mount {
  /** e.g. "pki"; requests to /v1/<prefix>/... land here. */
  prefix: string;
  paths: PathSpec[];
  /** Mount-relative patterns that need no token (OpenBao PathsSpecial.Unauthenticated: `*` suffix, `+` segment). */
  unauthenticated?: readonly string[];
}

interface CompiledPath {
  spec: PathSpec;
  regex: RegExp;
  names: string[];
}

export interface RouteMatch {
  spec: PathSpec;
  params: Record<string, string>;
}

function compile(spec: PathSpec): CompiledPath {
  const names: string[] = [];
  const source = spec.pattern
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { spec, regex: new RegExp(`^${source}$`), names };
}

/** Mount-relative path matching for the unauthenticated table (OpenBao glob semantics). */
export function matchesPathPattern(pattern: string, path: string): boolean {
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  const a = pattern.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((segment, i) => segment === '+' || segment === b[i]);
}

export class MountTable {
  private readonly compiled: { mount: Mount; paths: CompiledPath[] }[];

  constructor(mounts: Mount[]) {
    this.compiled = mounts.map((mount) => ({ mount, paths: mount.paths.map(compile) }));
  }

  /** The mount a logical path falls in, and the path relative to it. */
  mountOf(path: string): { mount: Mount; relative: string } | undefined {
    for (const { mount } of this.compiled) {
      if (path === mount.prefix || path.startsWith(`${mount.prefix}/`)) return { mount, relative: path.slice(mount.prefix.length + 1) };
    }
    return undefined;
  }

  match(mount: Mount, relative: string): RouteMatch | undefined {
    const entry = this.compiled.find((c) => c.mount === mount)!;
    for (const { spec, regex, names } of entry.paths) {
      const found = regex.exec(relative);
      if (!found) continue;
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1])]));
      if (!spec.accepts || spec.accepts(params)) return { spec, params };
    }
    return undefined;
  }

  isUnauthenticated(mount: Mount, relative: string, operation: Operation): boolean {
    const candidate = operation === 'list' ? `${relative}/` : relative;
    return (mount.unauthenticated ?? []).some((pattern) => matchesPathPattern(pattern, candidate));
  }
}
