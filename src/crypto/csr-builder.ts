/**
 * PKCS#10 certification requests built and signed with a Signer (the encoder twin of csr.ts): intermediate CA CSRs
 * for OpenBao's intermediate/generate, and the request a server-generated key makes for itself before issuance.
 *
 * RFC 2986 4 (quoted in full in csr.ts):
 *   CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) }, subject Name,
 *     subjectPKInfo SubjectPublicKeyInfo, attributes [0] Attributes }
 *   CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
 * RFC 2985 5.4.2: extensionRequest is an Attribute whose single value is an Extensions SEQUENCE.
 */
import type { NameAttribute, San } from '../domain/x509.js';
import { Tag, contextTag, encodeBitString, encodeOid, encodeSequence, encodeSet, encodeSmallInteger, encodeTlvOf } from './der.js';
import { basicConstraints } from './extensions/basic-constraints.js';
import { encodeExtensionWith } from './extensions/extension.js';
import { subjectAltName } from './extensions/subject-alt-name.js';
import { encodeName } from './name.js';
import { Pkcs9AttributeOid } from './oids.js';
import type { Signer } from './signer.js';

export interface CsrContent {
  subject: NameAttribute[];
  sans?: San[];
  /** Request basicConstraints cA=TRUE (OpenBao `add_basic_constraints`). */
  requestCa?: boolean;
}

function extensionRequest(content: CsrContent): Uint8Array[] {
  const extensions: Uint8Array[] = [];
  if (content.requestCa) extensions.push(encodeExtensionWith(basicConstraints, { ca: true }, true));
  if (content.sans?.length) extensions.push(encodeExtensionWith(subjectAltName, content.sans, content.subject.length === 0));
  if (extensions.length === 0) return [];
  return [encodeSequence(encodeOid(Pkcs9AttributeOid.extensionRequest), encodeSet(encodeTlvOf(Tag.SEQUENCE, extensions)))];
}

/** The CertificationRequestInfo DER: the bytes the key signs. */
export function encodeCsrInfo(spkiDer: Uint8Array, content: CsrContent): Uint8Array {
  return encodeSequence(encodeSmallInteger(0), encodeName(content.subject), spkiDer, encodeTlvOf(contextTag(0, true), extensionRequest(content)));
}

export function assembleCsr(infoDer: Uint8Array, signatureAlgorithmDer: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeSequence(infoDer, signatureAlgorithmDer, encodeBitString(signature));
}

/** The DER of a signed request for the signer's key. */
export function buildCsr(signer: Signer, content: CsrContent): Uint8Array {
  const info = encodeCsrInfo(signer.spkiDer, content);
  return assembleCsr(info, signer.algorithmIdentifierDer, signer.sign(info));
}
