/**
 * RFC 5280 4.2.1.6:
 *   id-ce-subjectAltName OBJECT IDENTIFIER ::=  { id-ce 17 }
 *   SubjectAltName ::= GeneralNames
 * (GeneralNames and GeneralName are quoted in general-names.ts.)
 */
import type { San } from '../../domain/x509.js';
import { ExtensionOid } from '../oids.js';
import type { ExtensionCodec } from './extension.js';
import { decodeGeneralNames, encodeGeneralNames } from './general-names.js';

export const subjectAltName: ExtensionCodec<San[]> = {
  oid: ExtensionOid.subjectAltName,
  name: 'subjectAltName',
  encodeValue: (sans) => encodeGeneralNames(sans),
  decodeValue: (valueDer) => decodeGeneralNames(valueDer),
};
