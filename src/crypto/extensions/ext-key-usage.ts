/**
 * RFC 5280 4.2.1.12:
 *   id-ce-extKeyUsage OBJECT IDENTIFIER ::= { id-ce 37 }
 *   ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId
 *   KeyPurposeId ::= OBJECT IDENTIFIER
 */
import type { ExtKeyUsage } from '../../domain/x509.js';
import { Tag, encodeOid, encodeTlvOf, isDottedOid, readSingle } from '../der.js';
import { CryptoInputError, malformed } from '../errors.js';
import { ExtKeyUsageOid, ExtensionOid } from '../oids.js';
import type { ExtensionCodec } from './extension.js';

const nameByOid = new Map<string, string>(Object.entries(ExtKeyUsageOid).map(([name, oid]) => [oid, name]));

function purposeOid(purpose: ExtKeyUsage): string {
  const oid = (ExtKeyUsageOid as Record<string, string>)[purpose] ?? (isDottedOid(purpose) ? purpose : undefined);
  if (!oid) throw new CryptoInputError('invalid_content', `unknown extended key usage "${purpose}"`);
  return oid;
}

export const extKeyUsage: ExtensionCodec<ExtKeyUsage[]> = {
  oid: ExtensionOid.extKeyUsage,
  name: 'extKeyUsage',
  encodeValue(purposes) {
    return encodeTlvOf(Tag.SEQUENCE, purposes.map((p) => encodeOid(purposeOid(p))));
  },
  /** Known purposes by name, others as dotted OIDs. */
  decodeValue(valueDer) {
    const { reader, tlv } = readSingle(valueDer, Tag.SEQUENCE, 'ExtKeyUsageSyntax');
    const list = reader.child(tlv);
    const purposes: ExtKeyUsage[] = [];
    while (!list.atEnd) {
      const oid = list.readOid('KeyPurposeId');
      purposes.push(nameByOid.get(oid) ?? oid);
    }
    if (purposes.length === 0) throw malformed('ExtKeyUsageSyntax is empty');
    return purposes;
  },
};
