/**
 * Certificates: assembling TBS + signature, the encode-sign-assemble pipeline, and a strict parse of the facts
 * Signet needs back.
 *
 * RFC 5280 4.1:
 *   Certificate  ::=  SEQUENCE  {
 *     tbsCertificate       TBSCertificate,
 *     signatureAlgorithm   AlgorithmIdentifier,
 *     signatureValue       BIT STRING  }
 * (TBSCertificate is quoted in tbs.ts.)
 */
import type { CertContent, ExtKeyUsage, KeyUsage, NameAttribute, San } from '../domain/x509.js';
import { bytesEqual, toHex } from './bytes.js';
import { DerReader, Tag, contextTag, encodeBitString, encodeSequence, readSingle, unsignedIntegerBytes } from './der.js';
import { malformed } from './errors.js';
import { authorityInfoAccess } from './extensions/authority-info-access.js';
import { authorityKeyIdentifier } from './extensions/authority-key-identifier.js';
import { basicConstraints, type BasicConstraints } from './extensions/basic-constraints.js';
import { cRLDistributionPoints } from './extensions/crl-distribution-points.js';
import { extKeyUsage } from './extensions/ext-key-usage.js';
import { findExtension, readExtensions, type RawExtension } from './extensions/extension.js';
import { keyUsage } from './extensions/key-usage.js';
import { subjectAltName } from './extensions/subject-alt-name.js';
import { subjectKeyIdentifier } from './extensions/subject-key-identifier.js';
import { decodeName } from './name.js';
import type { Signer } from './signer.js';
import { encodeTbs, type IssuerTemplate } from './tbs.js';

export function assembleCertificate(
  tbsDer: Uint8Array,
  signatureAlgorithmDer: Uint8Array,
  signature: Uint8Array,
): Uint8Array {
  return encodeSequence(tbsDer, signatureAlgorithmDer, encodeBitString(signature));
}

/** encodeTbs, sign, assemble. The signer must sign with the template's algorithm (a programming error otherwise). */
export function signCertificate(template: IssuerTemplate, signer: Signer, content: CertContent): Uint8Array {
  if (signer.algorithm !== template.signatureAlgorithm) {
    throw new Error(`signer uses ${signer.algorithm} but the issuer template was built for ${template.signatureAlgorithm}`);
  }
  const tbsDer = encodeTbs(template, content);
  return assembleCertificate(tbsDer, signer.algorithmIdentifierDer, signer.sign(tbsDer));
}

export interface ParsedCertificate {
  /** The TBSCertificate bytes the signature covers. */
  tbsDer: Uint8Array;
  version: 1 | 2 | 3;
  /** Hex of the serial's content octets without the sign pad (even length, lower case). */
  serialHex: string;
  signatureAlgorithmOid: string;
  signatureAlgorithmDer: Uint8Array;
  signature: Uint8Array;
  issuerDer: Uint8Array;
  issuer: NameAttribute[];
  subjectDer: Uint8Array;
  subject: NameAttribute[];
  notBefore: number;
  notAfter: number;
  spkiDer: Uint8Array;
  extensions: RawExtension[];
  sans: San[];
  subjectKeyId?: Uint8Array;
  authorityKeyId?: Uint8Array;
  basicConstraints?: BasicConstraints;
  keyUsage?: KeyUsage[];
  extKeyUsage?: ExtKeyUsage[];
  crlDistributionPoints?: string[];
  ocspServers?: string[];
  issuingCertificateUrls?: string[];
}

const VERSION = contextTag(0, true);
const ISSUER_UNIQUE_ID = contextTag(1, false);
const SUBJECT_UNIQUE_ID = contextTag(2, false);
const EXTENSIONS = contextTag(3, true);

function readVersion(tbs: DerReader): 1 | 2 | 3 {
  const tlv = tbs.optional(VERSION);
  if (!tlv) return 1;
  const explicit = tbs.child(tlv);
  const version = explicit.readSmallInteger('version');
  explicit.finish('version');
  if (version === 0) throw malformed('certificate version v1 must be omitted in DER');
  if (version > 2) throw malformed(`certificate version ${version + 1} is unknown`);
  return (version + 1) as 2 | 3;
}

/**
 * Parses a DER certificate with the strict reader. Byte fields are views into `der`. Known extensions are decoded
 * (a malformed one fails the parse); unknown ones are left in `extensions`. Does not verify the signature.
 */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const { reader, tlv } = readSingle(der, Tag.SEQUENCE, 'Certificate');
  const certificate = reader.child(tlv);
  const tbsTlv = certificate.expect(Tag.SEQUENCE, 'tbsCertificate');
  const signatureAlgorithmDer = certificate.readRaw(Tag.SEQUENCE, 'signatureAlgorithm');
  const signature = certificate.readOctetAlignedBitString('signatureValue');
  certificate.finish('Certificate');

  const tbs = certificate.child(tbsTlv);
  const version = readVersion(tbs);
  const serialHex = toHex(unsignedSerial(tbs.readInteger('serialNumber')));
  const innerAlgorithmDer = tbs.readRaw(Tag.SEQUENCE, 'signature');
  if (!bytesEqual(innerAlgorithmDer, signatureAlgorithmDer)) {
    throw malformed('the TBS signature algorithm differs from the outer one');
  }
  const issuerDer = tbs.readRaw(Tag.SEQUENCE, 'issuer');
  const validity = tbs.enter(Tag.SEQUENCE, 'validity');
  const notBefore = validity.readTime('notBefore');
  const notAfter = validity.readTime('notAfter');
  validity.finish('validity');
  const subjectDer = tbs.readRaw(Tag.SEQUENCE, 'subject');
  const spkiDer = tbs.readRaw(Tag.SEQUENCE, 'subjectPublicKeyInfo');
  tbs.optional(ISSUER_UNIQUE_ID);
  tbs.optional(SUBJECT_UNIQUE_ID);
  const extensionsTlv = tbs.optional(EXTENSIONS);
  tbs.finish('tbsCertificate');
  if (extensionsTlv && version !== 3) throw malformed('only v3 certificates may carry extensions');

  let extensions: RawExtension[] = [];
  if (extensionsTlv) {
    const explicit = tbs.child(extensionsTlv);
    extensions = readExtensions(explicit.enter(Tag.SEQUENCE, 'Extensions'));
    explicit.finish('extensions');
  }
  const aia = findExtension(extensions, authorityInfoAccess);
  return {
    tbsDer: certificate.raw(tbsTlv),
    version,
    serialHex,
    signatureAlgorithmOid: new DerReader(signatureAlgorithmDer).enter(Tag.SEQUENCE).readOid(),
    signatureAlgorithmDer,
    signature,
    issuerDer,
    issuer: decodeName(issuerDer),
    subjectDer,
    subject: decodeName(subjectDer),
    notBefore,
    notAfter,
    spkiDer,
    extensions,
    sans: findExtension(extensions, subjectAltName) ?? [],
    subjectKeyId: findExtension(extensions, subjectKeyIdentifier),
    authorityKeyId: findExtension(extensions, authorityKeyIdentifier)?.keyIdentifier,
    basicConstraints: findExtension(extensions, basicConstraints),
    keyUsage: findExtension(extensions, keyUsage),
    extKeyUsage: findExtension(extensions, extKeyUsage),
    crlDistributionPoints: findExtension(extensions, cRLDistributionPoints),
    ocspServers: aia?.ocsp,
    issuingCertificateUrls: aia?.caIssuers,
  };
}

/** Serial content octets without the sign pad; a (non-conforming) negative serial keeps its two's complement. */
function unsignedSerial(content: Uint8Array): Uint8Array {
  return content[0] >= 0x80 ? content : unsignedIntegerBytes(content);
}
