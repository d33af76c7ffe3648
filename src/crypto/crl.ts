/**
 * Certificate revocation lists (RFC 5280 section 5): revoked entries encoded once each, a TBSCertList written into
 * one buffer around the concatenated entries (a CRL of a million entries is one allocation and a copy), and a
 * strict parser for CRLs that come back (resign-crls, tests).
 *
 * RFC 5280 5.1:
 *   CertificateList  ::=  SEQUENCE  {
 *        tbsCertList          TBSCertList,
 *        signatureAlgorithm   AlgorithmIdentifier,
 *        signatureValue       BIT STRING  }
 *
 *   TBSCertList  ::=  SEQUENCE  {
 *        version                 Version OPTIONAL,
 *                                     -- if present, MUST be v2
 *        signature               AlgorithmIdentifier,
 *        issuer                  Name,
 *        thisUpdate              Time,
 *        nextUpdate              Time OPTIONAL,
 *        revokedCertificates     SEQUENCE OF SEQUENCE  {
 *             userCertificate         CertificateSerialNumber,
 *             revocationDate          Time,
 *             crlEntryExtensions      Extensions OPTIONAL
 *                                      -- if present, version MUST be v2
 *                                  }  OPTIONAL,
 *        crlExtensions           [0]  EXPLICIT Extensions OPTIONAL
 *                                      -- if present, version MUST be v2
 *                                  }
 * (The certificate-side assembly, SEQUENCE { tbs, algorithm, BIT STRING }, is the same as a certificate's.)
 */
import { algorithmIdentifierDer, parseSignatureAlgorithm, type SignatureAlgorithm } from './algorithms.js';
import { fromHex, toHex } from './bytes.js';
import { assembleCertificate } from './certificate.js';
import {
  DerReader,
  Tag,
  concatBytes,
  contextTag,
  encodeExplicit,
  encodeTime,
  encodeTlvOf,
  encodeUnsignedInteger,
  headerLength,
  readSingle,
  unsignedIntegerBytes,
  writeHeader,
} from './der.js';
import { CryptoInputError, malformed } from './errors.js';
import { authorityKeyIdentifier } from './extensions/authority-key-identifier.js';
import { cRLDistributionPoints } from './extensions/crl-distribution-points.js';
import { cRLNumber, deltaCRLIndicator, invalidityDate, issuingDistributionPoint, reasonCode } from './extensions/crl-extensions.js';
import { encodeExtension, encodeExtensionWith, findExtension, readExtensions, type RawExtension } from './extensions/extension.js';
import { ExtensionOid } from './oids.js';
import { importPublicKey, parseSpki } from './public-key.js';
import { verifyWithScheme } from './verify.js';

export interface RevokedEntry {
  serialHex: string;
  revokedAt: number;
  /** RFC 5280 CRLReason code; 0 (unspecified) is left out of the entry, as 5.3.1 asks. */
  reasonCode?: number;
  invalidityDate?: number;
}

/** An entry to encode: optionally with further complete Extension DERs (sign-revocation-list). */
export interface RevokedEntryInput extends RevokedEntry {
  extraExtensions?: readonly Uint8Array[];
}

/** Every CRL field except the entries. Times are epoch milliseconds. */
export interface CrlFields {
  signatureAlgorithm: SignatureAlgorithm;
  issuerNameDer: Uint8Array;
  authorityKeyId: Uint8Array;
  thisUpdate: number;
  nextUpdate?: number;
  crlNumber: number;
  /** Makes this a delta CRL on top of the complete CRL with this number (critical Delta CRL Indicator). */
  deltaBaseCrlNumber?: number;
  /** Issuing distribution point fullName URLs (critical); none means no extension. */
  distributionPointUrls?: readonly string[];
  /** Where the delta CRLs are (Freshest CRL), for complete CRLs when deltas are on. */
  freshestCrlUrls?: readonly string[];
  /** Further complete Extension DERs, appended as given (sign-revocation-list). */
  extraExtensions?: readonly Uint8Array[];
}

const VERSION_V2 = Uint8Array.of(Tag.INTEGER, 1, 1);
const CRL_EXTENSIONS = contextTag(0, true);

export function encodeSerialInteger(serialHex: string): Uint8Array {
  const magnitude = fromHex(serialHex.length % 2 ? `0${serialHex}` : serialHex);
  if (!magnitude || magnitude.length === 0) throw new CryptoInputError('invalid_content', `serial "${serialHex}" is not hex`);
  return encodeUnsignedInteger(magnitude);
}

/** One revokedCertificates element: what the revocation read model stores per serial and CRL builds concatenate. */
export function encodeRevokedEntry(entry: RevokedEntryInput): Uint8Array {
  const extensions: Uint8Array[] = [];
  if (entry.reasonCode) extensions.push(encodeExtensionWith(reasonCode, entry.reasonCode, false));
  if (entry.invalidityDate !== undefined) extensions.push(encodeExtensionWith(invalidityDate, entry.invalidityDate, false));
  extensions.push(...(entry.extraExtensions ?? []));
  const parts = [encodeSerialInteger(entry.serialHex), encodeTime(entry.revokedAt)];
  if (extensions.length) parts.push(encodeTlvOf(Tag.SEQUENCE, extensions));
  return encodeTlvOf(Tag.SEQUENCE, parts);
}

function crlExtensions(fields: CrlFields): Uint8Array[] {
  const extensions = [
    encodeExtensionWith(authorityKeyIdentifier, { keyIdentifier: fields.authorityKeyId }, false),
    encodeExtensionWith(cRLNumber, fields.crlNumber, false),
  ];
  if (fields.deltaBaseCrlNumber !== undefined) extensions.push(encodeExtensionWith(deltaCRLIndicator, fields.deltaBaseCrlNumber, true));
  if (fields.distributionPointUrls?.length) {
    extensions.push(encodeExtensionWith(issuingDistributionPoint, [...fields.distributionPointUrls], true));
  }
  if (fields.freshestCrlUrls?.length) {
    extensions.push(encodeExtension(ExtensionOid.freshestCRL, false, cRLDistributionPoints.encodeValue([...fields.freshestCrlUrls])));
  }
  extensions.push(...(fields.extraExtensions ?? []));
  return extensions;
}

/** Writes a TLV header at offset; returns the offset after it. */
function putHeader(out: Uint8Array, offset: number, tag: number, length: number): number {
  const header = headerLength(length);
  writeHeader(out.subarray(offset), tag, length, header);
  return offset + header;
}

/**
 * TBSCertList DER around `entries` (pre-encoded revokedCertificates elements, or chunks of them concatenated):
 * lengths are summed, one buffer is allocated, and every entry is copied once. An empty list omits
 * revokedCertificates, as RFC 5280 5.1.2.6 requires.
 */
export function encodeTbsCertList(fields: CrlFields, entries: readonly Uint8Array[]): Uint8Array {
  const head = concatBytes([
    VERSION_V2,
    algorithmIdentifierDer(fields.signatureAlgorithm),
    fields.issuerNameDer,
    encodeTime(fields.thisUpdate),
    ...(fields.nextUpdate === undefined ? [] : [encodeTime(fields.nextUpdate)]),
  ]);
  const tail = encodeExplicit(0, encodeTlvOf(Tag.SEQUENCE, crlExtensions(fields)));
  let entriesLength = 0;
  for (const entry of entries) entriesLength += entry.length;
  const revokedLength = entriesLength === 0 ? 0 : headerLength(entriesLength) + entriesLength;
  const contentLength = head.length + revokedLength + tail.length;
  const out = new Uint8Array(headerLength(contentLength) + contentLength);
  let offset = putHeader(out, 0, Tag.SEQUENCE, contentLength);
  out.set(head, offset);
  offset += head.length;
  if (entriesLength > 0) {
    offset = putHeader(out, offset, Tag.SEQUENCE, entriesLength);
    for (const entry of entries) {
      out.set(entry, offset);
      offset += entry.length;
    }
  }
  out.set(tail, offset);
  return out;
}

/** TBS + signature into the CertificateList (the same envelope as a certificate's). */
export function assembleCertificateList(tbsDer: Uint8Array, signatureAlgorithm: SignatureAlgorithm, signature: Uint8Array): Uint8Array {
  return assembleCertificate(tbsDer, algorithmIdentifierDer(signatureAlgorithm), signature);
}

export interface ParsedRevokedEntry extends RevokedEntry {
  /** The whole element as it was encoded, extensions included. */
  der: Uint8Array;
  extensions: RawExtension[];
}

export interface ParsedCrl {
  tbsDer: Uint8Array;
  signatureAlgorithmDer: Uint8Array;
  signature: Uint8Array;
  issuerDer: Uint8Array;
  thisUpdate: number;
  nextUpdate?: number;
  entries: ParsedRevokedEntry[];
  extensions: RawExtension[];
  crlNumber?: number;
  deltaBaseCrlNumber?: number;
  authorityKeyId?: Uint8Array;
  distributionPointUrls?: string[];
  freshestCrlUrls?: string[];
}

function readEntry(list: DerReader): ParsedRevokedEntry {
  const tlv = list.expect(Tag.SEQUENCE, 'revokedCertificate');
  const entry = list.child(tlv);
  const serialHex = toHex(unsignedIntegerBytes(entry.readInteger('userCertificate')));
  const revokedAt = entry.readTime('revocationDate');
  const extensions = entry.atEnd ? [] : readExtensions(entry.enter(Tag.SEQUENCE, 'crlEntryExtensions'));
  entry.finish('revokedCertificate');
  const parsed: ParsedRevokedEntry = { serialHex, revokedAt, der: list.raw(tlv), extensions };
  const reason = findExtension(extensions, reasonCode);
  if (reason !== undefined) parsed.reasonCode = reason;
  const invalidity = findExtension(extensions, invalidityDate);
  if (invalidity !== undefined) parsed.invalidityDate = invalidity;
  return parsed;
}

/** Parses a DER CRL (v1 or v2) strictly. Does not verify the signature. */
export function parseCrl(der: Uint8Array): ParsedCrl {
  const { reader, tlv } = readSingle(der, Tag.SEQUENCE, 'CertificateList');
  const list = reader.child(tlv);
  const tbsTlv = list.expect(Tag.SEQUENCE, 'tbsCertList');
  const signatureAlgorithmDer = list.readRaw(Tag.SEQUENCE, 'signatureAlgorithm');
  const signature = list.readOctetAlignedBitString('signatureValue');
  list.finish('CertificateList');

  const tbs = list.child(tbsTlv);
  if (tbs.peekTag() === Tag.INTEGER && tbs.readSmallInteger('version') !== 1) throw malformed('a CRL version, when present, must be v2');
  tbs.readRaw(Tag.SEQUENCE, 'signature');
  const issuerDer = tbs.readRaw(Tag.SEQUENCE, 'issuer');
  const thisUpdate = tbs.readTime('thisUpdate');
  const nextUpdate = tbs.peekTag() === Tag.UTCTime || tbs.peekTag() === Tag.GeneralizedTime ? tbs.readTime('nextUpdate') : undefined;
  const entries: ParsedRevokedEntry[] = [];
  if (tbs.peekTag() === Tag.SEQUENCE) {
    const revoked = tbs.enter(Tag.SEQUENCE, 'revokedCertificates');
    while (!revoked.atEnd) entries.push(readEntry(revoked));
  }
  let extensions: RawExtension[] = [];
  const extensionsTlv = tbs.optional(CRL_EXTENSIONS);
  if (extensionsTlv) {
    const explicit = tbs.child(extensionsTlv);
    extensions = readExtensions(explicit.enter(Tag.SEQUENCE, 'crlExtensions'));
    explicit.finish('crlExtensions');
  }
  tbs.finish('tbsCertList');
  const freshest = extensions.find((e) => e.oid === ExtensionOid.freshestCRL);
  return {
    tbsDer: list.raw(tbsTlv),
    signatureAlgorithmDer,
    signature,
    issuerDer,
    thisUpdate,
    ...(nextUpdate === undefined ? {} : { nextUpdate }),
    entries,
    extensions,
    crlNumber: findExtension(extensions, cRLNumber),
    deltaBaseCrlNumber: findExtension(extensions, deltaCRLIndicator),
    authorityKeyId: findExtension(extensions, authorityKeyIdentifier)?.keyIdentifier,
    distributionPointUrls: findExtension(extensions, issuingDistributionPoint),
    freshestCrlUrls: freshest ? cRLDistributionPoints.decodeValue(freshest.valueDer) : undefined,
  };
}

/** Whether the CRL's signature verifies with the key in issuerSpkiDer (false, never a throw, for unusable input). */
export function crlSignedBy(crl: Pick<ParsedCrl, 'signatureAlgorithmDer' | 'tbsDer' | 'signature'>, issuerSpkiDer: Uint8Array): boolean {
  try {
    const scheme = parseSignatureAlgorithm(crl.signatureAlgorithmDer);
    const info = parseSpki(issuerSpkiDer);
    return scheme.key === info.spec.kind && verifyWithScheme(importPublicKey(info), scheme, crl.tbsDer, crl.signature);
  } catch (error) {
    if (error instanceof CryptoInputError) return false;
    throw error;
  }
}

/** A whole signed CRL in one call, for small lists (tests, sign-revocation-list); big ones go through the pool. */
export function signCrl(fields: CrlFields, entries: readonly Uint8Array[], sign: (tbs: Uint8Array) => Uint8Array): Uint8Array {
  const tbs = encodeTbsCertList(fields, entries);
  return assembleCertificateList(tbs, fields.signatureAlgorithm, sign(tbs));
}
