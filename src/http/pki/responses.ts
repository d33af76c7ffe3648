/** Response shapes shared by several OpenBao endpoint families: lists, certificate material, formats. */
import type { KeySpec } from '../../domain/x509.js';
import { isSelfSigned } from '../../crypto/chain.js';
import { parseCertificate } from '../../crypto/certificate.js';
import { exportPrivateKey } from '../../crypto/private-key.js';
import { derToPem } from '../../crypto/pem.js';
import { colonSerial } from '../../app/pki/pem-input.js';
import { HttpError } from '../errors.js';
import type { FieldData, FieldSchema } from './fields.js';
import type { EnvelopeResult } from './framework.js';

export type CertFormat = 'pem' | 'der' | 'pem_bundle';

/** Signet's camelCase names as OpenBao's snake_case ones (allowedDomains → allowed_domains). */
export const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function snakeKeys(record: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [snakeCase(key), value]));
}

export const PAGING_FIELDS: FieldSchema = {
  after: { type: 'string', description: 'Optional entry to begin listing after, not required to exist.' },
  limit: { type: 'int', description: 'Optional number of entries to return; defaults to all entries.' },
};

export const FORMAT_FIELDS: FieldSchema = {
  format: { type: 'string', default: 'pem', description: 'pem, der or pem_bundle' },
  private_key_format: { type: 'string', default: 'der', description: 'der (per key type) or pkcs8' },
};

/** OpenBao's LIST answer: sorted keys, optionally with key_info; `after` and `limit` page through it. */
export function listResponse(keys: string[], data?: FieldData, keyInfo?: Record<string, Record<string, unknown>>): EnvelopeResult {
  let page = [...keys].sort();
  const after = data?.has('after') ? data.string('after') : '';
  if (after) page = page.filter((k) => k > after);
  const limit = data?.has('limit') ? data.int('limit') : 0;
  if (limit > 0) page = page.slice(0, limit);
  const info = keyInfo && Object.fromEntries(page.map((k) => [k, keyInfo[k]]));
  return { data: { keys: page, ...(info ? { key_info: info } : {}) } };
}

export function certFormat(data: FieldData): CertFormat {
  const format = data.string('format');
  if (format === 'pem' || format === 'der' || format === 'pem_bundle') return format;
  throw new HttpError(400, 'the "format" path parameter must be "pem", "der", or "pem_bundle"');
}

export function privateKeyFormat(data: FieldData): 'der' | 'pkcs8' {
  const format = data.string('private_key_format');
  if (format === 'der' || format === 'pkcs8' || format === '') return format === 'pkcs8' ? 'pkcs8' : 'der';
  throw new HttpError(400, 'the "private_key_format" parameter must be "der" or "pkcs8"');
}

export const pemOf = (der: Uint8Array) => derToPem(der, 'CERTIFICATE');
/** The PEM of one certificate without its final newline, as OpenBao's JSON fields carry it. */
export const trimmedPem = (der: Uint8Array) => pemOf(der).trimEnd();

export function encodeCertificate(der: Uint8Array, format: CertFormat): string {
  return format === 'der' ? Buffer.from(der).toString('base64') : pemOf(der);
}

export function unixSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

export interface CertificateMaterial {
  certDer: Uint8Array;
  /** The issuing CA first, then up to the root. */
  caChain: Uint8Array[];
  privateKey?: { pkcs8Der: Uint8Array; spec: KeySpec };
}

/**
 * The data of an issue/sign/sign-intermediate answer: certificate, issuing_ca, ca_chain, serial_number, expiration,
 * not_before and, when a key was generated, private_key and private_key_type.
 */
export function certificateData(material: CertificateMaterial, data: FieldData, options: { removeRoots?: boolean } = {}): Record<string, unknown> {
  const format = certFormat(data);
  const cert = parseCertificate(material.certDer);
  const chain = options.removeRoots ? material.caChain.filter((der) => !isSelfSigned(parseCertificate(der))) : material.caChain;
  const keyEncoding = format === 'der' ? 'der' : 'pem';
  const privateKey = material.privateKey && exportPrivateKey(material.privateKey.pkcs8Der, keyEncoding, privateKeyFormat(data));
  const certificate =
    format === 'pem_bundle'
      ? [privateKey ?? '', pemOf(material.certDer), ...material.caChain.slice(0, 1).map(pemOf)].join('')
      : encodeCertificate(material.certDer, format);
  return {
    certificate,
    issuing_ca: material.caChain[0] ? encodeCertificate(material.caChain[0], format) : '',
    ca_chain: chain.map((der) => encodeCertificate(der, format)),
    serial_number: colonSerial(cert.serialHex),
    expiration: unixSeconds(cert.notAfter),
    not_before: unixSeconds(cert.notBefore),
    ...(material.privateKey ? { private_key: privateKey, private_key_type: material.privateKey.spec.kind } : {}),
  };
}
