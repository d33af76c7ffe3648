/**
 * OCSP (RFC 6960): requests parsed strictly, BasicOCSPResponse written from its parts, and the status-only
 * responses (malformedRequest, unauthorized...). Signing happens elsewhere: encode ResponseData, sign, assemble.
 *
 * RFC 6960 4.1.1:
 *   OCSPRequest ::= SEQUENCE {
 *       tbsRequest                  TBSRequest,
 *       optionalSignature   [0]     EXPLICIT Signature OPTIONAL }
 *   TBSRequest ::= SEQUENCE {
 *       version             [0]     EXPLICIT Version DEFAULT v1,
 *       requestorName       [1]     EXPLICIT GeneralName OPTIONAL,
 *       requestList                 SEQUENCE OF Request,
 *       requestExtensions   [2]     EXPLICIT Extensions OPTIONAL }
 *   Request ::= SEQUENCE {
 *       reqCert                     CertID,
 *       singleRequestExtensions     [0] EXPLICIT Extensions OPTIONAL }
 *   CertID ::= SEQUENCE {
 *       hashAlgorithm       AlgorithmIdentifier,
 *       issuerNameHash      OCTET STRING, -- Hash of issuer's DN
 *       issuerKeyHash       OCTET STRING, -- Hash of issuer's public key
 *       serialNumber        CertificateSerialNumber }
 *
 * RFC 6960 4.2.1:
 *   OCSPResponse ::= SEQUENCE {
 *      responseStatus         OCSPResponseStatus,
 *      responseBytes          [0] EXPLICIT ResponseBytes OPTIONAL }
 *   OCSPResponseStatus ::= ENUMERATED {
 *       successful            (0),  -- Response has valid confirmations
 *       malformedRequest      (1),  -- Illegal confirmation request
 *       internalError         (2),  -- Internal error in issuer
 *       tryLater              (3),  -- Try again later
 *                                   -- (4) is not used
 *       sigRequired           (5),  -- Must sign the request
 *       unauthorized          (6)   -- Request unauthorized }
 *   ResponseBytes ::=       SEQUENCE {
 *       responseType   OBJECT IDENTIFIER,
 *       response       OCTET STRING }
 *   BasicOCSPResponse       ::= SEQUENCE {
 *      tbsResponseData      ResponseData,
 *      signatureAlgorithm   AlgorithmIdentifier,
 *      signature            BIT STRING,
 *      certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 *   ResponseData ::= SEQUENCE {
 *      version              [0] EXPLICIT Version DEFAULT v1,
 *      responderID              ResponderID,
 *      producedAt               GeneralizedTime,
 *      responses                SEQUENCE OF SingleResponse,
 *      responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
 *   ResponderID ::= CHOICE {
 *      byName               [1] Name,
 *      byKey                [2] KeyHash }
 *   KeyHash ::= OCTET STRING -- SHA-1 hash of responder's public key (excluding the tag and length fields)
 *   SingleResponse ::= SEQUENCE {
 *      certID                       CertID,
 *      certStatus                   CertStatus,
 *      thisUpdate                   GeneralizedTime,
 *      nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
 *      singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
 *   CertStatus ::= CHOICE {
 *       good        [0]     IMPLICIT NULL,
 *       revoked     [1]     IMPLICIT RevokedInfo,
 *       unknown     [2]     IMPLICIT UnknownInfo }
 *   RevokedInfo ::= SEQUENCE {
 *       revocationTime              GeneralizedTime,
 *       revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }
 *   UnknownInfo ::= NULL
 * RFC 6960 4.4.1 / RFC 8954: id-pkix-ocsp-nonce, Nonce ::= OCTET STRING (SIZE(1..32)); echoed as received.
 */
import { createHash } from 'node:crypto';
import { algorithmIdentifierDer, type HashName, type SignatureAlgorithm } from './algorithms.js';
import { toHex } from './bytes.js';
import {
  DerReader,
  Tag,
  contextTag,
  encodeBitString,
  encodeExplicit,
  encodeGeneralizedTime,
  encodeImplicitPrimitive,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTlv,
  encodeTlvOf,
  readSingle,
  unsignedIntegerBytes,
} from './der.js';
import { CryptoInputError, malformed } from './errors.js';
import { encodeExtension, readExtensions } from './extensions/extension.js';
import { ExtensionOid, HashOid, OcspResponseTypeOid } from './oids.js';
import { readSpki } from './public-key.js';
import { encodeSerialInteger } from './crl.js';

export type CertIdHash = 'sha1' | HashName;

export interface OcspCertId {
  /** The CertID exactly as the client sent it: echoed verbatim in the SingleResponse. */
  der: Uint8Array;
  hash: CertIdHash;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  serialHex: string;
}

export interface OcspRequest {
  certIds: OcspCertId[];
  /** The request's nonce Extension DER, to be echoed in the response. */
  nonceExtension?: Uint8Array;
}

export type OcspCertStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: number; reasonCode?: number }
  | { status: 'unknown' };

export interface SingleResponseInput {
  certIdDer: Uint8Array;
  certStatus: OcspCertStatus;
  thisUpdate: number;
  nextUpdate?: number;
}

export interface ResponseDataInput {
  /** SHA-1 of the responder's subjectPublicKey octets (ResponderID byKey). */
  responderKeyHash: Uint8Array;
  producedAt: number;
  responses: readonly SingleResponseInput[];
  nonceExtension?: Uint8Array;
}

export const OCSP_STATUS = { successful: 0, malformedRequest: 1, internalError: 2, tryLater: 3, sigRequired: 5, unauthorized: 6 } as const;
export type OcspResponseStatus = keyof typeof OCSP_STATUS;

const hashByOid = new Map<string, CertIdHash>([
  [HashOid.sha1, 'sha1'],
  [HashOid.sha256, 'sha256'],
  [HashOid.sha384, 'sha384'],
  [HashOid.sha512, 'sha512'],
]);
const MAX_NONCE_LENGTH = 128;

function readCertId(reader: DerReader): OcspCertId {
  const tlv = reader.expect(Tag.SEQUENCE, 'CertID');
  const certId = reader.child(tlv);
  const algorithm = certId.enter(Tag.SEQUENCE, 'hashAlgorithm');
  const oid = algorithm.readOid('hashAlgorithm');
  if (!algorithm.atEnd) algorithm.readNull('hashAlgorithm parameters');
  algorithm.finish('hashAlgorithm');
  const hash = hashByOid.get(oid);
  if (!hash) throw new CryptoInputError('unsupported_algorithm', `CertID hash algorithm ${oid} is not supported`);
  const issuerNameHash = certId.readOctetString('issuerNameHash');
  const issuerKeyHash = certId.readOctetString('issuerKeyHash');
  const serialHex = toHex(unsignedIntegerBytes(certId.readInteger('serialNumber')));
  certId.finish('CertID');
  return { der: reader.raw(tlv), hash, issuerNameHash, issuerKeyHash, serialHex };
}

/** Parses an OCSPRequest; a signature on the request, if any, is ignored (RFC 6960 4.1.2 makes it optional). */
export function parseOcspRequest(der: Uint8Array): OcspRequest {
  const { reader, tlv } = readSingle(der, Tag.SEQUENCE, 'OCSPRequest');
  const request = reader.child(tlv);
  const tbs = request.enter(Tag.SEQUENCE, 'TBSRequest');
  request.optional(contextTag(0, true));
  request.finish('OCSPRequest');
  const versionTlv = tbs.optional(contextTag(0, true));
  if (versionTlv && tbs.child(versionTlv).readSmallInteger('version') !== 0) throw malformed('OCSP request version must be v1');
  tbs.optional(contextTag(1, true));
  const list = tbs.enter(Tag.SEQUENCE, 'requestList');
  const certIds: OcspCertId[] = [];
  while (!list.atEnd) {
    const single = list.enter(Tag.SEQUENCE, 'Request');
    certIds.push(readCertId(single));
    single.optional(contextTag(0, true));
    single.finish('Request');
  }
  if (certIds.length === 0) throw malformed('OCSP request has no Request');
  const result: OcspRequest = { certIds };
  const extensionsTlv = tbs.optional(contextTag(2, true));
  if (extensionsTlv) {
    const explicit = tbs.child(extensionsTlv);
    const extensionsReader = explicit.enter(Tag.SEQUENCE, 'requestExtensions');
    for (const extension of readExtensions(extensionsReader)) {
      if (extension.oid !== ExtensionOid.ocspNonce) continue;
      if (extension.valueDer.length > MAX_NONCE_LENGTH) throw malformed('OCSP nonce is too long');
      result.nonceExtension = encodeExtension(extension.oid, extension.critical, extension.valueDer);
    }
    explicit.finish('requestExtensions');
  }
  tbs.finish('TBSRequest');
  return result;
}

/** The CertID hashes that identify an issuer: of its subject Name DER and of its subjectPublicKey octets. */
export function issuerCertIdHashes(subjectDer: Uint8Array, spkiDer: Uint8Array, hash: CertIdHash): { nameHash: Uint8Array; keyHash: Uint8Array } {
  return {
    nameHash: new Uint8Array(createHash(hash).update(subjectDer).digest()),
    keyHash: new Uint8Array(createHash(hash).update(readSpki(spkiDer).publicKeyBytes).digest()),
  };
}

function encodeCertStatus(status: OcspCertStatus): Uint8Array {
  switch (status.status) {
    case 'good':
      return encodeImplicitPrimitive(0, new Uint8Array(0));
    case 'unknown':
      return encodeImplicitPrimitive(2, new Uint8Array(0));
    case 'revoked': {
      const parts = [encodeGeneralizedTime(status.revokedAt)];
      if (status.reasonCode !== undefined) parts.push(encodeExplicit(0, encodeTlv(Tag.ENUMERATED, Uint8Array.of(status.reasonCode))));
      return encodeTlvOf(contextTag(1, true), parts);
    }
  }
}

function encodeSingleResponse(single: SingleResponseInput): Uint8Array {
  const parts = [single.certIdDer, encodeCertStatus(single.certStatus), encodeGeneralizedTime(single.thisUpdate)];
  if (single.nextUpdate !== undefined) parts.push(encodeExplicit(0, encodeGeneralizedTime(single.nextUpdate)));
  return encodeTlvOf(Tag.SEQUENCE, parts);
}

/** ResponseData DER: the bytes the responder signs. */
export function encodeResponseData(input: ResponseDataInput): Uint8Array {
  const parts = [
    encodeExplicit(2, encodeOctetString(input.responderKeyHash)),
    encodeGeneralizedTime(input.producedAt),
    encodeTlvOf(Tag.SEQUENCE, input.responses.map(encodeSingleResponse)),
  ];
  if (input.nonceExtension) parts.push(encodeExplicit(1, encodeSequence(input.nonceExtension)));
  return encodeTlvOf(Tag.SEQUENCE, parts);
}

/** SHA-1 of a public key's subjectPublicKey octets: ResponderID byKey (and issuerKeyHash with SHA-1). */
export function responderKeyHash(spkiDer: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(readSpki(spkiDer).publicKeyBytes).digest());
}

/** A successful OCSPResponse around a signed BasicOCSPResponse; `certs` carries a delegated responder's certificate. */
export function assembleOcspResponse(
  responseDataDer: Uint8Array,
  signatureAlgorithm: SignatureAlgorithm,
  signature: Uint8Array,
  certs: readonly Uint8Array[] = [],
): Uint8Array {
  const basicParts = [responseDataDer, algorithmIdentifierDer(signatureAlgorithm), encodeBitString(signature)];
  if (certs.length) basicParts.push(encodeExplicit(0, encodeTlvOf(Tag.SEQUENCE, certs)));
  const basic = encodeTlvOf(Tag.SEQUENCE, basicParts);
  return encodeSequence(
    encodeTlv(Tag.ENUMERATED, Uint8Array.of(OCSP_STATUS.successful)),
    encodeExplicit(0, encodeSequence(encodeOid(OcspResponseTypeOid.basic), encodeOctetString(basic))),
  );
}

const statusOnly = new Map<OcspResponseStatus, Uint8Array>(
  (Object.keys(OCSP_STATUS) as OcspResponseStatus[]).map((status) => [status, encodeSequence(encodeTlv(Tag.ENUMERATED, Uint8Array.of(OCSP_STATUS[status])))]),
);

/** An unsigned OCSPResponse carrying only an error status (RFC 6960 2.3). */
export function ocspStatusResponse(status: Exclude<OcspResponseStatus, 'successful'>): Uint8Array {
  return statusOnly.get(status)!;
}

/** A client-side OCSPRequest (benchmarks, tests): one Request per CertID, optionally a nonce. */
export function encodeOcspRequest(certIds: readonly { hash: CertIdHash; issuerNameHash: Uint8Array; issuerKeyHash: Uint8Array; serialHex: string }[], nonce?: Uint8Array): Uint8Array {
  const requests = certIds.map((id) =>
    encodeSequence(
      encodeSequence(
        encodeSequence(encodeOid(HashOid[id.hash])),
        encodeOctetString(id.issuerNameHash),
        encodeOctetString(id.issuerKeyHash),
        encodeSerialInteger(id.serialHex),
      ),
    ),
  );
  const tbsParts = [encodeTlvOf(Tag.SEQUENCE, requests)];
  if (nonce) tbsParts.push(encodeExplicit(2, encodeSequence(encodeExtension(ExtensionOid.ocspNonce, false, encodeOctetString(nonce)))));
  return encodeSequence(encodeTlvOf(Tag.SEQUENCE, tbsParts));
}
