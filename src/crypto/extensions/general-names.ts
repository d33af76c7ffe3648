/**
 * GeneralName <-> San. dNSName, rfc822Name, URI and iPAddress map to text; every other choice is kept opaque as the
 * base64 of its DER so it survives a round trip.
 *
 * RFC 5280 4.2.1.6:
 *   GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 *   GeneralName ::= CHOICE {
 *     otherName                       [0]     OtherName,
 *     rfc822Name                      [1]     IA5String,
 *     dNSName                         [2]     IA5String,
 *     x400Address                     [3]     ORAddress,
 *     directoryName                   [4]     Name,
 *     ediPartyName                    [5]     EDIPartyName,
 *     uniformResourceIdentifier       [6]     IA5String,
 *     iPAddress                       [7]     OCTET STRING,
 *     registeredID                    [8]     OBJECT IDENTIFIER }
 */
import type { San } from '../../domain/x509.js';
import { fromBase64, toBase64 } from '../bytes.js';
import { DerReader, Tag, contextTag, decodeAscii, encodeTlv, encodeTlvOf, ia5Content, readSingle } from '../der.js';
import { CryptoInputError, malformed } from '../errors.js';
import { bytesToIp, ipToBytes } from '../ip-address.js';

const RFC822_NAME = contextTag(1, false);
const DNS_NAME = contextTag(2, false);
const URI = contextTag(6, false);
const IP_ADDRESS = contextTag(7, false);

const textTags: Record<'email' | 'dns' | 'uri', number> = { email: RFC822_NAME, dns: DNS_NAME, uri: URI };

function nonEmptyIa5(type: string, text: string): Uint8Array {
  if (text.length === 0) throw new CryptoInputError('invalid_content', `an empty ${type} SAN cannot be encoded`);
  return ia5Content(text, `${type} SAN`);
}

function opaqueGeneralName(base64: string): Uint8Array {
  const der = fromBase64(base64);
  try {
    const reader = new DerReader(der);
    const tlv = reader.next();
    reader.finish('GeneralName');
    if ((tlv.tag & 0xc0) !== 0x80) throw malformed('not a context-tagged GeneralName');
  } catch {
    throw new CryptoInputError('invalid_content', 'an "other" SAN must be the base64 DER of one GeneralName');
  }
  return der;
}

export function encodeGeneralName(san: San): Uint8Array {
  switch (san.type) {
    case 'dns':
    case 'email':
    case 'uri':
      return encodeTlv(textTags[san.type], nonEmptyIa5(san.type, san.value));
    case 'ip':
      return encodeTlv(IP_ADDRESS, ipToBytes(san.value));
    case 'other':
      return opaqueGeneralName(san.value);
    default: {
      const unhandled: never = san;
      throw new TypeError(`unknown SAN type ${JSON.stringify(unhandled)}`);
    }
  }
}

export function encodeGeneralNames(sans: readonly San[]): Uint8Array {
  return encodeTlvOf(Tag.SEQUENCE, sans.map(encodeGeneralName));
}

/** Reads one GeneralName TLV from the reader. */
export function readGeneralName(reader: DerReader): San {
  const tlv = reader.next();
  const content = reader.content(tlv);
  switch (tlv.tag) {
    case DNS_NAME:
      return { type: 'dns', value: decodeAscii(content, 'dNSName') };
    case RFC822_NAME:
      return { type: 'email', value: decodeAscii(content, 'rfc822Name') };
    case URI:
      return { type: 'uri', value: decodeAscii(content, 'uniformResourceIdentifier') };
    case IP_ADDRESS: {
      const value = bytesToIp(content);
      if (value === undefined) throw malformed(`iPAddress has ${content.length} octets (4 or 16 expected)`);
      return { type: 'ip', value };
    }
    default:
      if ((tlv.tag & 0xc0) !== 0x80 || (tlv.tag & 0x1f) > 8) throw malformed('GeneralName has an unknown tag');
      return { type: 'other', value: toBase64(reader.raw(tlv)) };
  }
}

/** Reads GeneralName elements until the reader is exhausted (the content of a GeneralNames or an IMPLICIT twin). */
export function readGeneralNameList(reader: DerReader): San[] {
  const sans: San[] = [];
  while (!reader.atEnd) sans.push(readGeneralName(reader));
  return sans;
}

export function decodeGeneralNames(der: Uint8Array): San[] {
  const { reader, tlv } = readSingle(der, Tag.SEQUENCE, 'GeneralNames');
  const sans = readGeneralNameList(reader.child(tlv));
  if (sans.length === 0) throw malformed('GeneralNames is empty');
  return sans;
}
