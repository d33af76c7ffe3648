/**
 * Signet as a registration authority: a request Signet has already authenticated and checked is enrolled at an
 * upstream EST server, and the certificate it returns is recorded here as CertificateIssued (issuer
 * `est-upstream-<id>`, `upstream` = the configuration id), so the certificate index and the audit show it.
 */
import { certificateDecider, certificateStream } from '../../domain/certificate.js';
import { describeKey, keyAllowed, type KeyRule } from '../../domain/issuance-policy.js';
import { forbidden } from '../../domain/errors.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { bytesEqual } from '../../crypto/bytes.js';
import { parseCertificate } from '../../crypto/certificate.js';
import { parseCsr, verifyCsr } from '../../crypto/csr.js';
import { CryptoInputError } from '../../crypto/errors.js';
import { formatName } from '../../crypto/name.js';
import { decodeCertsOnlyPkcs7 } from '../../crypto/pkcs7.js';
import { parseSpki } from '../../crypto/public-key.js';
import type { Core } from '../../core.js';
import { IssuanceRejectedError } from '../issuance.js';
import { estExchange, parseCertsOnlyAnswer, upstreamRefusal, UpstreamError } from './est-client.js';
import type { UpstreamService } from './upstream-service.js';
import type { Renewal } from './renewal-input.js';

export interface UpstreamEnrollment {
  upstream: number;
  csrDer: Uint8Array;
  /** Local policy checked before anything goes upstream. */
  allowedKeys?: KeyRule[];
  profile?: string;
  role?: string;
  /** The certificate this one renews (EST simplereenroll through the RA). */
  renews?: string;
  /** Renew over the configuration's renew_endpoint, authenticated as its renew_auth says (sets `renews`). */
  renewal?: Renewal;
  /** Runs after the upstream issued and before recording (e.g. consume the device's OTP). */
  gate?: () => Promise<void>;
  metadata: EventMetadata;
  now?: Date;
}

export interface UpstreamIssued {
  serial: string;
  certDer: Uint8Array;
  /** The CA chain: what the upstream returned after the leaf, else its /cacerts from the last validation. */
  caChain: Uint8Array[];
  subject: string;
  notAfter: string;
  position: number;
}

export const upstreamIssuerId = (id: number) => `est-upstream-${id}`;

/** An unusable CSR is the caller's mistake (400, "malformed" for certd and EST), found before anything goes upstream. */
function readCsr(csrDer: Uint8Array) {
  try {
    const csr = parseCsr(csrDer);
    verifyCsr(csr);
    return csr;
  } catch (error) {
    if (error instanceof CryptoInputError) throw new IssuanceRejectedError(error.code, `the CSR is unusable: ${error.message}`);
    throw error;
  }
}

export class UpstreamEnroller {
  constructor(
    private readonly core: Pick<Core, 'commands'>,
    private readonly upstreams: UpstreamService,
  ) {}

  async enroll(request: UpstreamEnrollment): Promise<UpstreamIssued> {
    const csr = readCsr(request.csrDer);
    if (request.allowedKeys && !keyAllowed(csr.publicKey, request.allowedKeys)) {
      throw forbidden('key_not_allowed', `key ${describeKey(csr.publicKey)} is not allowed`);
    }
    const { id, settings, cacert } = this.upstreams.usable(request.upstream);
    const endpoint = this.upstreams.endpoint(settings);
    const { renewal } = request;
    const path = renewal ? settings.renewEndpoint : settings.enrollEndpoint;
    const auth = renewal ? this.upstreams.renewAuth(id, settings, renewal) : this.upstreams.enrollAuth(id, settings);
    const answer = await estExchange(endpoint, { method: 'POST', path, auth, body: request.csrDer });
    if (answer.status !== 200) throw upstreamRefusal(endpoint, path, answer);
    const [certDer, ...chain] = parseCertsOnlyAnswer(endpoint, path, answer);
    const cert = this.parseIssued(certDer, csr.spkiDer, `https://${endpoint.server}:${endpoint.port}${path}`);
    await request.gate?.();
    const now = request.now ?? new Date();
    const renews = request.renews ?? renewal?.serial;
    const subject = formatName(cert.subject);
    const notAfter = new Date(cert.notAfter).toISOString();
    const recorded = await this.core.commands.handleNew(
      certificateStream(cert.serialHex),
      certificateDecider,
      {
        type: 'RecordIssuedCertificate',
        data: {
          serial: cert.serialHex,
          issuerId: upstreamIssuerId(id),
          subject,
          sans: cert.sans,
          notBefore: new Date(cert.notBefore).toISOString(),
          notAfter,
          der: Buffer.from(certDer).toString('base64'),
          keyType: describeKey(parseSpki(cert.spkiDer).spec),
          upstream: id,
          ...(request.profile ? { profile: request.profile } : {}),
          ...(request.role ? { role: request.role } : {}),
          ...(renews ? { renews } : {}),
        },
        now,
      },
      { metadata: request.metadata },
    );
    const caChain = chain.length || !cacert ? chain : decodeCertsOnlyPkcs7(Buffer.from(cacert, 'base64'));
    return { serial: cert.serialHex, certDer, caChain, subject, notAfter, position: recorded.position ?? 0 };
  }

  /** The upstream's certificate must parse and certify the requested key: anything else is a bad answer. */
  private parseIssued(certDer: Uint8Array, requestedSpki: Uint8Array, url: string) {
    let cert;
    try {
      cert = parseCertificate(certDer);
    } catch (error) {
      if (error instanceof CryptoInputError) throw new UpstreamError(502, `upstream EST server at ${url} returned an unparsable certificate: ${error.message}`);
      throw error;
    }
    if (!bytesEqual(cert.spkiDer, requestedSpki)) throw new UpstreamError(502, `upstream EST server at ${url} returned a certificate for another public key`);
    return cert;
  }
}
