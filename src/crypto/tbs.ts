/**
 * The hot path of issuance: TBSCertificate DER from an issuer template (fixed pieces encoded once) and the content
 * the CA decided. Signing happens elsewhere (signer.ts); certificate.ts assembles.
 *
 * RFC 5280 4.1:
 *   TBSCertificate  ::=  SEQUENCE  {
 *     version         [0]  EXPLICIT Version DEFAULT v1,
 *     serialNumber         CertificateSerialNumber,
 *     signature            AlgorithmIdentifier,
 *     issuer               Name,
 *     validity             Validity,
 *     subject              Name,
 *     subjectPublicKeyInfo SubjectPublicKeyInfo,
 *     issuerUniqueID  [1]  IMPLICIT UniqueIdentifier OPTIONAL,
 *     subjectUniqueID [2]  IMPLICIT UniqueIdentifier OPTIONAL,
 *     extensions      [3]  EXPLICIT Extensions OPTIONAL }
 *   Version  ::=  INTEGER  {  v1(0), v2(1), v3(2)  }
 *   CertificateSerialNumber  ::=  INTEGER
 *   Validity ::= SEQUENCE {
 *     notBefore      Time,
 *     notAfter       Time }
 *   Time ::= CHOICE {
 *     utcTime        UTCTime,
 *     generalTime    GeneralizedTime }
 */
import type { CertContent } from '../domain/x509.js';
import { algorithmIdentifierDer, type SignatureAlgorithm } from './algorithms.js';
import { fromHex } from './bytes.js';
import {
  Tag,
  concatBytes,
  encodeExplicit,
  encodeSequence,
  encodeTime,
  encodeTlvOf,
  encodeUnsignedInteger,
  readSingle,
} from './der.js';
import { CryptoInputError } from './errors.js';
import { authorityInfoAccess } from './extensions/authority-info-access.js';
import { authorityKeyIdentifier } from './extensions/authority-key-identifier.js';
import { basicConstraints } from './extensions/basic-constraints.js';
import { cRLDistributionPoints } from './extensions/crl-distribution-points.js';
import { extKeyUsage } from './extensions/ext-key-usage.js';
import { encodeExtensionWith } from './extensions/extension.js';
import { keyUsage } from './extensions/key-usage.js';
import { subjectAltName } from './extensions/subject-alt-name.js';
import { subjectKeyIdentifier } from './extensions/subject-key-identifier.js';
import { encodeName } from './name.js';
import { keyIdentifier, keyIdentifierOfKeyBytes, parseSpki } from './public-key.js';

export interface IssuerTemplateInput {
  /** The issuer certificate's subject Name DER (for a self-signed certificate, its own subject). */
  issuerNameDer: Uint8Array;
  /** The issuer's SPKI; the authority key identifier is derived from it (RFC 5280 method 1). */
  issuerSpkiDer: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm;
  /** Use the issuer certificate's own subjectKeyIdentifier when it was computed some other way. */
  authorityKeyId?: Uint8Array;
}

/** The per-issuer pieces of every TBSCertificate, encoded once. */
export interface IssuerTemplate {
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly issuerNameDer: Uint8Array;
  readonly authorityKeyId: Uint8Array;
  /** signature AlgorithmIdentifier followed by the issuer Name: adjacent in every TBS. */
  readonly algorithmAndIssuerDer: Uint8Array;
  readonly authorityKeyIdExtensionDer: Uint8Array;
}

const VERSION_V3 = encodeExplicit(0, Uint8Array.of(Tag.INTEGER, 1, 2));
const MAX_SERIAL_OCTETS = 20;
const EMPTY_NAME_LENGTH = 2; // 30 00

export function createIssuerTemplate(input: IssuerTemplateInput): IssuerTemplate {
  readSingle(input.issuerNameDer, Tag.SEQUENCE, 'issuer Name');
  const authorityKeyId = input.authorityKeyId ?? keyIdentifier(input.issuerSpkiDer);
  return {
    signatureAlgorithm: input.signatureAlgorithm,
    issuerNameDer: input.issuerNameDer,
    authorityKeyId,
    algorithmAndIssuerDer: concatBytes([algorithmIdentifierDer(input.signatureAlgorithm), input.issuerNameDer]),
    authorityKeyIdExtensionDer: encodeExtensionWith(authorityKeyIdentifier, { keyIdentifier: authorityKeyId }, false),
  };
}

function invalid(message: string): CryptoInputError {
  return new CryptoInputError('invalid_content', message);
}

function encodeSerial(serialHex: string): Uint8Array {
  const magnitude = fromHex(serialHex.length % 2 ? `0${serialHex}` : serialHex);
  if (!magnitude || magnitude.length === 0) throw invalid(`serial "${serialHex}" is not hex`);
  if (magnitude.every((b) => b === 0)) throw invalid('serial must be positive');
  const integer = encodeUnsignedInteger(magnitude);
  // Single-byte length header: content octets are integer.length - 2.
  if (integer.length - 2 > MAX_SERIAL_OCTETS) throw invalid(`serial "${serialHex}" is longer than 20 octets`);
  return integer;
}

function encodeSubject(subject: CertContent['subject']): Uint8Array {
  if ('der' in subject) {
    readSingle(subject.der, Tag.SEQUENCE, 'subject Name');
    return subject.der;
  }
  return encodeName(subject);
}

function encodeExtensions(
  template: IssuerTemplate,
  content: CertContent,
  subjectKeyId: Uint8Array,
  subjectIsEmpty: boolean,
): Uint8Array[] {
  const extensions = [
    encodeExtensionWith(subjectKeyIdentifier, subjectKeyId, false),
    template.authorityKeyIdExtensionDer,
  ];
  if (content.basicConstraints) extensions.push(encodeExtensionWith(basicConstraints, content.basicConstraints, true));
  if (content.keyUsage.length) extensions.push(encodeExtensionWith(keyUsage, content.keyUsage, true));
  if (content.extKeyUsage.length) extensions.push(encodeExtensionWith(extKeyUsage, content.extKeyUsage, false));
  // RFC 5280 4.2.1.6: with an empty subject the SAN extension carries the identity and MUST be critical.
  if (content.sans.length) extensions.push(encodeExtensionWith(subjectAltName, content.sans, subjectIsEmpty));
  if (content.crlDistributionPoints?.length) {
    extensions.push(encodeExtensionWith(cRLDistributionPoints, content.crlDistributionPoints, false));
  }
  const ocsp = content.ocspServers ?? [];
  const caIssuers = content.issuingCertificateUrls ?? [];
  if (ocsp.length || caIssuers.length) {
    extensions.push(encodeExtensionWith(authorityInfoAccess, { ocsp, caIssuers }, false));
  }
  return extensions;
}

/**
 * TBSCertificate DER (v3). Extensions, in order: subjectKeyIdentifier, authorityKeyIdentifier, basicConstraints
 * (critical), keyUsage (critical), extKeyUsage, subjectAltName (critical iff the subject is empty),
 * cRLDistributionPoints, authorityInfoAccess. The SPKI is copied verbatim.
 * Fails with CryptoInputError 'invalid_content' for content that cannot be encoded, 'unsupported_key' /
 * 'malformed' for an unusable SPKI.
 */
export function encodeTbs(template: IssuerTemplate, content: CertContent): Uint8Array {
  if (!(content.notBefore <= content.notAfter)) throw invalid('notAfter is before notBefore');
  const subjectDer = encodeSubject(content.subject);
  const subjectIsEmpty = subjectDer.length === EMPTY_NAME_LENGTH;
  if (subjectIsEmpty && content.sans.length === 0) throw invalid('a certificate needs a subject or a subjectAltName');
  const subjectKeyId = keyIdentifierOfKeyBytes(parseSpki(content.spkiDer).publicKeyBytes);
  return encodeSequence(
    VERSION_V3,
    encodeSerial(content.serialHex),
    template.algorithmAndIssuerDer,
    encodeSequence(encodeTime(content.notBefore), encodeTime(content.notAfter)),
    subjectDer,
    content.spkiDer,
    encodeExplicit(3, encodeTlvOf(Tag.SEQUENCE, encodeExtensions(template, content, subjectKeyId, subjectIsEmpty))),
  );
}
