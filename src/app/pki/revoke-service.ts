/**
 * OpenBao revoke and revoke-with-key: by serial or by the certificate itself, through the certificate decider
 * (CertificateRevoked on `cert-<serial>`), which the revocation read models (CRL, OCSP) build on.
 */
import { certificateDecider, certificateStream } from '../../domain/certificate.js';
import { invalid } from '../../domain/errors.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { parseCertificate } from '../../crypto/certificate.js';
import { signedBy } from '../../crypto/chain.js';
import { createSigner } from '../../crypto/signer.js';
import { CryptoInputError } from '../../crypto/errors.js';
import { readPrivateKeys, samePublicKey } from '../../crypto/private-key.js';
import { recordAndWait, type PkiContext } from './context.js';
import { colonSerial, normalizeSerial, readCertificates } from './pem-input.js';

export interface RevokeRequest {
  serialNumber?: string;
  certificate?: string;
  /** revoke-with-key: proof of possession of the certificate's private key. */
  privateKey?: string;
  metadata: EventMetadata;
}

export type RevokeOutcome = { revokedAt: Date; warnings: string[] } | { revokedAt?: undefined; warnings: string[] };

export class RevokeService {
  constructor(private readonly ctx: PkiContext) {}

  /** The index serial of the certificate to revoke, and its DER when we have it. */
  private target(request: RevokeRequest): { serial: string; spkiDer: Uint8Array } {
    const { serialNumber, certificate } = request;
    if (!serialNumber && !certificate) throw invalid('revoke_target_missing', 'The serial number or certificate to revoke must be provided.');
    if (serialNumber && certificate) throw invalid('revoke_target_ambiguous', 'Must provide either the certificate or the serial to revoke; not both.');
    if (serialNumber) {
      const row = this.ctx.core.queries.certificates.get(normalizeSerial(serialNumber));
      if (!row) throw invalid('unknown_serial', `certificate with serial ${serialNumber} not found.`);
      return { serial: row.serial, spkiDer: parseCertificate(Buffer.from(row.der, 'base64')).spkiDer };
    }
    const certs = readCertificates(certificate!);
    if (certs.length !== 1) throw invalid('bad_certificate', 'certificate contains no PEM data');
    const [{ parsed }] = certs;
    const issuers = this.ctx.core.queries.issuers.list();
    if (!issuers.some((issuer) => signedBy(parsed, parseCertificate(Buffer.from(issuer.certificate, 'base64')).spkiDer))) {
      throw invalid(
        'unknown_issuer',
        'unable to verify signature on presented cert from any present issuer in this mount; certificates from previous CAs will need to have their issuing CA and key re-imported if revocation is necessary',
      );
    }
    return { serial: parsed.serialHex, spkiDer: parsed.spkiDer };
  }

  private checkKey(certSpki: Uint8Array, privateKeyPem: string): void {
    let keys;
    try {
      keys = readPrivateKeys(privateKeyPem);
    } catch (error) {
      if (error instanceof CryptoInputError) throw invalid('bad_private_key', 'provided key PEM block contained no data or failed to parse');
      throw error;
    }
    if (keys.length !== 1) throw invalid('bad_private_key', 'provided key PEM block contained no data or failed to parse');
    if (!samePublicKey(createSigner(keys[0].pkcs8Der).spkiDer, certSpki)) throw invalid('key_mismatch', "provided private key does not match certificate's public key");
  }

  async revoke(request: RevokeRequest, now = new Date()): Promise<RevokeOutcome> {
    if (request.privateKey !== undefined && !request.privateKey) throw invalid('private_key_missing', 'Must have private key to revoke via the /revoke-with-key path.');
    const { serial, spkiDer } = this.target(request);
    if (request.privateKey) this.checkKey(spkiDer, request.privateKey);
    const issuerOfSerial = this.ctx.core.queries.issuers.list().find((issuer) => issuer.serial === serial);
    if (issuerOfSerial) throw invalid('issuer_revocation', `adding issuer (id: ${issuerOfSerial.issuerId}) to its own CRL is not allowed`);
    const row = this.ctx.core.queries.certificates.get(serial, now);
    if (row?.revokedAt) return { revokedAt: new Date(row.revokedAt), warnings: [] };
    if (row && Date.parse(row.notAfter) < now.getTime() + 2000) {
      return { warnings: [`certificate with serial ${colonSerial(serial)} already expired; refusing to add to CRL. Enable 'AllowExpiredCertRevocation' to allow revoking expired certificates.`] };
    }
    await recordAndWait(this.ctx.core, certificateStream(serial), certificateDecider, { type: 'RevokeCertificate', data: { serial, reason: 'unspecified' }, now }, { ...request.metadata, action: 'revoke' });
    return { revokedAt: now, warnings: [] };
  }
}
