/**
 * Which names a role allows, with OpenBao's semantics (validateNames / validateCommonName in its cert_util.go):
 * allow_any_name, allowed_domains with bare / subdomain / glob matching, localhost, RFC 6125 wildcards and
 * enforce_hostnames. Each check returns the first refused name, or undefined when every name passes.
 */
import { domainToASCII } from 'node:url';
import type { RoleDefinition } from './role.js';

const LABEL = '([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9])';
const HOSTNAME = new RegExp(`^(\\*\\.)?(${LABEL}\\.)*${LABEL}\\.?$`);
const LEFT_WILDCARD_LABEL = new RegExp(`^(\\*|\\*${LABEL}|${LABEL}\\*|${LABEL}\\*${LABEL})$`);

/** Shell-style glob where `*` matches any run of characters, dots included (go-glob, case-sensitive). */
export function globMatch(pattern: string, value: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's').test(value);
}

/** The IDNA (punycode) form of a host name, or undefined when it is not a valid one. */
export function toAsciiHostname(name: string): string | undefined {
  const ascii = /^[\x21-\x7e]*$/.test(name) ? name : domainToASCII(name);
  return ascii ? ascii : undefined;
}

export function isHostname(name: string): boolean {
  const ascii = toAsciiHostname(name);
  return ascii !== undefined && ascii.length <= 253 && HOSTNAME.test(ascii);
}

interface ParsedName {
  name: string;
  /** The host part: without the email user or the wildcard label. */
  reduced: string;
  emailDomain?: string;
  wildcardLabel?: string;
}

/** Splits an email user and an RFC 6125 wildcard label off a name; undefined when the shape is invalid. */
function parseName(name: string): ParsedName | undefined {
  let reduced = name;
  let emailDomain: string | undefined;
  if (reduced.includes('@')) {
    const parts = reduced.split('@');
    if (parts.length !== 2) return undefined;
    reduced = emailDomain = parts[1];
  }
  if (!reduced.includes('*')) return { name, reduced, emailDomain };
  if (emailDomain !== undefined) return undefined;
  if ((reduced.match(/\*/g) ?? []).length > 1) return undefined;
  const dot = reduced.indexOf('.');
  const wildcardLabel = dot < 0 ? reduced : reduced.slice(0, dot);
  const rest = dot < 0 ? '' : reduced.slice(dot + 1);
  if (rest.includes('*')) return undefined;
  return { name, reduced: rest, wildcardLabel };
}

function hostnameShapeOk(parsed: ParsedName): boolean {
  if (parsed.reduced !== '' && !isHostname(parsed.reduced)) return false;
  return parsed.wildcardLabel === undefined || LEFT_WILDCARD_LABEL.test(parsed.wildcardLabel);
}

function localhostAllowed(role: RoleDefinition, parsed: ParsedName): boolean {
  if (!role.allowLocalhost) return false;
  const { reduced, emailDomain, wildcardLabel } = parsed;
  if (['localhost', 'localdomain'].includes(reduced) || ['localhost', 'localdomain'].includes(emailDomain ?? '')) return true;
  if (!role.allowSubdomains) return false;
  return ['localhost', 'localdomain'].some((base) => reduced.endsWith(`.${base}`) || (wildcardLabel !== undefined && reduced === base));
}

function allowedDomainsAllow(role: RoleDefinition, parsed: ParsedName): boolean {
  const { name, reduced, emailDomain, wildcardLabel } = parsed;
  return role.allowedDomains.some((domain) => {
    if (domain === '') return false;
    const equal = (a: string) => a.toLowerCase() === domain.toLowerCase();
    if (role.allowBareDomains && (equal(name) || (emailDomain !== undefined && equal(emailDomain)))) return true;
    if (role.allowSubdomains && (reduced.endsWith(`.${domain}`) || (wildcardLabel !== undefined && equal(reduced)))) return true;
    return role.allowGlobDomains && domain.includes('*') && globMatch(domain, name);
  });
}

function nameAllowed(role: RoleDefinition, name: string): boolean {
  const parsed = parseName(name);
  if (!parsed) return false;
  // A forbidden wildcard and enforce_hostnames win even over allow_any_name.
  if (parsed.wildcardLabel !== undefined && !role.allowWildcardCertificates) return false;
  if (role.enforceHostnames && !hostnameShapeOk(parsed)) return false;
  if (role.allowAnyName) return true;
  return localhostAllowed(role, parsed) || allowedDomainsAllow(role, parsed);
}

/** The first DNS name or email address the role refuses. */
export function refusedName(role: RoleDefinition, names: readonly string[]): string | undefined {
  return names.find((name) => !nameAllowed(role, name));
}

/** The common name, when the role refuses it (cn_validations decide whether it must be a host name or an email). */
export function refusedCommonName(role: RoleDefinition, commonName: string): string | undefined {
  const validations = role.cnValidations;
  if (validations.length === 1 && validations[0] === 'disabled') return undefined;
  if (!nameAllowed(role, commonName)) return commonName;
  if (validations.length === 0) return undefined;
  return validations.includes(commonName.includes('@') ? 'email' : 'hostname') ? undefined : commonName;
}

export function uriAllowed(role: RoleDefinition, uri: string): boolean {
  return role.allowedUriSans.some((pattern) => globMatch(pattern, uri));
}

/** An otherName SAN in OpenBao's text form `<oid>;UTF8:<value>`. */
export interface OtherSan {
  oid: string;
  value: string;
}

/** Parses `<oid>;UTF8:<value>` (or `UTF-8`); throws an Error with OpenBao's wording when malformed. */
export function parseOtherSan(text: string): OtherSan {
  const semicolon = text.indexOf(';');
  if (semicolon < 0) throw new Error(`expected a semicolon in other SAN "${text}"`);
  const typed = text.slice(semicolon + 1);
  const colon = typed.indexOf(':');
  if (colon < 0) throw new Error(`expected a colon in other SAN "${text}"`);
  const type = typed.slice(0, colon).toUpperCase();
  if (type !== 'UTF8' && type !== 'UTF-8') throw new Error(`only UTF8 other SANs are supported, not "${type}"`);
  return { oid: text.slice(0, semicolon), value: typed.slice(colon + 1) };
}

/** OpenBao's validateOtherSANs: the refused OID (and value), or undefined when all pass. */
export function refusedOtherSan(role: RoleDefinition, requested: readonly OtherSan[]): { oid: string; value?: string } | undefined {
  if (role.allowedOtherSans.length === 1 && role.allowedOtherSans[0] === '*') return undefined;
  const allowed = role.allowedOtherSans.map(parseOtherSan);
  for (const { oid, value } of requested) {
    const patterns = allowed.filter((a) => a.oid === oid).map((a) => a.value);
    if (patterns.length === 0) return { oid };
    if (!patterns.some((pattern) => globMatch(pattern, value))) return { oid, value };
  }
  return undefined;
}

/** Glob lists where a bare `*` allows anything (allowed_serial_numbers, allowed_user_ids). */
export function globListAllows(patterns: readonly string[], value: string): boolean {
  return patterns.some((pattern) => pattern === '*' || globMatch(pattern, value));
}
