/**
 * serverkeygen with additional encryption (RFC 7030 4.4.1.2, 4.4.2): the generated private key, as an
 * AsymmetricKeyPackage (RFC 5958), encrypted in a CMS EnvelopedData to the client's certificate (RSA key transport
 * or ECDH key agreement). A cold path, so pkijs builds it.
 *
 * RFC 5958 2:
 *   AsymmetricKeyPackage ::= SEQUENCE SIZE (1..MAX) OF OneAsymmetricKey
 *   id-ct-KP-aKeyPackage OBJECT IDENTIFIER ::= { 2 16 840 1 101 2 1 2 78 5 }
 * A PKCS#8 PrivateKeyInfo is a version-1 OneAsymmetricKey.
 */
import * as pkijs from 'pkijs';
import { encodeSequence } from '../../crypto/der.js';

const A_KEY_PACKAGE = '2.16.840.1.101.2.1.2.78.5';

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** ContentInfo(EnvelopedData) DER; the recipient certificate must carry an RSA or EC key. */
export async function envelopePrivateKey(pkcs8Der: Uint8Array, recipientCertificateDer: Uint8Array): Promise<Uint8Array> {
  const enveloped = new pkijs.EnvelopedData();
  enveloped.addRecipientByCertificate(pkijs.Certificate.fromBER(arrayBuffer(recipientCertificateDer)), { oaepHashAlgorithm: 'SHA-256', kdfAlgorithm: 'SHA-256' });
  await enveloped.encrypt({ name: 'AES-CBC', length: 256 } as Parameters<pkijs.EnvelopedData['encrypt']>[0], arrayBuffer(encodeSequence(pkcs8Der)));
  enveloped.encryptedContentInfo.contentType = A_KEY_PACKAGE;
  const contentInfo = new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.ENVELOPED_DATA, content: enveloped.toSchema() });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}
