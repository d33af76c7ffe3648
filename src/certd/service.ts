/**
 * The certd application service: create a certificate from a CSR, import one, read one, delete one, for a caller
 * the kernel identified by uid. Authorization (config.d principals) comes first; every change is an event on
 * `certd-<certId>`; reads come from the certd projection.
 */
import { IssuanceRejectedError, issuerCanIssue, type IssuanceService } from '../app/issuance.js';
import { certdDecider, certdStream, certIdProblem, type CertdCommand } from '../domain/certd.js';
import { forbidden, invalid, notFound } from '../domain/errors.js';
import type { EventMetadata } from '../eventstore/port.js';
import { parseCertificate } from '../crypto/certificate.js';
import { CryptoInputError } from '../crypto/errors.js';
import { formatName } from '../crypto/name.js';
import { decodeBodyToDer, decodePem, dersToPem } from '../crypto/pem.js';
import type { CertdQueries } from '../../projections/certd.js';
import type { IssuerRow } from '../../projections/issuers.js';
import type { Core } from '../core.js';
import { mayWriteCertificate, type CertdConfig } from './authorization.js';
import type { EstAuthSettings } from './config-file.js';
import type { PeerCredentials } from './peercred.js';
import { certdPolicy, invalidParameter, planIssuance, settingLifetimeSeconds, subjectOverride, type IssuancePlan, type RequestedIssuer } from './issuance-plan.js';

/** A certificate some other issuing path produced, with the chain above it (nearest first). */
export interface ExternallyIssued {
  serial: string;
  issuerId: string;
  certDer: Uint8Array;
  issuerChain: Uint8Array[];
}

/**
 * Extension point: issuing under an OpenBao role, as `/v1/pki/sign/:role` does (the role's issuer, rules and
 * lifetime). The server wires it from the /v1/pki application service.
 */
export type RoleIssuer = (request: { role: string; certId: string; csrDer: Uint8Array; ttlSeconds?: number; metadata: EventMetadata }) => Promise<ExternallyIssued>;

/** Extension point: enrolling upstream over EST (certd's `method = "est"`) through an EST configuration (upstream-issuer.ts). */
export type UpstreamEstIssuer = (request: { certId: string; csrDer: Uint8Array; upstream?: number; url?: string; auth?: EstAuthSettings; metadata: EventMetadata }) => Promise<ExternallyIssued>;

/** A configured issuance method this Signet cannot carry out (yet): the server's limitation, not the caller's mistake. */
export class IssuanceMethodUnavailableError extends Error {
  readonly httpStatus = 501;
  constructor(message: string) {
    super(message);
    this.name = 'IssuanceMethodUnavailableError';
  }
}

export type CertdCaller = Pick<PeerCredentials, 'uid' | 'pid'>;

export interface CreateCertificateRequest {
  certId: string;
  /** Base64 DER as the spec says, or PEM as aziot clients send it. */
  csr: string;
  issuer?: RequestedIssuer;
}

export interface CertdServiceDeps {
  core: Pick<Core, 'commands' | 'runner' | 'queries'>;
  issuance: IssuanceService;
  certificates: CertdQueries;
  config: () => CertdConfig;
  roleIssuer?: RoleIssuer;
  upstreamEst?: UpstreamEstIssuer;
}

const toBase64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

function requireCertId(certId: string, parameter: string): void {
  const problem = certIdProblem(certId);
  if (problem) throw invalidParameter(parameter, problem);
}

export class CertdService {
  constructor(private readonly deps: CertdServiceDeps) {}

  /** The PEM chain, leaf first. No authorization: certd lets anyone on the socket read. */
  get(certId: string): string {
    const row = this.deps.certificates.get(certId);
    if (!row) throw notFound('unknown_cert_id', `certificate "${certId}" not found`);
    return row.pem;
  }

  async create(caller: CertdCaller, request: CreateCertificateRequest): Promise<string> {
    requireCertId(request.certId, 'certId');
    this.authorize(caller, request.certId);
    const csrDer = this.decodeCsr(request.csr);
    const metadata = this.metadata(caller);
    const plan = planIssuance(request.certId, request.issuer, this.deps.config());
    const issued = await this.issue(plan, request.certId, csrDer, metadata);
    const chain = [issued.certDer, ...issued.issuerChain];
    // The certificate is already recorded as issued (cert-<serial>); should this append fail, it was issued but
    // never handed out, and the audit trail still shows it.
    await this.record(
      {
        type: 'RecordCreatedCertificate',
        data: {
          certId: request.certId,
          serial: issued.serial,
          issuerId: issued.issuerId,
          subject: formatName(parseCertificate(issued.certDer).subject),
          chain: chain.map(toBase64),
          ...(plan.kind === 'role' ? { role: plan.role } : {}),
        },
        now: new Date(),
      },
      metadata,
    );
    return dersToPem(chain, 'CERTIFICATE');
  }

  /** Stores a PEM chain under the ID; answers it as it will be served. Only certificates are accepted, never keys. */
  async import(caller: CertdCaller, certId: string, pem: string): Promise<string> {
    requireCertId(certId, 'id');
    this.authorize(caller, certId);
    const chain = this.decodeChain(pem);
    await this.record(
      { type: 'ImportCertificate', data: { certId, subject: formatName(parseCertificate(chain[0]).subject), chain: chain.map(toBase64) }, now: new Date() },
      this.metadata(caller),
    );
    return dersToPem(chain, 'CERTIFICATE');
  }

  /** Deleting an ID that holds nothing succeeds, as in certd. */
  async delete(caller: CertdCaller, certId: string): Promise<void> {
    requireCertId(certId, 'id');
    this.authorize(caller, certId);
    await this.record({ type: 'DeleteCertificate', data: { certId }, now: new Date() }, this.metadata(caller));
  }

  private authorize(caller: CertdCaller, certId: string): void {
    if (!mayWriteCertificate(this.deps.config(), caller.uid, certId)) {
      throw forbidden('not_authorized', `user ${caller.uid} is not authorized to modify the cert ${certId}`);
    }
  }

  private metadata(caller: CertdCaller): EventMetadata {
    return { actor: `uid:${caller.uid}`, auth_method: 'peercred', peer_pid: caller.pid };
  }

  private async record(command: CertdCommand, metadata: EventMetadata): Promise<void> {
    const result = await this.deps.core.commands.handle(certdStream(command.data.certId), certdDecider, command, { metadata });
    if (result.position !== undefined) await this.deps.core.runner.waitFor(result.position);
  }

  private decodeCsr(csr: string): Uint8Array {
    try {
      return decodeBodyToDer(csr);
    } catch (error) {
      if (error instanceof CryptoInputError) throw invalidParameter('csr', error.message);
      throw error;
    }
  }

  private decodeChain(pem: string): Uint8Array[] {
    try {
      const blocks = decodePem(pem);
      const other = blocks.find((block) => block.label !== 'CERTIFICATE');
      if (other) throw invalidParameter('pem', `only CERTIFICATE blocks may be imported, found "${other.label}"`);
      for (const block of blocks) parseCertificate(block.der);
      return blocks.map((block) => block.der);
    } catch (error) {
      if (error instanceof CryptoInputError) throw invalidParameter('pem', error.message);
      throw error;
    }
  }

  private async issue(plan: IssuancePlan, certId: string, csrDer: Uint8Array, metadata: EventMetadata): Promise<ExternallyIssued> {
    switch (plan.kind) {
      case 'est': {
        if (!this.deps.upstreamEst) {
          throw new IssuanceMethodUnavailableError(`cert "${certId}" is configured to be issued by an upstream EST server, which this certd was started without`);
        }
        const { kind: _kind, ...target } = plan;
        return this.rejectingMalformedCsr(() => this.deps.upstreamEst!({ certId, csrDer, ...target, metadata }));
      }
      case 'role': {
        if (!this.deps.roleIssuer) throw new IssuanceMethodUnavailableError(`cert "${certId}" is configured to be issued under role "${plan.role}", which this Signet cannot do yet`);
        const ttlSeconds = settingLifetimeSeconds(plan.setting);
        return this.rejectingMalformedCsr(() => this.deps.roleIssuer!({ role: plan.role, certId, csrDer, ...(ttlSeconds ? { ttlSeconds } : {}), metadata }));
      }
      case 'issuer': {
        const issuer = plan.keyHandle === undefined ? this.configuredIssuer(certId, plan.issuerRef) : this.requestedIssuer(plan.issuerRef, plan.keyHandle);
        const override = subjectOverride(plan.setting);
        const issued = await this.rejectingMalformedCsr(() =>
          this.deps.issuance.issueFromCsr({
            csrDer,
            issuer,
            policy: certdPolicy(certId, plan.setting),
            ...(override ? { context: { subjectOverride: override } } : {}),
            metadata,
          }),
        );
        return { serial: issued.serial, issuerId: issuer.issuerId, certDer: issued.certDer, issuerChain: [issuer.certificate, ...issuer.chain].map((b64) => Buffer.from(b64, 'base64')) };
      }
    }
  }

  /**
   * The issuer the caller named. Its key handle must name that issuer's key (key id or name): the caller has to
   * know which key signs, not just which issuer exists.
   */
  private requestedIssuer(ref: string, keyHandle: string): IssuerRow {
    const issuer = this.deps.core.queries.issuers.resolve(ref);
    if (!issuer) throw invalidParameter('issuer.certId', `no Signet issuer named "${ref}"`);
    if (!issuerCanIssue(issuer)) throw invalidParameter('issuer.certId', `issuer "${issuer.name}" cannot issue certificates`);
    const key = issuer.keyId ? this.deps.core.queries.issuers.key(issuer.keyId) : undefined;
    if (!key || (keyHandle !== key.keyId && keyHandle !== key.name)) {
      throw forbidden('issuer_key_mismatch', `issuer.privateKeyHandle does not name the key of issuer "${issuer.name}"`);
    }
    return issuer;
  }

  /** The issuer config.d names for the ID; when it cannot issue, the setting (not the caller) is at fault. */
  private configuredIssuer(certId: string, ref: string): IssuerRow {
    const issuer = this.deps.core.queries.issuers.resolve(ref);
    if (!issuer || !issuerCanIssue(issuer)) {
      throw invalid('issuance_setting_unusable', `cert "${certId}" is configured to be issued by issuer "${ref}", which ${issuer ? 'cannot issue certificates' : 'Signet does not have'}`);
    }
    return issuer;
  }

  /** certd reports an unusable CSR as a bad "csr" parameter; policy refusals keep their own message. */
  private async rejectingMalformedCsr<T>(issue: () => Promise<T>): Promise<T> {
    try {
      return await issue();
    } catch (error) {
      if (error instanceof IssuanceRejectedError && error.malformed) throw invalidParameter('csr', error.message);
      throw error;
    }
  }
}
