/**
 * RFC 5280 4.2.1.3:
 *   id-ce-keyUsage OBJECT IDENTIFIER ::=  { id-ce 15 }
 *   KeyUsage ::= BIT STRING {
 *     digitalSignature        (0),
 *     nonRepudiation          (1), -- recent editions of X.509 have
 *                                  -- renamed this bit to contentCommitment
 *     keyEncipherment         (2),
 *     dataEncipherment        (3),
 *     keyAgreement            (4),
 *     keyCertSign             (5),
 *     cRLSign                 (6),
 *     encipherOnly            (7),
 *     decipherOnly            (8) }
 */
import type { KeyUsage } from '../../domain/x509.js';
import { Tag, decodeBitString, encodeBitString, readSingle } from '../der.js';
import { ExtensionOid } from '../oids.js';
import type { ExtensionCodec } from './extension.js';

const bitOrder: readonly KeyUsage[] = [
  'digitalSignature',
  'contentCommitment',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export const keyUsage: ExtensionCodec<KeyUsage[]> = {
  oid: ExtensionOid.keyUsage,
  name: 'keyUsage',
  /** A DER named bit list: trailing zero bits are dropped and counted as unused. */
  encodeValue(usages) {
    const bytes = new Uint8Array(2);
    let highest = -1;
    for (const usage of usages) {
      const bit = bitOrder.indexOf(usage);
      if (bit < 0) throw new TypeError(`unknown key usage ${usage}`);
      bytes[bit >> 3] |= 0x80 >> (bit & 7);
      highest = Math.max(highest, bit);
    }
    if (highest < 0) return encodeBitString(new Uint8Array(0));
    return encodeBitString(bytes.subarray(0, (highest >> 3) + 1), 7 - (highest & 7));
  },
  decodeValue(valueDer) {
    const { reader, tlv } = readSingle(valueDer, Tag.BIT_STRING, 'KeyUsage');
    const { bytes } = decodeBitString(reader.content(tlv));
    return bitOrder.filter((_, bit) => (bit >> 3) < bytes.length && bytes[bit >> 3] & (0x80 >> (bit & 7)));
  },
};
