/**
 * Certs-only CMS SignedData ("degenerate PKCS#7"), the container EST returns certificates in (RFC 7030 4.1.3,
 * RFC 5652 5). Encoding is plain concatenation around fixed bytes: it runs once per issued certificate.
 *
 * RFC 5652:
 *   ContentInfo ::= SEQUENCE {
 *     contentType ContentType,
 *     content [0] EXPLICIT ANY DEFINED BY contentType }
 *   SignedData ::= SEQUENCE {
 *     version CMSVersion,
 *     digestAlgorithms DigestAlgorithmIdentifiers,
 *     encapContentInfo EncapsulatedContentInfo,
 *     certificates [0] IMPLICIT CertificateSet OPTIONAL,
 *     crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
 *     signerInfos SignerInfos }
 *   DigestAlgorithmIdentifiers ::= SET OF DigestAlgorithmIdentifier
 *   EncapsulatedContentInfo ::= SEQUENCE {
 *     eContentType ContentType,
 *     eContent [0] EXPLICIT OCTET STRING OPTIONAL }
 *   CertificateSet ::= SET OF CertificateChoices
 *   SignerInfos ::= SET OF SignerInfo
 * RFC 5652 5.1: version is 1 when there are only X.509 v3 certificates and eContentType is id-data.
 */
import { berToDer } from './ber.js';
import { Tag, concatBytes, contextTag, encodeExplicit, encodeOid, encodeSequence, encodeTlvOf, readSingle } from './der.js';
import { malformed } from './errors.js';
import { CmsContentTypeOid } from './oids.js';

const CERTIFICATES = contextTag(0, true);
const CRLS = contextTag(1, true);
const SIGNED_DATA_OID = encodeOid(CmsContentTypeOid.signedData);
/** version 1, no digest algorithms, id-data without eContent. */
const SIGNED_DATA_PREFIX = concatBytes([
  Uint8Array.of(Tag.INTEGER, 1, 1),
  Uint8Array.of(Tag.SET, 0),
  encodeSequence(encodeOid(CmsContentTypeOid.data)),
]);
const EMPTY_SIGNER_INFOS = Uint8Array.of(Tag.SET, 0);

/**
 * Certificates in the given order (leaf first, by convention). Strict DER would sort a SET OF; like OpenSSL, which
 * declares this field as an ordered SEQUENCE OF, we keep the caller's order because clients read it as a chain.
 */
export function encodeCertsOnlyPkcs7(certificates: readonly Uint8Array[]): Uint8Array {
  return encodeSequence(
    SIGNED_DATA_OID,
    encodeExplicit(
      0,
      encodeSequence(SIGNED_DATA_PREFIX, encodeTlvOf(CERTIFICATES, certificates), EMPTY_SIGNER_INFOS),
    ),
  );
}

/**
 * The certificates of a DER SignedData (certs-only or not; signatures are not checked). Each is the raw
 * Certificate TLV, a view into `der`. CRLs are skipped.
 */
export function decodeCertsOnlyPkcs7(der: Uint8Array): Uint8Array[] {
  const { reader, tlv } = readSingle(der, Tag.SEQUENCE, 'ContentInfo');
  const contentInfo = reader.child(tlv);
  const contentType = contentInfo.readOid('contentType');
  if (contentType !== CmsContentTypeOid.signedData) throw malformed(`CMS content type ${contentType} is not signedData`);
  const explicit = contentInfo.enter(contextTag(0, true), 'content');
  contentInfo.finish('ContentInfo');
  const signedData = explicit.enter(Tag.SEQUENCE, 'SignedData');
  explicit.finish('content');
  signedData.readSmallInteger('version');
  signedData.expect(Tag.SET, 'digestAlgorithms');
  signedData.expect(Tag.SEQUENCE, 'encapContentInfo');
  const certificates: Uint8Array[] = [];
  const certificateSet = signedData.optional(CERTIFICATES);
  if (certificateSet) {
    const set = signedData.child(certificateSet);
    while (!set.atEnd) certificates.push(set.readRaw(Tag.SEQUENCE, 'Certificate'));
  }
  signedData.optional(CRLS);
  signedData.expect(Tag.SET, 'signerInfos');
  signedData.finish('SignedData');
  return certificates;
}

/**
 * The liberal reading for what other EST servers answer: some (libest, Cisco builds) send certs-only PKCS#7 in BER
 * with indefinite lengths and constructed strings. Normalized to DER, then read by the strict decoder above.
 */
export function decodeCertsOnlyPkcs7Ber(ber: Uint8Array): Uint8Array[] {
  return decodeCertsOnlyPkcs7(berToDer(ber));
}
