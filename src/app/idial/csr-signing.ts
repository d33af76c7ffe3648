/**
 * IDIAL sign-client-csr / sign-server-csr: `internal` signs with Signet's default issuer under a client-auth or
 * server-auth template; `est` enrolls at an upstream EST configuration (the one named by `est_id`, else the
 * validated one with the lowest id), or renews over its renew_endpoint when the request carries `certificate` (and
 * `private_key` for TLS client authentication, see renewal-input.ts); `cmp` is not implemented (501).
 */
import { invalid } from '../../domain/errors.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { ANY_NAME_POLICY, STANDARD_KEY_RULES } from '../../domain/issuance-policy.js';
import { pemToDer } from '../../crypto/pem.js';
import { CryptoInputError } from '../../crypto/errors.js';
import type { Core } from '../../core.js';
import { IssuanceService, type ProfilePolicy } from '../issuance.js';
import { UpstreamEnroller } from './upstream-enrollment.js';
import type { UpstreamService } from './upstream-service.js';
import { parseRenewal, type Renewal } from './renewal-input.js';
import { signProfile, type CsrUsage, type SignAttempt } from './sign-refusals.js';

export class NotImplementedError extends Error {
  readonly httpStatus = 501;
  constructor(message: string) {
    super(message);
    this.name = 'NotImplementedError';
  }
}

const PROTOCOLS = ['internal', 'est', 'cmp'] as const;
type Protocol = (typeof PROTOCOLS)[number];
const DAY = 86_400;

interface SignRequest {
  csrDer: Uint8Array;
  protocol: Protocol;
  estId?: number;
  renewal?: Renewal;
}

/** Reads the body; `attempt` learns the CSR as soon as it decodes, so a later refusal can name its subject. */
function parseRequest(body: unknown, attempt: SignAttempt): SignRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('invalid_body', 'the body must be a JSON object');
  const { csr, pki_protocol: protocol = 'internal', est_id: estId, certificate, private_key: privateKey, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw invalid('unknown_field', `unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  if (typeof csr !== 'string' || !csr.trim()) throw invalid('missing_csr', 'csr is required: a PEM certificate signing request');
  if (typeof protocol !== 'string' || !(PROTOCOLS as readonly string[]).includes(protocol)) throw invalid('invalid_protocol', 'pki_protocol must be "internal", "est" or "cmp"');
  if (estId !== undefined && !(Number.isInteger(estId) && (estId as number) > 0)) throw invalid('invalid_est_id', 'est_id must be the id of an EST configuration');
  let csrDer: Uint8Array;
  try {
    csrDer = pemToDer(csr, 'CERTIFICATE REQUEST');
    attempt.csrDer = csrDer;
  } catch (error) {
    if (error instanceof CryptoInputError) throw invalid('invalid_csr', `csr is not a PEM certificate signing request: ${error.message}`);
    throw error;
  }
  const renewal = parseRenewal(certificate, privateKey);
  if (renewal && protocol !== 'est') throw invalid('renewal_needs_est', 'certificate and private_key (a renewal over the renew_endpoint) need pki_protocol "est"');
  return { csrDer, protocol: protocol as Protocol, ...(estId !== undefined ? { estId: estId as number } : {}), ...(renewal ? { renewal } : {}) };
}

export class CsrSigning {
  private readonly issuance: IssuanceService;
  private readonly enroller: UpstreamEnroller;

  constructor(
    private readonly core: Core,
    private readonly upstreams: UpstreamService,
  ) {
    if (!core.pool) throw new Error('CSR signing needs the signing pool');
    this.issuance = new IssuanceService(core, core.pool);
    this.enroller = new UpstreamEnroller(core, upstreams);
  }

  /** The issued certificate, DER. */
  async sign(attempt: SignAttempt, body: unknown, metadata: EventMetadata): Promise<Uint8Array> {
    const { usage } = attempt;
    const request = parseRequest(body, attempt);
    const profile = signProfile(usage);
    switch (request.protocol) {
      case 'cmp':
        throw new NotImplementedError('pki_protocol "cmp" is not implemented yet; use "internal" or "est"');
      case 'est': {
        const upstream = request.estId ?? this.defaultUpstream();
        const renewal = request.renewal ? { renewal: request.renewal } : {};
        return (await this.enroller.enroll({ upstream, csrDer: request.csrDer, allowedKeys: [...STANDARD_KEY_RULES], profile, metadata, ...renewal })).certDer;
      }
      case 'internal': {
        const issued = await this.issuance.issueFromCsr({ csrDer: request.csrDer, issuer: this.issuance.issuer('default'), policy: this.policy(usage, profile), profile, metadata });
        return issued.certDer;
      }
    }
  }

  private policy(usage: CsrUsage, name: string): ProfilePolicy {
    return {
      name,
      validitySeconds: this.core.config.ca.leafValidityDays * DAY,
      backdateSeconds: 60,
      keyUsage: usage === 'server' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'],
      extKeyUsage: [usage === 'server' ? 'serverAuth' : 'clientAuth'],
      allowedKeys: [...STANDARD_KEY_RULES],
      requireCommonName: false,
      names: ANY_NAME_POLICY,
    };
  }

  private defaultUpstream(): number {
    const validated = this.upstreams.queries.list().find((row) => row.lastValidated);
    if (!validated) throw invalid('no_validated_upstream', 'no validated EST configuration: add one with POST /pki/est and validate it with POST /pki/est/validate/{id}');
    return validated.id;
  }
}
