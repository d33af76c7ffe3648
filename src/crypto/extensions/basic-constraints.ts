/**
 * RFC 5280 4.2.1.9:
 *   id-ce-basicConstraints OBJECT IDENTIFIER ::=  { id-ce 19 }
 *   BasicConstraints ::= SEQUENCE {
 *     cA                      BOOLEAN DEFAULT FALSE,
 *     pathLenConstraint       INTEGER (0..MAX) OPTIONAL }
 */
import { Tag, encodeBoolean, encodeSequence, encodeSmallInteger, readSingle } from '../der.js';
import { CryptoInputError } from '../errors.js';
import { ExtensionOid } from '../oids.js';
import type { ExtensionCodec } from './extension.js';

export interface BasicConstraints {
  ca: boolean;
  pathLen?: number;
}

export const basicConstraints: ExtensionCodec<BasicConstraints> = {
  oid: ExtensionOid.basicConstraints,
  name: 'basicConstraints',
  encodeValue({ ca, pathLen }) {
    if (pathLen !== undefined && !ca) {
      throw new CryptoInputError('invalid_content', 'pathLenConstraint is only meaningful for a CA');
    }
    const parts: Uint8Array[] = [];
    if (ca) parts.push(encodeBoolean(true));
    if (pathLen !== undefined) parts.push(encodeSmallInteger(pathLen));
    return encodeSequence(...parts);
  },
  decodeValue(valueDer) {
    const { reader, tlv } = readSingle(valueDer, Tag.SEQUENCE, 'BasicConstraints');
    const bc = reader.child(tlv);
    const ca = bc.peekTag() === Tag.BOOLEAN ? bc.readBoolean('cA') : false;
    const pathLen = bc.peekTag() === Tag.INTEGER ? bc.readSmallInteger('pathLenConstraint') : undefined;
    bc.finish('BasicConstraints');
    return pathLen === undefined ? { ca } : { ca, pathLen };
  },
};
