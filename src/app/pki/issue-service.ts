/**
 * OpenBao issue / sign / sign-verbatim, one builder for the role-selected and the path-selected issuer:
 * role checks decide the exact subject and SANs (pure, with OpenBao's messages), then IssuanceService signs in the
 * pool and records CertificateIssued. `issue` generates the key pair in the pool and makes it request its own
 * certificate, so every issuance goes through the same CSR pipeline.
 */
import { DomainError } from '../../domain/errors.js';
import { ENROLLMENT_REJECTED_STREAM, type EnrollmentRejectedData } from '../../domain/enrollment.js';
import { EVENT_SCHEMA_VERSION } from '../../domain/events.js';
import { ANY_NAME_POLICY } from '../../domain/issuance-policy.js';
import type { RoleDefinition } from '../../domain/role.js';
import {
  checkCsrKey,
  keySpecForIssue,
  resolveCertRequest,
  resolveLifetime,
  roleExtKeyUsages,
  roleKeyRules,
  roleKeyUsages,
  signVerbatimRole,
  type CertRequestInput,
  type Lifetime,
  type ResolvedCertificate,
} from '../../domain/role-issuance.js';
import type { KeySpec, San } from '../../domain/x509.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { buildCsr } from '../../crypto/csr-builder.js';
import { encodeUtf8OtherName } from '../../crypto/other-name.js';
import { createSigner } from '../../crypto/signer.js';
import type { IssuerRow } from '../../../projections/issuers.js';
import { IssuanceRejectedError, issuerCanIssue, type IssuedCertificate, type ProfilePolicy } from '../issuance.js';
import { aiaUrls, leafTtls, resolveIssuer, resolveRole, type PkiContext } from './context.js';
import { csrIdentity, readCsr } from './pem-input.js';
import { UpstreamEnroller } from '../idial/upstream-enrollment.js';
import { UpstreamService } from '../idial/upstream-service.js';

export interface IssuedMaterial {
  certificate: IssuedCertificate;
  /** The issuing CA certificate followed by its chain up to the root (DER). */
  caChain: Uint8Array[];
  privateKey?: { pkcs8Der: Uint8Array; spec: KeySpec };
  warnings: string[];
}

interface RoleTarget {
  roleName: string;
  /** From the path (issuer/:issuer_ref/issue/:role); the role's issuer_ref otherwise. */
  issuerRef?: string;
  input: CertRequestInput;
  metadata: EventMetadata;
}

export interface IssueRequest extends RoleTarget {
  keyType: string;
  keyBits: number;
}

export interface SignRequest extends RoleTarget {
  csr: string;
}

export interface SignVerbatimRequest {
  roleName?: string;
  issuerRef?: string;
  csr: string;
  input: CertRequestInput;
  usages: Pick<RoleDefinition, 'keyUsage' | 'extKeyUsage' | 'extKeyUsageOids'>;
  metadata: EventMetadata;
}

function issuerChain(issuer: IssuerRow): Uint8Array[] {
  return [issuer.certificate, ...issuer.chain].map((b64) => Buffer.from(b64, 'base64'));
}

export class IssueService {
  private readonly upstreams: UpstreamEnroller;

  constructor(private readonly ctx: PkiContext) {
    this.upstreams = new UpstreamEnroller(ctx.core, new UpstreamService(ctx.core));
  }

  /** RA mode (role `upstream`): the role's checks have passed; the upstream EST server issues, Signet records it. */
  private async viaUpstream(action: string, roleName: string, upstream: number, csrDer: Uint8Array, issuer: IssuerRow, metadata: EventMetadata, warnings: string[]): Promise<IssuedMaterial> {
    const issued = await this.upstreams.enroll({ upstream, csrDer, role: roleName, metadata: { ...metadata, action } });
    await this.ctx.core.runner.waitFor(issued.position);
    const { caChain, ...certificate } = issued;
    return { certificate: { ...certificate, issuer }, caChain, warnings };
  }

  private issuer(ref: string): IssuerRow {
    const issuer = resolveIssuer(this.ctx, ref);
    if (!issuerCanIssue(issuer)) throw new DomainError('invalid', 'issuer_cannot_issue', `issuer ${issuer.name || issuer.issuerId} is not permitted to issue certificates (usage, revocation or missing key)`);
    return issuer;
  }

  private policy(name: string, role: RoleDefinition, issuer: IssuerRow, resolved: Lifetime): ProfilePolicy {
    return {
      name,
      validitySeconds: resolved.ttlSeconds ?? 0,
      backdateSeconds: role.notBeforeDuration,
      keyUsage: roleKeyUsages(role),
      extKeyUsage: roleExtKeyUsages(role),
      allowedKeys: roleKeyRules(role),
      requireCommonName: false,
      // Names were decided by the role checks above; the worker re-checks keys and validity.
      names: ANY_NAME_POLICY,
      ...aiaUrls(this.ctx, issuer),
    };
  }

  /** Refusals are history too: an EnrollmentRejected on the shared stream (an audit failure is only logged). */
  private async auditRefusal<T>(action: string, role: string | undefined, subject: string, metadata: EventMetadata, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof DomainError || error instanceof IssuanceRejectedError) {
        const data: EnrollmentRejectedData = { action, result: 'bad_request', reason: error.message, at: new Date().toISOString(), ...(subject ? { subject } : {}), ...(role ? { profile: role } : {}) };
        await this.ctx.core.store
          .append(ENROLLMENT_REJECTED_STREAM, [{ type: 'EnrollmentRejected', data, metadata: { ...metadata, action, v: EVENT_SCHEMA_VERSION } }], { expectedRevision: 'any' })
          .catch((auditError: unknown) => this.ctx.core.logger.error({ err: auditError, action }, 'could not record a refused issuance'));
      }
      throw error;
    }
  }

  private async record(
    action: string,
    csrDer: Uint8Array,
    issuer: IssuerRow,
    policy: ProfilePolicy,
    resolved: Lifetime,
    overrides: { subject?: ResolvedCertificate['subject']; sans?: San[] },
    extra: { role?: string; noStore?: boolean; metadata: EventMetadata },
  ): Promise<IssuedCertificate> {
    const certificate = await this.ctx.issuance.issueFromCsr({
      csrDer,
      issuer,
      policy,
      context: {
        ...(resolved.ttlSeconds !== undefined ? { ttlSeconds: resolved.ttlSeconds } : {}),
        ...(resolved.notAfter !== undefined ? { notAfter: resolved.notAfter } : {}),
        ...(overrides.subject ? { subjectOverride: overrides.subject } : {}),
        ...(overrides.sans ? { sansOverride: overrides.sans } : {}),
      },
      ...(extra.role ? { role: extra.role } : {}),
      ...(extra.noStore ? { noStore: true } : {}),
      metadata: { ...extra.metadata, action },
    });
    await this.ctx.core.runner.waitFor(certificate.position);
    return certificate;
  }

  private static sans(resolved: ResolvedCertificate): San[] {
    return [...resolved.sans, ...resolved.otherSans.map((o) => encodeUtf8OtherName(o.oid, o.value))];
  }

  /** issue/:role and issuer/:ref/issue/:role: a new key pair (generated in the pool) and its certificate. */
  issue(request: IssueRequest): Promise<IssuedMaterial> {
    return this.auditRefusal('issue', request.roleName, request.input.commonName, request.metadata, async () => {
      const role = resolveRole(this.ctx, request.roleName);
      const issuer = this.issuer(request.issuerRef ?? role.issuerRef);
      const resolved = resolveCertRequest(role, request.input, leafTtls(this.ctx));
      const spec = keySpecForIssue(role, request);
      const warnings = [...resolved.warnings];
      if (role.keyType !== 'any' && (request.keyType || request.keyBits)) warnings.push('parameters key_type and key_bits ignored as role had specific values');
      const pair = await this.ctx.pool.generateKey(spec);
      if (role.upstream) {
        const csrDer = buildCsr(createSigner(pair.pkcs8Der), { subject: resolved.subject, sans: IssueService.sans(resolved) });
        const material = await this.viaUpstream('issue', request.roleName, role.upstream, csrDer, issuer, request.metadata, warnings);
        return { ...material, privateKey: { pkcs8Der: pair.pkcs8Der, spec } };
      }
      const csrDer = buildCsr(createSigner(pair.pkcs8Der), { subject: resolved.subject });
      const policy = this.policy(request.roleName, role, issuer, resolved);
      const certificate = await this.record('issue', csrDer, issuer, policy, resolved, { subject: resolved.subject, sans: IssueService.sans(resolved) }, { role: request.roleName, noStore: role.noStore, metadata: request.metadata });
      return { certificate, caChain: issuerChain(issuer), privateKey: { pkcs8Der: pair.pkcs8Der, spec }, warnings };
    });
  }

  /** sign/:role and issuer/:ref/sign/:role: a certificate for the CSR's key, named as the role decides. */
  sign(request: SignRequest): Promise<IssuedMaterial> {
    return this.auditRefusal('sign', request.roleName, request.input.commonName, request.metadata, async () => {
      const role = resolveRole(this.ctx, request.roleName);
      const issuer = this.issuer(request.issuerRef ?? role.issuerRef);
      const csr = readCsr(request.csr);
      checkCsrKey(role, csr.parsed.publicKey);
      const resolved = resolveCertRequest(role, request.input, leafTtls(this.ctx), csrIdentity(csr.parsed));
      if (role.upstream) return this.viaUpstream('sign', request.roleName, role.upstream, csr.der, issuer, request.metadata, resolved.warnings);
      const policy = this.policy(request.roleName, role, issuer, resolved);
      const certificate = await this.record('sign', csr.der, issuer, policy, resolved, { subject: resolved.subject, sans: IssueService.sans(resolved) }, { role: request.roleName, noStore: role.noStore, metadata: request.metadata });
      return { certificate, caChain: issuerChain(issuer), warnings: resolved.warnings };
    });
  }

  /** sign-verbatim(/:role): the CSR's subject and SANs as they are; a named role only lends lifetimes and no_store. */
  signVerbatim(request: SignVerbatimRequest): Promise<IssuedMaterial> {
    return this.auditRefusal('sign-verbatim', request.roleName, '', request.metadata, async () => {
      const named = request.roleName ? resolveRole(this.ctx, request.roleName) : undefined;
      const role = signVerbatimRole(request.usages, named);
      const issuer = this.issuer(request.issuerRef ?? role.issuerRef);
      const csr = readCsr(request.csr);
      checkCsrKey(role, csr.parsed.publicKey);
      const warnings: string[] = [];
      const lifetime = resolveLifetime(role, request.input, leafTtls(this.ctx), warnings);
      const policy = this.policy(request.roleName ?? 'sign-verbatim', role, issuer, lifetime);
      const certificate = await this.record('sign-verbatim', csr.der, issuer, policy, lifetime, {}, { ...(request.roleName ? { role: request.roleName } : {}), noStore: role.noStore, metadata: request.metadata });
      return { certificate, caChain: issuerChain(issuer), warnings };
    });
  }
}
