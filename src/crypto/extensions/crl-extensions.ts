/**
 * The extensions of CRLs (RFC 5280 5.2) and of their entries (5.3) that Signet writes and reads.
 *
 * RFC 5280 5.2.3:
 *   id-ce-cRLNumber OBJECT IDENTIFIER ::= { id-ce 20 }
 *   CRLNumber ::= INTEGER (0..MAX)
 * RFC 5280 5.2.4:
 *   id-ce-deltaCRLIndicator OBJECT IDENTIFIER ::= { id-ce 27 }
 *   BaseCRLNumber ::= CRLNumber
 * RFC 5280 5.2.5:
 *   id-ce-issuingDistributionPoint OBJECT IDENTIFIER ::= { id-ce 28 }
 *   IssuingDistributionPoint ::= SEQUENCE {
 *        distributionPoint          [0] DistributionPointName OPTIONAL,
 *        onlyContainsUserCerts      [1] BOOLEAN DEFAULT FALSE,
 *        onlyContainsCACerts        [2] BOOLEAN DEFAULT FALSE,
 *        onlySomeReasons            [3] ReasonFlags OPTIONAL,
 *        indirectCRL                [4] BOOLEAN DEFAULT FALSE,
 *        onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
 * RFC 5280 5.2.6: FreshestCRL ::= CRLDistributionPoints (the codec in crl-distribution-points.ts)
 * RFC 5280 5.3.1:
 *   id-ce-cRLReasons OBJECT IDENTIFIER ::= { id-ce 21 }
 *   CRLReason ::= ENUMERATED { unspecified (0), keyCompromise (1), ... aACompromise (10) }
 * RFC 5280 5.3.2:
 *   id-ce-invalidityDate OBJECT IDENTIFIER ::= { id-ce 24 }
 *   InvalidityDate ::=  GeneralizedTime
 */
import { DerReader, Tag, contextTag, encodeExplicit, encodeGeneralizedTime, encodeSequence, encodeSmallInteger, encodeTlv, integerToNumber, readSingle } from '../der.js';
import { malformed } from '../errors.js';
import { ExtensionOid } from '../oids.js';
import type { ExtensionCodec } from './extension.js';
import { encodeGeneralName, readGeneralNameList } from './general-names.js';

function integerCodec(oid: string, name: string): ExtensionCodec<number> {
  return {
    oid,
    name,
    encodeValue: (n) => encodeSmallInteger(n),
    decodeValue(valueDer) {
      const { reader, tlv } = readSingle(valueDer, Tag.INTEGER, name);
      return integerToNumber(reader.content(tlv));
    },
  };
}

export const cRLNumber = integerCodec(ExtensionOid.cRLNumber, 'cRLNumber');
export const deltaCRLIndicator = integerCodec(ExtensionOid.deltaCRLIndicator, 'deltaCRLIndicator');

/** Signet writes the distributionPoint fullName (URIs) only; reading skips the other fields. */
export const issuingDistributionPoint: ExtensionCodec<string[]> = {
  oid: ExtensionOid.issuingDistributionPoint,
  name: 'issuingDistributionPoint',
  encodeValue(urls) {
    if (urls.length === 0) throw new TypeError('an issuingDistributionPoint must name at least one URL');
    return encodeSequence(encodeExplicit(0, encodeExplicit(0, ...urls.map((value) => encodeGeneralName({ type: 'uri', value })))));
  },
  decodeValue(valueDer) {
    const { reader, tlv } = readSingle(valueDer, Tag.SEQUENCE, 'IssuingDistributionPoint');
    const idp = reader.child(tlv);
    const urls: string[] = [];
    const point = idp.optional(contextTag(0, true));
    if (point) {
      const fullName = idp.child(point).optional(contextTag(0, true));
      if (fullName) for (const san of readGeneralNameList(idp.child(point).child(fullName))) if (san.type === 'uri') urls.push(san.value);
    }
    return urls;
  },
};

export const reasonCode: ExtensionCodec<number> = {
  oid: ExtensionOid.cRLReason,
  name: 'reasonCode',
  encodeValue: (code) => encodeTlv(Tag.ENUMERATED, Uint8Array.of(code)),
  decodeValue(valueDer) {
    const { reader, tlv } = readSingle(valueDer, Tag.ENUMERATED, 'CRLReason');
    const content = reader.content(tlv);
    if (content.length !== 1 || content[0] > 10 || content[0] === 7) throw malformed('CRLReason is not a known reason code');
    return content[0];
  },
};

export const invalidityDate: ExtensionCodec<number> = {
  oid: ExtensionOid.invalidityDate,
  name: 'invalidityDate',
  encodeValue: (epochMs) => encodeGeneralizedTime(epochMs),
  decodeValue(valueDer) {
    const reader = new DerReader(valueDer);
    const time = reader.readTime('InvalidityDate');
    reader.finish('InvalidityDate');
    return time;
  },
};
