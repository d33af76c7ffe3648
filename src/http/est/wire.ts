/**
 * EST on the wire (RFC 7030 4, RFC 8951): base64 bodies in 64-column lines with Content-Transfer-Encoding: base64,
 * the media types of each answer, the multipart/mixed serverkeygen answer, and the request body decoder (base64
 * with or without the CTE header and with any whitespace, raw DER, or PEM).
 */
import { randomBytes } from 'node:crypto';
import { CryptoInputError } from '../../crypto/errors.js';
import { decodeBodyToDer } from '../../crypto/pem.js';
import { HttpError } from '../errors.js';

export const MediaType = {
  pkcs10: 'application/pkcs10',
  /** cacerts (RFC 7030 4.1.3). */
  pkcs7: 'application/pkcs7-mime',
  /** simpleenroll, simplereenroll, the certificate part of serverkeygen (4.2.3, 4.4.2). */
  certsOnly: 'application/pkcs7-mime; smime-type=certs-only',
  /** The encrypted key part of serverkeygen (4.4.2). */
  serverGeneratedKey: 'application/pkcs7-mime; smime-type=server-generated-key',
  pkcs8: 'application/pkcs8',
  csrattrs: 'application/csrattrs',
} as const;

const LINE = 64;

/** Base64 in lines of 64 characters, each ending in a newline: what `openssl base64 -d` and every EST client read. */
export function base64Lines(der: Uint8Array): string {
  const text = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < text.length; i += LINE) out += `${text.slice(i, i + LINE)}\n`;
  return out;
}

export interface BodyPart {
  contentType: string;
  der: Uint8Array;
}

/** A multipart/mixed body of base64 parts (RFC 2046 5.1); returns the Content-Type to send with it. */
export function multipartMixed(parts: readonly BodyPart[]): { contentType: string; body: string } {
  const boundary = `est-${randomBytes(12).toString('hex')}`;
  const body = parts
    .map((part) => `--${boundary}\r\nContent-Type: ${part.contentType}\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(part.der)}`)
    .join('\r\n');
  return { contentType: `multipart/mixed; boundary=${boundary}`, body: `${body}\r\n--${boundary}--\r\n` };
}

/** The request's PKCS#10 as DER, or a 400 saying why the body is not one. */
export function decodeCsrBody(body: Uint8Array): Uint8Array {
  if (body.length === 0) throw new HttpError(400, 'empty request body: expected a PKCS#10 request');
  try {
    return decodeBodyToDer(body);
  } catch (error) {
    if (error instanceof CryptoInputError) throw new HttpError(400, `malformed request body: ${error.message}`);
    throw error;
  }
}
