/**
 * Issuing one certificate from a CSR, the path every front end shares (EST, OpenBao sign/issue, certd):
 * resolve issuer → sign in the pool (verify, policy, TBS, signature) → record CertificateIssued with expected
 * `no_stream`, alone or in one atomic write with what pays for it (an OTP use) → answer only after it is durable.
 */
import { certificateDecider, certificateStream } from '../domain/certificate.js';
import { DomainError } from '../domain/errors.js';
import type { IssuanceContext, IssuancePolicy } from '../domain/issuance-policy.js';
import type { AppendResult, EventMetadata, StreamAppend } from '../eventstore/port.js';
import { randomSerialHex } from '../crypto/serial.js';
import type { IssuerRow } from '../../projections/issuers.js';
import type { Core } from '../core.js';
import type { SigningPool } from './signing-pool.js';
import { publicAiaUrls } from './revocation/aia-defaults.js';

/** A CSR or request the pipeline refused: malformed input, bad signature, or a policy rule. */
export class IssuanceRejectedError extends Error {
  readonly httpStatus = 400;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'IssuanceRejectedError';
  }

  /** Whether the CSR itself was unusable (as opposed to refused by policy). */
  get malformed(): boolean {
    return ['malformed', 'bad_encoding', 'invalid_content', 'bad_signature', 'unsupported_algorithm', 'unsupported_key'].includes(this.code);
  }
}

/** The issuance policy without the parts that come from the issuer. */
export type ProfilePolicy = Omit<IssuancePolicy, 'issuerNotAfter' | 'leafNotAfterBehavior' | 'crlDistributionPoints' | 'ocspServers' | 'issuingCertificateUrls'> &
  Partial<Pick<IssuancePolicy, 'crlDistributionPoints' | 'ocspServers' | 'issuingCertificateUrls'>>;

export interface IssueFromCsrRequest {
  csrDer: Uint8Array;
  issuer: IssuerRow;
  policy: ProfilePolicy;
  context?: Omit<IssuanceContext, 'serialHex' | 'now'>;
  profile?: string;
  role?: string;
  renews?: string;
  /** OpenBao role no_store: recorded, but hidden from certificate listings. */
  noStore?: boolean;
  metadata: EventMetadata;
  /**
   * Records the certificate's append together with something it depends on, in one atomic write (e.g. the OTP use
   * that pays for it: `OtpConsumer.consume`): one commit per enrollment, and never one without the other.
   * Rejecting here leaves the signed certificate unrecorded.
   */
  recordWith?: (certificate: StreamAppend) => Promise<AppendResult | undefined>;
  now?: Date;
}

export interface IssuedCertificate {
  serial: string;
  certDer: Uint8Array;
  subject: string;
  notAfter: string;
  issuer: IssuerRow;
  position: number;
}

export function issuerCanIssue(issuer: IssuerRow): boolean {
  return issuer.status === 'active' && issuer.keyId !== null && issuer.usage.includes('issuing-certificates');
}

export class IssuanceService {
  constructor(
    private readonly core: Pick<Core, 'commands' | 'queries' | 'publicBaseUrl' | 'admission'>,
    private readonly pool: SigningPool,
  ) {}

  /** Resolves "default", an id or a name to an issuer that can issue, or throws 404/400. */
  issuer(ref: string): IssuerRow {
    const issuer = this.core.queries.issuers.resolve(ref);
    if (!issuer) throw new DomainError('not_found', 'unknown_issuer', `unable to find issuer "${ref}"`);
    if (!issuerCanIssue(issuer)) throw new DomainError('invalid', 'issuer_cannot_issue', `issuer ${issuer.name} cannot issue certificates`);
    return issuer;
  }

  /** 503 (OverloadedError) without doing anything when too many certificates are already being issued. */
  issueFromCsr(request: IssueFromCsrRequest): Promise<IssuedCertificate> {
    return this.core.admission.run(() => this.signAndRecord(request));
  }

  private async signAndRecord(request: IssueFromCsrRequest): Promise<IssuedCertificate> {
    const { issuer } = request;
    const key = issuer.keyId ? this.core.queries.issuers.key(issuer.keyId) : undefined;
    if (!key) throw new DomainError('invalid', 'issuer_key_missing', `issuer ${issuer.name} has no usable key`);
    const now = request.now ?? new Date();
    const urls = issuer.urls;
    const defaults = this.core.publicBaseUrl ? publicAiaUrls(this.core.publicBaseUrl, issuer.issuerId) : undefined;
    const policy: IssuancePolicy = {
      ...request.policy,
      issuerNotAfter: Date.parse(issuer.notAfter),
      leafNotAfterBehavior: issuer.leafNotAfterBehavior,
      crlDistributionPoints: request.policy.crlDistributionPoints ?? urls?.crlDistributionPoints ?? defaults?.crlDistributionPoints ?? [],
      ocspServers: request.policy.ocspServers ?? urls?.ocspServers ?? defaults?.ocspServers ?? [],
      issuingCertificateUrls: request.policy.issuingCertificateUrls ?? urls?.issuingCertificates ?? defaults?.issuingCertificateUrls ?? [],
    };
    const serial = randomSerialHex();
    const outcome = await this.pool.issue({
      csr: request.csrDer,
      policy,
      ctx: { ...request.context, serialHex: serial, now: now.getTime() },
      issuer: { issuerId: issuer.issuerId, certificate: Buffer.from(issuer.certificate, 'base64'), keyId: key.keyId, wrapped: key.wrapped },
    });
    if (!outcome.ok) throw new IssuanceRejectedError(outcome.code, outcome.message);
    const notAfter = new Date(outcome.notAfter).toISOString();
    const command = {
      type: 'RecordIssuedCertificate' as const,
      data: {
        serial,
        issuerId: issuer.issuerId,
        subject: outcome.subject,
        sans: outcome.sans,
        notBefore: new Date(outcome.notBefore).toISOString(),
        notAfter,
        der: Buffer.from(outcome.certDer).toString('base64'),
        keyType: outcome.keyType,
        ...(request.profile ? { profile: request.profile } : {}),
        ...(request.role ? { role: request.role } : {}),
        ...(request.renews ? { renews: request.renews } : {}),
        ...(request.noStore ? { noStore: true } : {}),
      },
      now,
    };
    const stream = certificateStream(serial);
    const position = request.recordWith
      ? (await request.recordWith(this.core.commands.prepareNew(stream, certificateDecider, command, { metadata: request.metadata })))?.position
      : (await this.core.commands.handleNew(stream, certificateDecider, command, { metadata: request.metadata })).position;
    return { serial, certDer: outcome.certDer, subject: outcome.subject, notAfter, issuer, position: position ?? 0 };
  }
}
