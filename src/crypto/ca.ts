/**
 * CA certificates through the same pipeline as every leaf (content -> encodeTbs -> Signer -> assemble): a
 * self-signed root, an intermediate signed by an issuer, and issuer templates rebuilt from a stored CA certificate.
 */
import type { CertContent, KeyUsage, NameAttribute } from '../domain/x509.js';
import type { SignatureAlgorithm } from './algorithms.js';
import { parseCertificate, signCertificate } from './certificate.js';
import { encodeName } from './name.js';
import type { Signer } from './signer.js';
import { createIssuerTemplate, type IssuerTemplate } from './tbs.js';

/** digitalSignature lets the CA key sign OCSP responses itself. */
const CA_KEY_USAGE: KeyUsage[] = ['digitalSignature', 'keyCertSign', 'cRLSign'];

export interface CaCertificateOptions {
  subject: NameAttribute[];
  serialHex: string;
  notBefore: number;
  notAfter: number;
  /** basicConstraints pathLenConstraint; absent means unlimited. */
  pathLen?: number;
  crlDistributionPoints?: string[];
  ocspServers?: string[];
  issuingCertificateUrls?: string[];
}

/** The content of a CA certificate: basicConstraints cA (with the path length), CA key usages, optional AIA URLs. */
export function caContent(options: CaCertificateOptions, subject: CertContent['subject'], spkiDer: Uint8Array): CertContent {
  const content: CertContent = {
    serialHex: options.serialHex,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    subject,
    spkiDer,
    sans: [],
    basicConstraints: options.pathLen === undefined ? { ca: true } : { ca: true, pathLen: options.pathLen },
    keyUsage: CA_KEY_USAGE,
    extKeyUsage: [],
  };
  if (options.crlDistributionPoints) content.crlDistributionPoints = options.crlDistributionPoints;
  if (options.ocspServers) content.ocspServers = options.ocspServers;
  if (options.issuingCertificateUrls) content.issuingCertificateUrls = options.issuingCertificateUrls;
  return content;
}

export interface Issuer {
  template: IssuerTemplate;
  signer: Signer;
}

/** A self-signed root for the signer's key, and the template for issuing beneath it. */
export function createSelfSignedCa(signer: Signer, options: CaCertificateOptions): { certDer: Uint8Array; template: IssuerTemplate } {
  const subjectDer = encodeName(options.subject);
  const template = createIssuerTemplate({
    issuerNameDer: subjectDer,
    issuerSpkiDer: signer.spkiDer,
    signatureAlgorithm: signer.algorithm,
  });
  const certDer = signCertificate(template, signer, caContent(options, { der: subjectDer }, signer.spkiDer));
  return { certDer, template };
}

/** An intermediate CA certificate for subjectSpkiDer, signed by the issuer. */
export function createIntermediateCa(issuer: Issuer, subjectSpkiDer: Uint8Array, options: CaCertificateOptions): Uint8Array {
  return signCertificate(issuer.template, issuer.signer, caContent(options, options.subject, subjectSpkiDer));
}

/**
 * The issuer template for a stored CA certificate: its subject becomes the issuer Name, and its own
 * subjectKeyIdentifier (whatever method computed it) becomes the authority key identifier, so chains built by
 * other tools still link.
 */
export function issuerTemplateFromCertificate(certDer: Uint8Array, signatureAlgorithm: SignatureAlgorithm): IssuerTemplate {
  const certificate = parseCertificate(certDer);
  return createIssuerTemplate({
    issuerNameDer: certificate.subjectDer,
    issuerSpkiDer: certificate.spkiDer,
    signatureAlgorithm,
    authorityKeyId: certificate.subjectKeyId,
  });
}
