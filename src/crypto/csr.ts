/**
 * PKCS#10 certification requests: strict parse with the hand-rolled DER reader, self-signature check with node:crypto.
 *
 * RFC 2986 4:
 *   CertificationRequest ::= SEQUENCE {
 *     certificationRequestInfo CertificationRequestInfo,
 *     signatureAlgorithm AlgorithmIdentifier{{ SignatureAlgorithms }},
 *     signature          BIT STRING }
 *   CertificationRequestInfo ::= SEQUENCE {
 *     version       INTEGER { v1(0) } (v1,...),
 *     subject       Name,
 *     subjectPKInfo SubjectPublicKeyInfo{{ PKInfoAlgorithms }},
 *     attributes    [0] Attributes{{ CRIAttributes }} }
 *   Attributes { ATTRIBUTE:IOSet } ::= SET OF Attribute{{ IOSet }}
 *   Attribute { ATTRIBUTE:IOSet } ::= SEQUENCE {
 *     type   ATTRIBUTE.&id({IOSet}),
 *     values SET SIZE(1..MAX) OF ATTRIBUTE.&Type({IOSet}{@type}) }
 * RFC 2985 5.4.1 / 5.4.2: challengePassword is a single DirectoryString; extensionRequest is a single Extensions.
 */
import type { CsrFacts } from '../domain/x509.js';
import { parseSignatureAlgorithm } from './algorithms.js';
import { DerReader, Tag, contextTag, readSingle } from './der.js';
import { CryptoInputError, malformed } from './errors.js';
import { findExtension, readExtensions, type RawExtension } from './extensions/extension.js';
import { subjectAltName } from './extensions/subject-alt-name.js';
import { decodeName } from './name.js';
import { Pkcs9AttributeOid } from './oids.js';
import { importPublicKey, parseSpki, type PublicKeyInfo } from './public-key.js';
import { verifyWithScheme } from './verify.js';

export interface ParsedCsr extends CsrFacts {
  /** certificationRequestInfo DER: the bytes the signature covers. */
  infoDer: Uint8Array;
  signatureAlgorithmDer: Uint8Array;
  signature: Uint8Array;
  publicKeyInfo: PublicKeyInfo;
}

const ATTRIBUTES = contextTag(0, true);

interface CsrAttributes {
  requestedExtensions: RawExtension[];
  challengePassword?: string;
}

function readAttributes(attributes: DerReader): CsrAttributes {
  const result: CsrAttributes = { requestedExtensions: [] };
  const seen = new Set<string>();
  while (!attributes.atEnd) {
    const attribute = attributes.enter(Tag.SEQUENCE, 'Attribute');
    const type = attribute.readOid('attribute type');
    const values = attribute.enter(Tag.SET, 'attribute values');
    attribute.finish('Attribute');
    if (seen.has(type)) throw malformed(`CSR attribute ${type} appears more than once`);
    seen.add(type);
    switch (type) {
      case Pkcs9AttributeOid.extensionRequest:
      case Pkcs9AttributeOid.msCertExtensions:
        if (seen.has(Pkcs9AttributeOid.extensionRequest) && seen.has(Pkcs9AttributeOid.msCertExtensions)) {
          throw malformed('CSR carries both extensionRequest and the Microsoft extension attribute');
        }
        result.requestedExtensions = readExtensions(values.enter(Tag.SEQUENCE, 'Extensions'));
        values.finish('extensionRequest values (exactly one Extensions expected)');
        break;
      case Pkcs9AttributeOid.challengePassword:
        result.challengePassword = values.readString('challengePassword');
        values.finish('challengePassword values (exactly one expected)');
        break;
      default:
        // Other attributes (unstructuredName, Microsoft enrolment data...) are not ours to interpret.
        if (values.atEnd) throw malformed(`CSR attribute ${type} has no value`);
    }
  }
  return result;
}

/**
 * Parses a DER PKCS#10 request. Fails with CryptoInputError: 'malformed' (garbage, truncation, trailing bytes, bad
 * fields, a version other than v1) or 'unsupported_key'. Does not check the signature (see verifyCsr).
 * Returned byte fields are views into `der`.
 */
export function parseCsr(der: Uint8Array): ParsedCsr {
  const { reader, tlv } = readSingle(der, Tag.SEQUENCE, 'CertificationRequest');
  const request = reader.child(tlv);
  const infoTlv = request.expect(Tag.SEQUENCE, 'certificationRequestInfo');
  const signatureAlgorithmDer = request.readRaw(Tag.SEQUENCE, 'signatureAlgorithm');
  const signature = request.readOctetAlignedBitString('signature');
  request.finish('CertificationRequest');

  const info = request.child(infoTlv);
  const version = info.readSmallInteger('version');
  if (version !== 0) throw malformed(`CSR version ${version} is not v1 (0)`);
  const subjectDer = info.readRaw(Tag.SEQUENCE, 'subject Name');
  const spkiDer = info.readRaw(Tag.SEQUENCE, 'subjectPKInfo');
  // RFC 2986 makes [0] mandatory, but some generators omit it when empty.
  const attributesTlv = info.optional(ATTRIBUTES);
  info.finish('certificationRequestInfo');

  const publicKeyInfo = parseSpki(spkiDer);
  const { requestedExtensions, challengePassword } = attributesTlv
    ? readAttributes(info.child(attributesTlv))
    : { requestedExtensions: [] };
  const signatureAlgorithm = algorithmOid(signatureAlgorithmDer);

  const parsed: ParsedCsr = {
    subject: decodeName(subjectDer),
    subjectDer,
    publicKey: publicKeyInfo.spec,
    spkiDer,
    sans: findExtension(requestedExtensions, subjectAltName) ?? [],
    requestedExtensions,
    signatureAlgorithm,
    infoDer: request.raw(infoTlv),
    signatureAlgorithmDer,
    signature,
    publicKeyInfo,
  };
  if (challengePassword !== undefined) parsed.challengePassword = challengePassword;
  return parsed;
}

/** The algorithm OID of an AlgorithmIdentifier TLV the caller has already delimited. */
function algorithmOid(algorithmIdentifierDer: Uint8Array): string {
  return new DerReader(algorithmIdentifierDer).enter(Tag.SEQUENCE).readOid('signature algorithm');
}

/**
 * Checks the request's self-signature (proof of possession). Fails with CryptoInputError 'unsupported_algorithm'
 * (MD5, SHA-1, unknown algorithms), 'bad_signature' (wrong signature, or an algorithm that does not fit the key).
 */
export function verifyCsr(csr: ParsedCsr): void {
  const scheme = parseSignatureAlgorithm(csr.signatureAlgorithmDer);
  if (scheme.key !== csr.publicKey.kind) {
    throw new CryptoInputError('bad_signature', `CSR is signed with a ${scheme.key} algorithm but has a ${csr.publicKey.kind} key`);
  }
  if (!verifyWithScheme(importPublicKey(csr.publicKeyInfo), scheme, csr.infoDer, csr.signature)) {
    throw new CryptoInputError('bad_signature', 'CSR signature does not verify with its public key');
  }
}

/** The plain CsrFacts of a parsed request, without the parser's extra fields (for policy and events). */
export function csrFacts(csr: ParsedCsr): CsrFacts {
  const facts: CsrFacts = {
    subject: csr.subject,
    subjectDer: csr.subjectDer,
    publicKey: csr.publicKey,
    spkiDer: csr.spkiDer,
    sans: csr.sans,
    requestedExtensions: csr.requestedExtensions,
    signatureAlgorithm: csr.signatureAlgorithm,
  };
  if (csr.challengePassword !== undefined) facts.challengePassword = csr.challengePassword;
  return facts;
}
