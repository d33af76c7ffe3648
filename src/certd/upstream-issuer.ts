/**
 * certd's `method = "est"` carried out by Signet as a registration authority: the setting resolves to a validated
 * EST configuration (/pki/est), the upstream CA issues, and Signet records the certificate (issuer
 * `est-upstream-<id>`) before certd stores it under its ID.
 */
import { invalid } from '../domain/errors.js';
import { STANDARD_KEY_RULES } from '../domain/issuance-policy.js';
import type { Core } from '../core.js';
import { UpstreamEnroller, upstreamIssuerId } from '../app/idial/upstream-enrollment.js';
import { UpstreamService } from '../app/idial/upstream-service.js';
import type { UpstreamEstIssuer } from './service.js';
import { upstreamForUrl } from './upstream-routing.js';

export function certdUpstreamIssuer(core: Core): UpstreamEstIssuer {
  const upstreams = new UpstreamService(core);
  const enroller = new UpstreamEnroller(core, upstreams);
  return async ({ certId, csrDer, upstream, url, metadata }) => {
    const id = upstream ?? (url ? upstreamForUrl(upstreams.queries.list(), url) : undefined);
    if (id === undefined) {
      const target = url ? `the EST server ${url}, which matches no EST configuration` : 'an EST server, but names none';
      throw invalid('issuance_setting_unusable', `cert "${certId}" is configured to be issued by ${target}: add one with POST /pki/est, or set upstream = <its id>`);
    }
    const issued = await enroller.enroll({ upstream: id, csrDer, allowedKeys: [...STANDARD_KEY_RULES], metadata });
    return { serial: issued.serial, issuerId: upstreamIssuerId(id), certDer: issued.certDer, issuerChain: issued.caChain };
  };
}
