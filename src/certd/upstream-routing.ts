/**
 * Which EST configuration (/pki/est) a certd `method = "est"` setting enrolls through (pure): the one it names by
 * id, or the one its URL names. certd's URLs are EST base paths (`https://host/.well-known/est`), to which it adds
 * `/simpleenroll`; a full enroll URL is accepted too.
 */
import type { EstUpstreamSettings } from '../domain/est-upstream.js';
import type { CertdConfig } from './authorization.js';
import { planIssuance } from './issuance-plan.js';

export interface UpstreamCandidate {
  id: number;
  settings: Pick<EstUpstreamSettings, 'server' | 'port' | 'enrollEndpoint'>;
  lastValidated?: string;
}

/** Several configurations may name one server: a validated one (the only kind that can issue), then the lowest id. */
const preference = (a: UpstreamCandidate, b: UpstreamCandidate) => Number(!a.lastValidated) - Number(!b.lastValidated) || a.id - b.id;

export function upstreamForUrl(candidates: readonly UpstreamCandidate[], url: string): number | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  const path = parsed.pathname.replace(/\/+$/, '');
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const matching = candidates.filter(({ settings }) => settings.server === host && settings.port === port && [path, `${path}/simpleenroll`].includes(settings.enrollEndpoint));
  return matching.sort(preference)[0]?.id;
}

/** The configuration a certificate ID's EST setting resolves to; undefined when it is no EST setting or names none. */
export function certdUpstreamOf(config: CertdConfig, certId: string, candidates: readonly UpstreamCandidate[]): number | undefined {
  if (config.issuance.get(certId)?.method !== 'est') return undefined;
  const plan = planIssuance(certId, undefined, config);
  if (plan.kind !== 'est') return undefined;
  return plan.upstream ?? (plan.url ? upstreamForUrl(candidates, plan.url) : undefined);
}

/** The certd settings that route issuance through configuration `id`, as `certd:<certId>` (a delete's in_use). */
export function certdUpstreamUsers(config: CertdConfig | undefined, candidates: readonly UpstreamCandidate[], id: number): string[] {
  if (!config) return [];
  return [...config.issuance.keys()].filter((certId) => certdUpstreamOf(config, certId, candidates) === id).map((certId) => `certd:${certId}`);
}
