/**
 * Typed errors of the crypto layer.
 * CryptoInputError: the input (a CSR, a certificate, a PEM body, decided content) is unusable; its `code` is stable
 * and its `message` is one human line, both safe to put in an HTTP 400 body.
 * KeyWrapError: a wrapped key or the KEK is unusable; a server-side fault, never the client's.
 */

export type CryptoInputErrorCode =
  /** Not DER, truncated, trailing bytes, a field of the wrong type or value, a CSR version other than v1. */
  | 'malformed'
  /** Not PEM, not base64, not DER: the body could not be turned into DER at all. */
  | 'bad_encoding'
  | 'bad_signature'
  /** A signature or hash algorithm we refuse (MD5, SHA-1, unknown OIDs, PSS with odd parameters). */
  | 'unsupported_algorithm'
  /** A public or private key we refuse (other curves, RSA below 2048 bits, RSA-PSS keys, Ed448). */
  | 'unsupported_key'
  /** Decided certificate content that cannot be encoded (a non-ASCII dNSName, a bad IP, a zero serial). */
  | 'invalid_content';

const MAX_MESSAGE_LENGTH = 300;

/** Messages quote input (names, SANs): keep them to one printable line of bounded length. */
function oneLine(message: string): string {
  const printable = message.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > MAX_MESSAGE_LENGTH ? `${printable.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : printable;
}

export class CryptoInputError extends Error {
  override readonly name = 'CryptoInputError';
  constructor(
    readonly code: CryptoInputErrorCode,
    message: string,
  ) {
    super(oneLine(message));
  }
}

export type KeyWrapErrorCode = 'bad_format' | 'unwrap_failed' | 'bad_kek';

export class KeyWrapError extends Error {
  override readonly name = 'KeyWrapError';
  constructor(
    readonly code: KeyWrapErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function malformed(message: string): CryptoInputError {
  return new CryptoInputError('malformed', message);
}
