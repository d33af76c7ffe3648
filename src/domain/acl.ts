/**
 * ACL policies in the spirit of OpenBao's: path rules with capabilities, where a trailing `*` is a prefix glob and
 * a `+` segment matches any one path segment. The most specific matching path decides (OpenBao's priority rules);
 * `deny` wins over everything, and the `root` policy allows everything.
 *
 * Text format (a subset of OpenBao's HCL; `#` and `//` comments allowed):
 *   path "pki/issue/web" {
 *     capabilities = ["create", "update"]
 *   }
 * or the same as JSON: {"path": {"pki/issue/web": {"capabilities": ["create", "update"]}}}
 */

export const CAPABILITIES = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface PolicyRule {
  path: string;
  capabilities: Capability[];
}

export const ROOT_POLICY = 'root';
export const DEFAULT_POLICY = 'default';

/** What every token may do on itself, as OpenBao's built-in `default` policy (until an operator replaces it). */
export const DEFAULT_POLICY_TEXT = `# Tokens may look themselves up and revoke themselves.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
`;

export class PolicyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyParseError';
  }
}

function checkCapabilities(path: string, values: unknown): Capability[] {
  if (!Array.isArray(values)) throw new PolicyParseError(`path "${path}": capabilities must be a list`);
  return values.map((value) => {
    if (!(CAPABILITIES as readonly unknown[]).includes(value)) throw new PolicyParseError(`path "${path}": invalid capability ${JSON.stringify(value)}`);
    return value as Capability;
  });
}

function parseJsonPolicy(text: string): PolicyRule[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PolicyParseError('policy is neither valid JSON nor HCL');
  }
  const paths = (parsed as { path?: unknown })?.path;
  if (typeof paths !== 'object' || paths === null || Array.isArray(paths)) throw new PolicyParseError('a JSON policy needs a "path" object');
  return Object.entries(paths).map(([path, body]) => {
    const keys = Object.keys(body ?? {});
    const unknown = keys.find((k) => k !== 'capabilities');
    if (unknown) throw new PolicyParseError(`path "${path}": unsupported key "${unknown}" (only capabilities)`);
    return { path, capabilities: checkCapabilities(path, (body as { capabilities?: unknown }).capabilities) };
  });
}

const BLOCK = /path\s+"([^"]*)"\s*\{([^}]*)\}/y;
const CAPABILITY_LINE = /^\s*capabilities\s*=\s*(\[[^\]]*\])\s*$/;

function parseHclPolicy(text: string): PolicyRule[] {
  const source = text.replace(/(#|\/\/)[^\n]*/g, '');
  const rules: PolicyRule[] = [];
  let at = source.search(/\S|$/);
  while (at < source.length) {
    BLOCK.lastIndex = at;
    const match = BLOCK.exec(source);
    if (!match) throw new PolicyParseError(`cannot parse policy near "${source.slice(at, at + 30).trim()}": expected path "<path>" { capabilities = [...] }`);
    const [, path, body] = match;
    const line = CAPABILITY_LINE.exec(body.trim().replace(/\s+/g, ' '));
    if (!line) throw new PolicyParseError(`path "${path}": expected exactly one capabilities = [...] line`);
    let list: unknown;
    try {
      list = JSON.parse(line[1].replace(/,\s*\]/, ']'));
    } catch {
      throw new PolicyParseError(`path "${path}": capabilities must be a list of quoted names`);
    }
    rules.push({ path, capabilities: checkCapabilities(path, list) });
    at = BLOCK.lastIndex + (source.slice(BLOCK.lastIndex).search(/\S|$/) as number);
  }
  return rules;
}

/** Parses a policy text (HCL subset or JSON). Throws PolicyParseError. */
export function parsePolicy(text: string): PolicyRule[] {
  const rules = text.trim().startsWith('{') ? parseJsonPolicy(text) : parseHclPolicy(text);
  if (rules.length === 0) throw new PolicyParseError('a policy needs at least one path rule');
  return rules;
}

function patternRegExp(pattern: string): RegExp {
  const glob = pattern.endsWith('*');
  const body = glob ? pattern.slice(0, -1) : pattern;
  const escaped = body.split('+').map((part) => part.replace(/[.*?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('[^/]+')}${glob ? '.*' : ''}$`, 's');
}

/** OpenBao's priority: later first wildcard, no trailing glob, fewer `+`, longer, then lexicographically greater. */
function morePrecise(a: string, b: string): boolean {
  const firstWildcard = (p: string) => {
    const i = p.search(/[+*]/);
    return i < 0 ? Infinity : i;
  };
  if (firstWildcard(a) !== firstWildcard(b)) return firstWildcard(a) > firstWildcard(b);
  if (a.endsWith('*') !== b.endsWith('*')) return !a.endsWith('*');
  const plus = (p: string) => (p.match(/\+/g) ?? []).length;
  if (plus(a) !== plus(b)) return plus(a) < plus(b);
  if (a.length !== b.length) return a.length > b.length;
  return a > b;
}

/**
 * The capabilities a set of policies grants on a request path (no leading slash, e.g. "pki/issue/web"). Rules for the
 * same pattern in several policies merge. A list request ("pki/roles/") also matches an exact rule without the slash.
 */
export function capabilitiesFor(policies: readonly (readonly PolicyRule[])[], path: string): Set<Capability> {
  const merged = new Map<string, Set<Capability>>();
  for (const rule of policies.flat()) {
    const set = merged.get(rule.path) ?? new Set<Capability>();
    for (const capability of rule.capabilities) set.add(capability);
    merged.set(rule.path, set);
  }
  const candidates = path.endsWith('/') ? [path.slice(0, -1), path] : [path];
  for (const candidate of candidates) {
    const exact = merged.get(candidate);
    if (exact) return exact.has('deny') ? new Set() : exact;
  }
  let best: string | undefined;
  for (const pattern of merged.keys()) {
    if (!/[+*]/.test(pattern) || !patternRegExp(pattern).test(path)) continue;
    if (best === undefined || morePrecise(pattern, best)) best = pattern;
  }
  const granted = best === undefined ? new Set<Capability>() : merged.get(best)!;
  return granted.has('deny') ? new Set() : granted;
}
