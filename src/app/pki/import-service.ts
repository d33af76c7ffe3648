/**
 * Importing CA material (OpenBao config/ca, issuers/import/bundle, issuers/import/cert, intermediate/set-signed):
 * a PEM bundle of CA certificates and (where allowed) private keys, in any order. Each new key is stored wrapped
 * under the KEK; each new CA certificate becomes an issuer, linked to its key when the mount holds it and to its
 * chain as far as the mount knows it. Duplicates of what the mount already has are reported, not re-imported.
 */
import { invalid } from '../../domain/errors.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { chainAbove, isSelfSigned } from '../../crypto/chain.js';
import { CryptoInputError } from '../../crypto/errors.js';
import { decodePem } from '../../crypto/pem.js';
import { readPrivateKeys } from '../../crypto/private-key.js';
import type { PkiContext } from './context.js';
import { IssuerAdmin } from './issuer-admin.js';
import { KeyAdmin } from './key-admin.js';
import { parseCertificateDer, type ReadCertificate } from './pem-input.js';

export interface ImportResult {
  importedIssuers: string[];
  importedKeys: string[];
  /** issuer id → key id ('' when the mount has no key for it). */
  mapping: Record<string, string>;
  existingIssuers: string[];
  existingKeys: string[];
}

const KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];

function splitBundle(pem: string): { certs: ReadCertificate[]; hasKeys: boolean } {
  let blocks;
  try {
    blocks = decodePem(pem);
  } catch (error) {
    if (error instanceof CryptoInputError) throw invalid('bad_pem_bundle', 'no data found in PEM bundle');
    throw error;
  }
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => parseCertificateDer(b.der));
  return { certs, hasKeys: blocks.some((b) => KEY_LABELS.includes(b.label)) };
}

export class ImportService {
  private readonly keys: KeyAdmin;
  private readonly issuers: IssuerAdmin;

  constructor(private readonly ctx: PkiContext) {
    this.keys = new KeyAdmin(ctx);
    this.issuers = new IssuerAdmin(ctx);
  }

  async importBundle(pem: string, options: { allowKeys: boolean; field: string }, metadata: EventMetadata): Promise<ImportResult> {
    if (!pem.trim()) throw invalid('bundle_missing', `"${options.field}" must not be empty`);
    const { certs, hasKeys } = splitBundle(pem);
    if (hasKeys && !options.allowKeys) throw invalid('keys_not_allowed', `private keys found in the PEM bundle but not allowed on this path; use issuers/import/bundle`);
    if (certs.length === 0 && !hasKeys) throw invalid('bundle_empty', 'no data found in PEM bundle');
    const nonCa = certs.find((c) => !c.parsed.basicConstraints?.ca);
    if (nonCa) throw invalid('not_ca', `refusing to import non-CA certificate with serial ${nonCa.parsed.serialHex}`);

    const result: ImportResult = { importedIssuers: [], importedKeys: [], mapping: {}, existingIssuers: [], existingKeys: [] };
    for (const key of hasKeys ? readPrivateKeys(pem) : []) {
      const { key: row, existing } = await this.keys.importKey(key.pkcs8Der, key.spec, '', metadata);
      const list = existing ? result.existingKeys : result.importedKeys;
      if (!list.includes(row.keyId)) list.push(row.keyId);
    }

    const known = this.ctx.core.queries.issuers.list();
    const candidates = [...known.map((i) => parseCertificateDer(Buffer.from(i.certificate, 'base64'))), ...certs];
    // Parents first, so a bundle with a root and its intermediate also picks the root as default.
    const ordered = [...certs].sort((a, b) => chainAbove(a.parsed, candidates).length - chainAbove(b.parsed, candidates).length);
    for (const cert of ordered) {
      const b64 = Buffer.from(cert.der).toString('base64');
      const existing = this.ctx.core.queries.issuers.list().find((i) => i.certificate === b64);
      if (existing) {
        if (!result.existingIssuers.includes(existing.issuerId)) result.existingIssuers.push(existing.issuerId);
        result.mapping[existing.issuerId] = existing.keyId ?? '';
        continue;
      }
      const key = this.keys.findByPublicKey(cert.parsed.spkiDer);
      const chain = chainAbove(cert.parsed, candidates).map((c) => c.der);
      const selfSigned = isSelfSigned(cert.parsed);
      const issuer = await this.issuers.create(
        { certDer: cert.der, chain, ...(key ? { keyId: key.keyId } : {}), name: '', kind: selfSigned ? 'root' : key ? 'intermediate' : 'imported' },
        { ...metadata, action: 'issuer_import' },
      );
      result.importedIssuers.push(issuer.issuerId);
      result.mapping[issuer.issuerId] = key?.keyId ?? '';
    }
    return result;
  }
}
