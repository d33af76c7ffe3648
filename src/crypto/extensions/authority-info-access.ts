/**
 * RFC 5280 4.2.2.1:
 *   id-pe-authorityInfoAccess OBJECT IDENTIFIER ::= { id-pe 1 }
 *   AuthorityInfoAccessSyntax  ::=
 *           SEQUENCE SIZE (1..MAX) OF AccessDescription
 *   AccessDescription  ::=  SEQUENCE {
 *           accessMethod          OBJECT IDENTIFIER,
 *           accessLocation        GeneralName  }
 *   id-ad-caIssuers OBJECT IDENTIFIER ::= { id-ad 2 }
 *   id-ad-ocsp OBJECT IDENTIFIER ::= { id-ad 1 }
 */
import { Tag, encodeOid, encodeSequence, encodeTlvOf, readSingle } from '../der.js';
import { malformed } from '../errors.js';
import { AccessMethodOid, ExtensionOid } from '../oids.js';
import type { ExtensionCodec } from './extension.js';
import { encodeGeneralName, readGeneralName } from './general-names.js';

export interface AuthorityInfoAccess {
  ocsp: string[];
  caIssuers: string[];
}

function accessDescription(method: string, uri: string): Uint8Array {
  return encodeSequence(encodeOid(method), encodeGeneralName({ type: 'uri', value: uri }));
}

export const authorityInfoAccess: ExtensionCodec<AuthorityInfoAccess> = {
  oid: ExtensionOid.authorityInfoAccess,
  name: 'authorityInfoAccess',
  encodeValue({ ocsp, caIssuers }) {
    return encodeTlvOf(Tag.SEQUENCE, [
      ...ocsp.map((uri) => accessDescription(AccessMethodOid.ocsp, uri)),
      ...caIssuers.map((uri) => accessDescription(AccessMethodOid.caIssuers, uri)),
    ]);
  },
  /** URI locations of the two access methods RFC 5280 defines; other methods and name forms are skipped. */
  decodeValue(valueDer) {
    const { reader, tlv } = readSingle(valueDer, Tag.SEQUENCE, 'AuthorityInfoAccessSyntax');
    const list = reader.child(tlv);
    const result: AuthorityInfoAccess = { ocsp: [], caIssuers: [] };
    if (list.atEnd) throw malformed('AuthorityInfoAccessSyntax is empty');
    while (!list.atEnd) {
      const description = list.enter(Tag.SEQUENCE, 'AccessDescription');
      const method = description.readOid('accessMethod');
      const location = readGeneralName(description);
      description.finish('AccessDescription');
      if (location.type !== 'uri') continue;
      if (method === AccessMethodOid.ocsp) result.ocsp.push(location.value);
      else if (method === AccessMethodOid.caIssuers) result.caIssuers.push(location.value);
    }
    return result;
  },
};
