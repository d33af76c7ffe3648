/**
 * Distinguished names: NameAttribute[] <-> Name DER, and an RFC 4514 string for display and audit.
 *
 * RFC 5280 4.1.2.4:
 *   Name ::= CHOICE { -- only one possibility for now --
 *     rdnSequence  RDNSequence }
 *   RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
 *   RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 *   AttributeTypeAndValue ::= SEQUENCE {
 *     type     AttributeType,
 *     value    AttributeValue }
 *   AttributeType ::= OBJECT IDENTIFIER
 *   AttributeValue ::= ANY -- DEFINED BY AttributeType
 */
import type { NameAttribute } from '../domain/x509.js';
import { toHex } from './bytes.js';
import {
  DerReader,
  Tag,
  decodeString,
  encodeIa5String,
  encodeOid,
  encodePrintableString,
  encodeSequence,
  encodeSet,
  encodeTlvOf,
  encodeUtf8String,
  isDottedOid,
  readSingle,
} from './der.js';
import { CryptoInputError } from './errors.js';
import { NameAttributeOid } from './oids.js';

const shortNameByOid = new Map<string, string>(Object.entries(NameAttributeOid).map(([short, oid]) => [oid, short]));

/** Short names, long names and common aliases, lower-cased, to OIDs. */
const oidByLowerName = new Map<string, string>([
  ...Object.entries(NameAttributeOid).map(([short, oid]): [string, string] => [short.toLowerCase(), oid]),
  ['commonname', NameAttributeOid.CN],
  ['surname', NameAttributeOid.SN],
  ['countryname', NameAttributeOid.C],
  ['localityname', NameAttributeOid.L],
  ['stateorprovincename', NameAttributeOid.ST],
  ['streetaddress', NameAttributeOid.street],
  ['organizationname', NameAttributeOid.O],
  ['organizationalunitname', NameAttributeOid.OU],
  ['givenname', NameAttributeOid.GN],
  ['e', NameAttributeOid.emailAddress],
  ['email', NameAttributeOid.emailAddress],
  ['domaincomponent', NameAttributeOid.DC],
  ['userid', NameAttributeOid.UID],
]);

export function nameAttributeOid(type: string): string {
  const oid = oidByLowerName.get(type.toLowerCase()) ?? (isDottedOid(type) ? type : undefined);
  if (!oid) throw new CryptoInputError('invalid_content', `unknown name attribute type "${type}"`);
  return oid;
}

/** RFC 5280 appendix A: these are PrintableString or IA5String; everything else is a DirectoryString, UTF8String. */
const printableOids = new Set<string>([
  NameAttributeOid.C,
  NameAttributeOid.serialNumber,
  NameAttributeOid.dnQualifier,
  NameAttributeOid.jurisdictionC,
]);
const ia5Oids = new Set<string>([NameAttributeOid.emailAddress, NameAttributeOid.DC]);
const countryOids = new Set<string>([NameAttributeOid.C, NameAttributeOid.jurisdictionC]);

function encodeAttributeValue(oid: string, value: string): Uint8Array {
  if (countryOids.has(oid) && value.length !== 2) {
    throw new CryptoInputError('invalid_content', `country "${value}" must be a two-letter code`);
  }
  if (printableOids.has(oid)) return encodePrintableString(value);
  if (ia5Oids.has(oid)) return encodeIa5String(value);
  return encodeUtf8String(value);
}

/** One single-valued RDN per attribute, in the given order. */
export function encodeName(attributes: readonly NameAttribute[]): Uint8Array {
  const rdns = attributes.map(({ type, value }) => {
    const oid = nameAttributeOid(type);
    return encodeSet(encodeSequence(encodeOid(oid), encodeAttributeValue(oid, value)));
  });
  return encodeTlvOf(Tag.SEQUENCE, rdns);
}

/**
 * The attributes of a Name DER in encoding order; multi-valued RDNs are flattened. A value that is not a character
 * string is rendered RFC 4514 style as '#' and the hex of its DER.
 */
export function decodeName(nameDer: Uint8Array): NameAttribute[] {
  const { reader, tlv } = readSingle(nameDer, Tag.SEQUENCE, 'Name');
  return readNameAttributes(reader.child(tlv));
}

function readNameAttributes(rdnSequence: DerReader): NameAttribute[] {
  const attributes: NameAttribute[] = [];
  while (!rdnSequence.atEnd) {
    const rdn = rdnSequence.enter(Tag.SET, 'RelativeDistinguishedName');
    if (rdn.atEnd) throw malformedName('an empty RelativeDistinguishedName');
    while (!rdn.atEnd) {
      const atv = rdn.enter(Tag.SEQUENCE, 'AttributeTypeAndValue');
      const oid = atv.readOid('AttributeType');
      const valueTlv = atv.next();
      atv.finish('AttributeTypeAndValue');
      const value = decodeString(valueTlv.tag, atv.content(valueTlv)) ?? `#${toHex(atv.raw(valueTlv))}`;
      attributes.push({ type: shortNameByOid.get(oid) ?? oid, value });
    }
  }
  return attributes;
}

function malformedName(what: string): CryptoInputError {
  return new CryptoInputError('malformed', `Name contains ${what}`);
}

const ESCAPED = /[,+"\\<>;\u0000]/g;

function escapeValue(value: string): string {
  if (value.startsWith('#') && /^#([0-9a-f]{2})+$/.test(value)) return value;
  let escaped = value.replace(ESCAPED, (c) => (c === '\u0000' ? '\\00' : `\\${c}`));
  if (escaped.startsWith('#') || escaped.startsWith(' ')) escaped = `\\${escaped}`;
  if (escaped.endsWith(' ') && escaped.length > 1) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/**
 * RFC 4514 string form: RDNs in reverse encoding order (a Name encoded C, O, CN prints "CN=…,O=…,C=…"),
 * short names where known, dotted OIDs otherwise, special characters escaped.
 */
export function formatName(attributes: readonly NameAttribute[]): string {
  const parts: string[] = [];
  for (let i = attributes.length - 1; i >= 0; i--) {
    const { type, value } = attributes[i];
    parts.push(`${type}=${escapeValue(value)}`);
  }
  return parts.join(',');
}
