/**
 * The PKCS#10 pieces EST needs beyond the signing pipeline: the CsrAttrs answer of `csrattrs`, and attributes the
 * strict CSR parser does not interpret (RFC 7030 4.4.1 decrypt-key identifiers).
 *
 * RFC 7030 4.5.2:
 *   CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID
 *   AttrOrOID ::= CHOICE (oid OBJECT IDENTIFIER, attribute Attribute }
 *   Attribute { ATTRIBUTE:IOSet } ::= SEQUENCE {
 *     type   ATTRIBUTE.&id({IOSet}),
 *     values SET SIZE(1..MAX) OF ATTRIBUTE.&Type({IOSet}{@type}) }
 */
import type { EstCsrAttribute } from '../../domain/est-profile.js';
import { Tag, contextTag, encodeOid, encodeSequence, encodeTlvOf, readSingle } from '../../crypto/der.js';

const ATTRIBUTES = contextTag(0, true);

/** RFC 7030 4.4.1.1 / 4.4.1.2 (S/MIME attribute arc id-aa). */
export const DecryptKeyOid = {
  /** DecryptKeyIdentifier: a symmetric key shared with the client. */
  symmetric: '1.2.840.113549.1.9.16.2.37',
  /** AsymmetricDecryptKeyIdentifier: the key identifier of the client's certificate to encrypt to. */
  asymmetric: '1.2.840.113549.1.9.16.2.54',
} as const;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** DER CsrAttrs; attribute values are OIDs, sorted as DER requires of a SET OF. */
export function encodeCsrAttrs(attributes: readonly EstCsrAttribute[]): Uint8Array {
  return encodeTlvOf(
    Tag.SEQUENCE,
    attributes.map(({ oid, values }) => {
      if (!values?.length) return encodeOid(oid);
      const encoded = values.map(encodeOid).sort(compareBytes);
      return encodeSequence(encodeOid(oid), encodeTlvOf(Tag.SET, encoded));
    }),
  );
}

/**
 * The value TLVs of one attribute of a DER PKCS#10 request, or undefined when it is absent. The request is
 * assumed already parsed strictly (parseCsr); this walks only as far as the attributes.
 */
export function csrAttributeValues(csrDer: Uint8Array, oid: string): Uint8Array[] | undefined {
  const { reader, tlv } = readSingle(csrDer, Tag.SEQUENCE, 'CertificationRequest');
  const info = reader.child(tlv).enter(Tag.SEQUENCE, 'certificationRequestInfo');
  info.readSmallInteger('version');
  info.readRaw(Tag.SEQUENCE, 'subject');
  info.readRaw(Tag.SEQUENCE, 'subjectPKInfo');
  const attributesTlv = info.optional(ATTRIBUTES);
  if (!attributesTlv) return undefined;
  const attributes = info.child(attributesTlv);
  while (!attributes.atEnd) {
    const attribute = attributes.enter(Tag.SEQUENCE, 'Attribute');
    if (attribute.readOid('attribute type') !== oid) continue;
    const values = attribute.enter(Tag.SET, 'attribute values');
    const out: Uint8Array[] = [];
    while (!values.atEnd) out.push(values.raw(values.next()));
    return out;
  }
  return undefined;
}
