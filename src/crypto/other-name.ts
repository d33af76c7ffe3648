/**
 * otherName SANs with a UTF8String value (OpenBao's `other_sans`, e.g. a Microsoft UPN), to and from the opaque
 * `{type: 'other'}` San form general-names.ts keeps them in.
 *
 * RFC 5280 4.2.1.6:
 *   OtherName ::= SEQUENCE {
 *     type-id    OBJECT IDENTIFIER,
 *     value      [0] EXPLICIT ANY DEFINED BY type-id }
 * As a GeneralName it is `otherName [0] OtherName` (IMPLICIT: the SEQUENCE tag becomes [0] constructed).
 */
import type { San } from '../domain/x509.js';
import { fromBase64, toBase64 } from './bytes.js';
import { Tag, contextTag, encodeExplicit, encodeOid, encodeTlvOf, encodeUtf8String, readSingle } from './der.js';

const OTHER_NAME = contextTag(0, true);

export function encodeUtf8OtherName(oid: string, value: string): San {
  return { type: 'other', value: toBase64(encodeTlvOf(OTHER_NAME, [encodeOid(oid), encodeExplicit(0, encodeUtf8String(value))])) };
}

/** The OID and text of an otherName SAN whose value is a UTF8String; undefined for any other kind of name. */
export function decodeUtf8OtherName(san: San): { oid: string; value: string } | undefined {
  if (san.type !== 'other') return undefined;
  try {
    const { reader, tlv } = readSingle(fromBase64(san.value), OTHER_NAME, 'otherName');
    const otherName = reader.child(tlv);
    const oid = otherName.readOid('type-id');
    const explicit = otherName.enter(contextTag(0, true), 'otherName value');
    if (explicit.peekTag() !== Tag.UTF8String) return undefined;
    const value = explicit.readString('otherName value');
    explicit.finish('otherName value');
    otherName.finish('otherName');
    return { oid, value };
  } catch {
    return undefined;
  }
}
