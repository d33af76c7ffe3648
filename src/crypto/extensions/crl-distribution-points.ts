/**
 * RFC 5280 4.2.1.13:
 *   id-ce-cRLDistributionPoints OBJECT IDENTIFIER ::=  { id-ce 31 }
 *   CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
 *   DistributionPoint ::= SEQUENCE {
 *     distributionPoint       [0]     DistributionPointName OPTIONAL,
 *     reasons                 [1]     ReasonFlags OPTIONAL,
 *     cRLIssuer               [2]     GeneralNames OPTIONAL }
 *   DistributionPointName ::= CHOICE {
 *     fullName                [0]     GeneralNames,
 *     nameRelativeToCRLIssuer [1]     RelativeDistinguishedName }
 * DistributionPointName is a CHOICE, so [0] distributionPoint is constructed around the chosen [0] fullName.
 */
import { Tag, contextTag, encodeExplicit, encodeSequence, encodeTlvOf, readSingle } from '../der.js';
import { malformed } from '../errors.js';
import { ExtensionOid } from '../oids.js';
import type { ExtensionCodec } from './extension.js';
import { encodeGeneralName, readGeneralNameList } from './general-names.js';

export const cRLDistributionPoints: ExtensionCodec<string[]> = {
  oid: ExtensionOid.cRLDistributionPoints,
  name: 'cRLDistributionPoints',
  /** One DistributionPoint per URL, each with a fullName of one URI (as Go and OpenBao write them). */
  encodeValue(urls) {
    return encodeTlvOf(
      Tag.SEQUENCE,
      urls.map((uri) => encodeSequence(encodeExplicit(0, encodeExplicit(0, encodeGeneralName({ type: 'uri', value: uri }))))),
    );
  },
  /** The URIs of every fullName; relative names, reasons and cRLIssuer are skipped. */
  decodeValue(valueDer) {
    const { reader, tlv } = readSingle(valueDer, Tag.SEQUENCE, 'CRLDistributionPoints');
    const points = reader.child(tlv);
    const urls: string[] = [];
    if (points.atEnd) throw malformed('CRLDistributionPoints is empty');
    while (!points.atEnd) {
      const point = points.enter(Tag.SEQUENCE, 'DistributionPoint');
      const name = point.optional(contextTag(0, true));
      if (name) {
        const choice = point.child(name);
        const fullName = choice.optional(contextTag(0, true));
        if (fullName) {
          for (const san of readGeneralNameList(choice.child(fullName))) if (san.type === 'uri') urls.push(san.value);
        } else {
          choice.expect(contextTag(1, true), 'nameRelativeToCRLIssuer');
        }
        choice.finish('DistributionPointName');
      }
      while (!point.atEnd) point.next();
    }
    return urls;
  },
};
