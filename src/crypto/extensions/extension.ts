/**
 * The Extension envelope shared by certificates and PKCS#10 extensionRequest, and the codec shape every extension
 * file implements.
 *
 * RFC 5280 4.1:
 *   Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 *   Extension ::= SEQUENCE {
 *     extnID      OBJECT IDENTIFIER,
 *     critical    BOOLEAN DEFAULT FALSE,
 *     extnValue   OCTET STRING
 *                 -- contains the DER encoding of an ASN.1 value
 *                 -- corresponding to the extension type identified
 *                 -- by extnID
 *   }
 */
import { DerReader, Tag, encodeBoolean, encodeOctetString, encodeOid, encodeSequence } from '../der.js';
import { malformed } from '../errors.js';

export interface RawExtension {
  oid: string;
  critical: boolean;
  /** The extnValue OCTET STRING's content: the DER of the extension's own type. */
  valueDer: Uint8Array;
}

/** One extension type: its OID and the DER of its extnValue in both directions. */
export interface ExtensionCodec<T> {
  readonly oid: string;
  readonly name: string;
  encodeValue(value: T): Uint8Array;
  decodeValue(valueDer: Uint8Array): T;
}

const CRITICAL = encodeBoolean(true);

export function encodeExtension(oid: string, critical: boolean, valueDer: Uint8Array): Uint8Array {
  // DER omits a BOOLEAN equal to its DEFAULT.
  return critical
    ? encodeSequence(encodeOid(oid), CRITICAL, encodeOctetString(valueDer))
    : encodeSequence(encodeOid(oid), encodeOctetString(valueDer));
}

export function encodeExtensionWith<T>(codec: ExtensionCodec<T>, value: T, critical: boolean): Uint8Array {
  return encodeExtension(codec.oid, critical, codec.encodeValue(value));
}

/**
 * Reads the Extension elements of an Extensions SEQUENCE. An explicit critical FALSE is tolerated (some CSR
 * generators emit it); a repeated extnID is not (RFC 5280 4.2).
 */
export function readExtensions(extensions: DerReader): RawExtension[] {
  const out: RawExtension[] = [];
  const seen = new Set<string>();
  while (!extensions.atEnd) {
    const ext = extensions.enter(Tag.SEQUENCE, 'Extension');
    const oid = ext.readOid('extnID');
    const critical = ext.peekTag() === Tag.BOOLEAN ? ext.readBoolean('critical') : false;
    const valueDer = ext.readOctetString('extnValue');
    ext.finish('Extension');
    if (seen.has(oid)) throw malformed(`extension ${oid} appears more than once`);
    seen.add(oid);
    out.push({ oid, critical, valueDer });
  }
  return out;
}

/** The decoded value of the extension the codec handles, if present. */
export function findExtension<T>(extensions: readonly RawExtension[], codec: ExtensionCodec<T>): T | undefined {
  const ext = extensions.find((e) => e.oid === codec.oid);
  return ext ? codec.decodeValue(ext.valueDer) : undefined;
}
