/**
 * Delegated OCSP responders (RFC 6960 4.2.2.2): with `[ocsp] delegated_responder`, each issuer that signs OCSP
 * issues a responder certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck so clients do not ask about the
 * responder itself) for a key generated in the pool, and OCSP responses are signed with that key and carry the
 * certificate in `certs`. Both are ordinary events: the key a `KeyGenerated` named `ocsp-responder-<serial>`
 * (wrapped under the KEK like every key), the certificate a `CertificateIssued` with profile `ocsp-responder`.
 * A responder is renewed once half its lifetime has passed, or when it was revoked.
 */
import { algorithmIdentifierDer } from '../../crypto/algorithms.js';
import { issuerTemplateFromCertificate } from '../../crypto/ca.js';
import { assembleCertificate, parseCertificate } from '../../crypto/certificate.js';
import { Tag, contextTag, encodeExplicit, encodeSequence, encodeTlvOf, readSingle } from '../../crypto/der.js';
import { encodeExtension } from '../../crypto/extensions/extension.js';
import { formatName } from '../../crypto/name.js';
import { ExtensionOid } from '../../crypto/oids.js';
import { randomSerialHex } from '../../crypto/serial.js';
import { encodeTbs } from '../../crypto/tbs.js';
import { certificateDecider, certificateStream } from '../../domain/certificate.js';
import type { CertContent, KeySpec, NameAttribute } from '../../domain/x509.js';
import type { IssuerRow, KeyRow } from '../../../projections/issuers.js';
import type { Core } from '../../core.js';
import { createPkiContext, recordAndWait } from '../pki/context.js';
import { KeyAdmin } from '../pki/key-admin.js';
import { signingIdentity, type SigningIdentities, type SigningIdentity } from './signing-identity.js';

export const OCSP_RESPONDER_PROFILE = 'ocsp-responder';
const KEY_PREFIX = 'ocsp-responder-';
const RESPONDER_KEY: KeySpec = { kind: 'ec', curve: 'P-256' };
const BACKDATE_MS = 60_000;
const METADATA = { actor: 'signet', action: 'ocsp_responder_issue' };
/** extnValue of id-pkix-ocsp-nocheck: NULL (RFC 6960 4.2.2.2.1). */
const NULL_DER = Uint8Array.of(Tag.NULL, 0);

export interface DelegatedResponder {
  identity: SigningIdentity;
  /** The responder certificate, sent in the response's `certs`. */
  certDer: Uint8Array;
  serial: string;
  notBefore: number;
  notAfter: number;
}

export class DelegatedResponders {
  private readonly current = new Map<string, DelegatedResponder>();
  private readonly pending = new Map<string, Promise<DelegatedResponder>>();

  constructor(
    private readonly core: Core,
    private readonly identities: SigningIdentities,
    private readonly validitySeconds: number,
  ) {}

  /**
   * The issuer's current responder: the known or stored one; a new one when there is none that can still sign
   * (missing, expired or revoked). One past half its lifetime keeps signing while its successor is issued.
   */
  ensure(issuer: IssuerRow, now = Date.now()): Promise<DelegatedResponder> {
    const known = this.current.get(issuer.issuerId) ?? this.stored(issuer, now);
    const valid = known && now < known.notAfter && this.core.queries.certificates.get(known.serial)?.status !== 'revoked' ? known : undefined;
    if (valid) this.current.set(issuer.issuerId, valid);
    else this.current.delete(issuer.issuerId);
    if (valid && now < valid.notBefore + (valid.notAfter - valid.notBefore) / 2) return Promise.resolve(valid);
    const renewal = this.renew(issuer, now);
    if (!valid) return renewal;
    renewal.catch((error: unknown) => this.core.logger.warn({ err: error, issuerId: issuer.issuerId }, 'OCSP responder renewal failed'));
    return Promise.resolve(valid);
  }

  private renew(issuer: IssuerRow, now: number): Promise<DelegatedResponder> {
    let issuing = this.pending.get(issuer.issuerId);
    if (!issuing) {
      issuing = this.issue(issuer, now).finally(() => this.pending.delete(issuer.issuerId));
      this.pending.set(issuer.issuerId, issuing);
    }
    return issuing;
  }

  /** The newest responder recorded for the issuer (after a restart). */
  private stored(issuer: IssuerRow, now: number): DelegatedResponder | undefined {
    let newest: DelegatedResponder | undefined;
    for (const key of this.core.queries.issuers.keys()) {
      if (!key.name.startsWith(KEY_PREFIX)) continue;
      const serial = key.name.slice(KEY_PREFIX.length);
      const row = this.core.queries.certificates.get(serial);
      if (!row || row.issuerId !== issuer.issuerId || row.status === 'revoked') continue;
      const responder = this.responder(issuer, key, serial, new Uint8Array(Buffer.from(row.der, 'base64')));
      if (responder.notAfter > now && (!newest || responder.notBefore > newest.notBefore)) newest = responder;
    }
    return newest;
  }

  private async issue(issuer: IssuerRow, now: number): Promise<DelegatedResponder> {
    const issuerIdentity = this.identities.of(issuer);
    const serial = randomSerialHex();
    const { key } = await new KeyAdmin(createPkiContext(this.core)).generate(RESPONDER_KEY, `${KEY_PREFIX}${serial}`, METADATA);
    const issuerCert = parseCertificate(issuerIdentity.certDer);
    const content: CertContent = {
      serialHex: serial,
      notBefore: now - BACKDATE_MS,
      notAfter: Math.min(now + this.validitySeconds * 1000, issuerCert.notAfter),
      subject: responderSubject(issuerCert.subject),
      spkiDer: new Uint8Array(Buffer.from(key.spki, 'base64')),
      sans: [],
      basicConstraints: { ca: false },
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['OCSPSigning'],
    };
    const template = issuerTemplateFromCertificate(issuerIdentity.certDer, issuerIdentity.algorithm);
    const tbs = withExtension(encodeTbs(template, content), encodeExtension(ExtensionOid.ocspNoCheck, false, NULL_DER));
    const certDer = assembleCertificate(tbs, algorithmIdentifierDer(issuerIdentity.algorithm), await this.core.pool!.sign(issuerIdentity.key, tbs));
    const cert = parseCertificate(certDer);
    await recordAndWait(
      this.core,
      certificateStream(serial),
      certificateDecider,
      {
        type: 'RecordIssuedCertificate',
        data: {
          serial,
          issuerId: issuer.issuerId,
          subject: formatName(cert.subject),
          sans: [],
          notBefore: new Date(cert.notBefore).toISOString(),
          notAfter: new Date(cert.notAfter).toISOString(),
          der: Buffer.from(certDer).toString('base64'),
          keyType: 'EC P-256',
          profile: OCSP_RESPONDER_PROFILE,
        },
        now: new Date(now),
      },
      METADATA,
    );
    const responder = this.responder(issuer, key, serial, certDer);
    this.current.set(issuer.issuerId, responder);
    return responder;
  }

  private responder(issuer: IssuerRow, key: KeyRow, serial: string, certDer: Uint8Array): DelegatedResponder {
    const cert = parseCertificate(certDer);
    return { identity: signingIdentity(issuer.issuerId, certDer, key), certDer, serial, notBefore: cert.notBefore, notAfter: cert.notAfter };
  }
}

/** The issuer's Name with its common name turned into "<CN> OCSP Responder". */
function responderSubject(issuerSubject: readonly NameAttribute[]): NameAttribute[] {
  const cn = issuerSubject.find((a) => a.type === 'CN')?.value ?? 'Signet';
  return [...issuerSubject.filter((a) => a.type !== 'CN'), { type: 'CN', value: `${cn} OCSP Responder` }];
}

/** A TBSCertificate with one more extension appended to its [3] extensions (encodeTbs writes the standard ones). */
export function withExtension(tbsDer: Uint8Array, extensionDer: Uint8Array): Uint8Array {
  const { reader, tlv } = readSingle(tbsDer, Tag.SEQUENCE, 'TBSCertificate');
  const tbs = reader.child(tlv);
  const parts: Uint8Array[] = [];
  while (!tbs.atEnd) {
    const element = tbs.next();
    if (element.tag !== contextTag(3, true)) {
      parts.push(tbs.raw(element));
      continue;
    }
    const extensions = tbs.child(element).enter(Tag.SEQUENCE, 'extensions');
    const existing: Uint8Array[] = [];
    while (!extensions.atEnd) existing.push(extensions.raw(extensions.next()));
    parts.push(encodeExplicit(3, encodeTlvOf(Tag.SEQUENCE, [...existing, extensionDer])));
  }
  return encodeSequence(...parts);
}
