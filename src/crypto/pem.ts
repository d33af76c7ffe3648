/** PEM (RFC 7468) encoding and decoding, plus the liberal body decoder protocol front-ends use for uploads. */
import { CryptoInputError } from './errors.js';
import { fromBase64, toBase64 } from './bytes.js';
import { DerReader, Tag } from './der.js';

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

export function derToPem(der: Uint8Array, label: string): string {
  const b64 = toBase64(der);
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.slice(i, i + 64) + '\n';
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/** Several PEM blocks concatenated, e.g. a chain. */
export function dersToPem(ders: readonly Uint8Array[], label: string): string {
  return ders.map((der) => derToPem(der, label)).join('');
}

const BLOCK = /-----BEGIN ([^-\r\n]*)-----([\s\S]*?)-----END ([^-\r\n]*)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;
const WHITESPACE = /[\s]+/g;

function decodeBase64Strict(text: string, what: string): Uint8Array {
  const compact = text.replace(WHITESPACE, '');
  if (compact.length === 0 || !BASE64_BODY.test(compact) || compact.length % 4 === 1) {
    throw new CryptoInputError('bad_encoding', `${what} is not valid base64`);
  }
  return fromBase64(compact);
}

/** Every PEM block in text, in order; text between blocks is ignored. Throws when there is none. */
export function decodePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, label, body, endLabel] = match;
    if (label !== endLabel) throw new CryptoInputError('bad_encoding', `PEM block "${label}" ends with "${endLabel}"`);
    // RFC 1421 style headers (Proc-Type, DEK-Info) end with a blank line; they only appear on encrypted keys.
    const headerEnd = body.search(/\r?\n\r?\n/);
    const payload = body.includes(':') && headerEnd >= 0 ? body.slice(headerEnd) : body;
    blocks.push({ label, der: decodeBase64Strict(payload, `PEM block "${label}"`) });
  }
  if (blocks.length === 0) throw new CryptoInputError('bad_encoding', 'no PEM block found');
  return blocks;
}

/** The one block with the given label; fails if there is none or several. */
export function pemToDer(text: string, label: string): Uint8Array {
  const matching = decodePem(text).filter((b) => b.label === label);
  if (matching.length !== 1) {
    throw new CryptoInputError('bad_encoding', `expected exactly one PEM "${label}" block, found ${matching.length}`);
  }
  return matching[0].der;
}

function isSingleDerSequence(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || bytes[0] !== Tag.SEQUENCE) return false;
  try {
    const reader = new DerReader(bytes);
    reader.next();
    return reader.atEnd;
  } catch {
    return false;
  }
}

/**
 * Turns an uploaded body into DER: raw DER, PEM (first block), or bare base64 with any whitespace and line breaks
 * (RFC 8951 relaxes EST's Content-Transfer-Encoding). Checks only that the result is one DER SEQUENCE.
 */
export function decodeBodyToDer(body: Uint8Array | string): Uint8Array {
  if (typeof body !== 'string') {
    if (isSingleDerSequence(body)) return body;
    body = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  }
  const der = body.includes('-----BEGIN ') ? decodePem(body)[0].der : decodeBase64Strict(body, 'request body');
  if (!isSingleDerSequence(der)) throw new CryptoInputError('bad_encoding', 'decoded body is not a DER SEQUENCE');
  return der;
}
