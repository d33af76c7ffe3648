/** Byte conversions shared by the crypto modules. Results own their buffers (never a view into Node's Buffer pool). */

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function toHex(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('hex');
}

export function toBase64(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64');
}

export function toBase64Url(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('base64url');
}

export function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Even-length hex, either case; undefined when the text is not hex. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
