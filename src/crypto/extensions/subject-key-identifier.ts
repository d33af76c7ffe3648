/**
 * RFC 5280 4.2.1.2:
 *   id-ce-subjectKeyIdentifier OBJECT IDENTIFIER ::=  { id-ce 14 }
 *   SubjectKeyIdentifier ::= KeyIdentifier
 *   KeyIdentifier ::= OCTET STRING
 * The identifier itself is computed in public-key.ts (keyIdentifier, method 1).
 */
import { Tag, encodeOctetString, readSingle } from '../der.js';
import { ExtensionOid } from '../oids.js';
import type { ExtensionCodec } from './extension.js';

export const subjectKeyIdentifier: ExtensionCodec<Uint8Array> = {
  oid: ExtensionOid.subjectKeyIdentifier,
  name: 'subjectKeyIdentifier',
  encodeValue: (keyId) => encodeOctetString(keyId),
  decodeValue(valueDer) {
    const { reader, tlv } = readSingle(valueDer, Tag.OCTET_STRING, 'SubjectKeyIdentifier');
    return reader.content(tlv);
  },
};
