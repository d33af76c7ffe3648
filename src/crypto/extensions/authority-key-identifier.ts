/**
 * RFC 5280 4.2.1.1:
 *   id-ce-authorityKeyIdentifier OBJECT IDENTIFIER ::=  { id-ce 35 }
 *   AuthorityKeyIdentifier ::= SEQUENCE {
 *     keyIdentifier             [0] KeyIdentifier           OPTIONAL,
 *     authorityCertIssuer       [1] GeneralNames            OPTIONAL,
 *     authorityCertSerialNumber [2] CertificateSerialNumber OPTIONAL  }
 *   KeyIdentifier ::= OCTET STRING
 * (IMPLICIT tags: [0] is a primitive OCTET STRING, [1] a constructed GeneralNames, [2] a primitive INTEGER.)
 */
import type { San } from '../../domain/x509.js';
import { toHex } from '../bytes.js';
import { Tag, checkInteger, contextTag, encodeImplicitPrimitive, encodeSequence, readSingle, unsignedIntegerBytes } from '../der.js';
import { ExtensionOid } from '../oids.js';
import type { ExtensionCodec } from './extension.js';
import { readGeneralNameList } from './general-names.js';

export interface AuthorityKeyIdentifier {
  keyIdentifier?: Uint8Array;
  authorityCertIssuer?: San[];
  authorityCertSerialHex?: string;
}

export const authorityKeyIdentifier: ExtensionCodec<AuthorityKeyIdentifier> = {
  oid: ExtensionOid.authorityKeyIdentifier,
  name: 'authorityKeyIdentifier',
  /** Signet identifies issuers by key identifier only (RFC 5280: MUST include keyIdentifier for conforming CAs). */
  encodeValue({ keyIdentifier, authorityCertIssuer, authorityCertSerialHex }) {
    if (!keyIdentifier || authorityCertIssuer || authorityCertSerialHex) {
      throw new TypeError('authorityKeyIdentifier encoding supports the keyIdentifier form only');
    }
    return encodeSequence(encodeImplicitPrimitive(0, keyIdentifier));
  },
  decodeValue(valueDer) {
    const { reader, tlv } = readSingle(valueDer, Tag.SEQUENCE, 'AuthorityKeyIdentifier');
    const aki = reader.child(tlv);
    const result: AuthorityKeyIdentifier = {};
    const keyId = aki.optional(contextTag(0, false));
    if (keyId) result.keyIdentifier = aki.content(keyId);
    const issuer = aki.optional(contextTag(1, true));
    if (issuer) result.authorityCertIssuer = readGeneralNameList(aki.child(issuer));
    const serial = aki.optional(contextTag(2, false));
    if (serial) result.authorityCertSerialHex = toHex(unsignedIntegerBytes(checkInteger(aki.content(serial))));
    aki.finish('AuthorityKeyIdentifier');
    return result;
  },
};
