/**
 * Issuers as OpenBao manages them: created (by root generation or import), updated (name, usage,
 * leaf_not_after_behavior, AIA URLs), revoked, deleted, and chosen as the default. Each change is an event on
 * `issuer-<id>` (the default on `config-issuers`); certificates the mount issued for an issuer are recorded too.
 */
import { randomUUID } from 'node:crypto';
import { certificateDecider, certificateStream } from '../../domain/certificate.js';
import { invalid } from '../../domain/errors.js';
import { describeKey } from '../../domain/issuance-policy.js';
import {
  ISSUER_CONFIG_STREAM,
  issuerConfigDecider,
  issuerDecider,
  issuerStream,
  type IssuerKind,
  type IssuerUrls,
  type IssuerUsage,
  type LeafNotAfterBehavior,
} from '../../domain/issuer.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { parseCertificate } from '../../crypto/certificate.js';
import { formatName } from '../../crypto/name.js';
import { parseSpki } from '../../crypto/public-key.js';
import type { IssuerRow } from '../../../projections/issuers.js';
import { checkNewName, findIssuer, recordAndWait, resolveIssuer, type PkiContext } from './context.js';

export const ALL_USAGES: IssuerUsage[] = ['read-only', 'issuing-certificates', 'crl-signing', 'ocsp-signing'];
const BEHAVIORS: LeafNotAfterBehavior[] = ['err', 'truncate', 'permit'];

export interface NewIssuer {
  /** Chosen by the caller when the certificate must name it (templated AIA URLs); a new UUID otherwise. */
  issuerId?: string;
  certDer: Uint8Array;
  chain: Uint8Array[];
  keyId?: string;
  name: string;
  kind: IssuerKind;
}

export interface IssuerChanges {
  name?: string;
  usage?: string[];
  leafNotAfterBehavior?: string;
  urls?: IssuerUrls;
}

const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

export function parseUsages(values: string[]): IssuerUsage[] {
  const bad = values.filter((v) => !(ALL_USAGES as string[]).includes(v));
  if (bad.length) throw invalid('invalid_usage', `Unable to parse specified usages: [${bad.join(' ')}] - valid values are ${ALL_USAGES.join(', ')}`);
  return [...new Set(values as IssuerUsage[])];
}

export function parseBehavior(value: string): LeafNotAfterBehavior {
  if (!(BEHAVIORS as string[]).includes(value)) throw invalid('invalid_behavior', 'Unknown value for field `leaf_not_after_behavior`. Possible values are `err`, `truncate`, and `permit`.');
  return value as LeafNotAfterBehavior;
}

export class IssuerAdmin {
  constructor(private readonly ctx: PkiContext) {}

  private nameTaken(name: string, except?: string): boolean {
    return this.ctx.core.queries.issuers.list().some((i) => i.name === name && i.issuerId !== except);
  }

  /** Records a new issuer; it becomes the default when there is none, or when config/issuers asks to follow the latest. */
  async create(issuer: NewIssuer, metadata: EventMetadata, now = new Date()): Promise<IssuerRow> {
    if (issuer.name) checkNewName('issuer', issuer.name, this.nameTaken(issuer.name));
    const issuerId = issuer.issuerId ?? randomUUID();
    const cert = parseCertificate(issuer.certDer);
    const data = {
      issuerId,
      name: issuer.name || `issuer-${issuerId.slice(0, 8)}`,
      kind: issuer.kind,
      certificate: b64(issuer.certDer),
      chain: issuer.chain.map(b64),
      ...(issuer.keyId ? { keyId: issuer.keyId } : {}),
      subject: formatName(cert.subject),
      serial: cert.serialHex,
      notBefore: new Date(cert.notBefore).toISOString(),
      notAfter: new Date(cert.notAfter).toISOString(),
      usage: ALL_USAGES,
      leafNotAfterBehavior: 'err' as const,
    };
    await recordAndWait(this.ctx.core, issuerStream(issuerId), issuerDecider, { type: 'CreateIssuer', data, now }, { ...metadata, action: 'issuer_create' });
    if (issuer.keyId && (!findIssuer(this.ctx, 'default') || this.ctx.queries.config.defaultFollowsLatestIssuer())) await this.setDefault(issuerId, metadata);
    return this.ctx.core.queries.issuers.resolve(issuerId)!;
  }

  /** Records a CA certificate this mount signed in the certificate index (serials stay unique across the mount). */
  async recordSigned(certDer: Uint8Array, signerIssuerId: string, metadata: EventMetadata, now = new Date()): Promise<void> {
    const cert = parseCertificate(certDer);
    const data = {
      serial: cert.serialHex,
      issuerId: signerIssuerId,
      subject: formatName(cert.subject),
      sans: cert.sans,
      notBefore: new Date(cert.notBefore).toISOString(),
      notAfter: new Date(cert.notAfter).toISOString(),
      der: b64(certDer),
      keyType: describeKey(parseSpki(cert.spkiDer).spec),
    };
    await recordAndWait(this.ctx.core, certificateStream(data.serial), certificateDecider, { type: 'RecordIssuedCertificate', data, now }, metadata);
  }

  async setDefault(issuerId: string, metadata: EventMetadata): Promise<void> {
    await recordAndWait(this.ctx.core, ISSUER_CONFIG_STREAM, issuerConfigDecider, { type: 'SetDefaultIssuer', data: { issuerId }, now: new Date() }, { ...metadata, action: 'issuer_set_default' });
  }

  async update(ref: string, changes: IssuerChanges, metadata: EventMetadata): Promise<{ issuer: IssuerRow; warnings: string[] }> {
    const issuer = resolveIssuer(this.ctx, ref);
    if (changes.name !== undefined && changes.name !== issuer.name) checkNewName('issuer', changes.name, this.nameTaken(changes.name, issuer.issuerId));
    const usage = changes.usage && parseUsages(changes.usage);
    if (usage?.includes('crl-signing') && !parseCertificate(Buffer.from(issuer.certificate, 'base64')).keyUsage?.includes('cRLSign')) {
      throw invalid('no_crl_sign', "This issuer's underlying certificate lacks the CRLSign KeyUsage value; unable to set CRLSigningUsage on this issuer as a result.");
    }
    if (usage?.includes('issuing-certificates') && issuer.status === 'revoked') {
      throw invalid('issuer_revoked', 'This issuer was revoked; unable to modify its usage to include certificate signing again. Reissue this certificate (preferably with a new key) and modify that entry instead.');
    }
    const data = {
      issuerId: issuer.issuerId,
      ...(changes.name ? { name: changes.name } : {}),
      ...(usage ? { usage } : {}),
      ...(changes.leafNotAfterBehavior !== undefined ? { leafNotAfterBehavior: parseBehavior(changes.leafNotAfterBehavior) } : {}),
      ...(changes.urls ? { urls: changes.urls } : {}),
    };
    await recordAndWait(this.ctx.core, issuerStream(issuer.issuerId), issuerDecider, { type: 'UpdateIssuer', data, now: new Date() }, { ...metadata, action: 'issuer_update' });
    return { issuer: this.ctx.core.queries.issuers.resolve(issuer.issuerId)!, warnings: [] };
  }

  /** Soft delete: no more issuance; the issuer's certificate is revoked too when this mount issued it. */
  async revoke(ref: string, metadata: EventMetadata, now = new Date()): Promise<IssuerRow> {
    const issuer = resolveIssuer(this.ctx, ref);
    await recordAndWait(this.ctx.core, issuerStream(issuer.issuerId), issuerDecider, { type: 'RevokeIssuer', data: { issuerId: issuer.issuerId }, now }, { ...metadata, action: 'issuer_revoke' });
    const issued = this.ctx.core.queries.certificates.get(issuer.serial);
    const selfSigned = issued?.issuerId === issuer.issuerId;
    if (issued && !selfSigned && issued.status !== 'revoked') {
      await recordAndWait(this.ctx.core, certificateStream(issuer.serial), certificateDecider, { type: 'RevokeCertificate', data: { serial: issuer.serial, reason: 'unspecified' }, now }, { ...metadata, action: 'revoke' });
    }
    return this.ctx.core.queries.issuers.resolve(issuer.issuerId)!;
  }

  async delete(ref: string, metadata: EventMetadata): Promise<string[]> {
    const issuer = findIssuer(this.ctx, ref);
    if (!issuer) return [];
    await recordAndWait(this.ctx.core, issuerStream(issuer.issuerId), issuerDecider, { type: 'DeleteIssuer', data: { issuerId: issuer.issuerId }, now: new Date() }, { ...metadata, action: 'issuer_delete' });
    const warnings: string[] = [];
    if (issuer.isDefault) {
      warnings.push(`Deleted issuer ${issuer.issuerId} (via issuer_ref ${ref}); this was configured as the default issuer. Operations without an explicit issuer will not work until a new default is configured.`);
    }
    const byRole = this.ctx.queries.roles.names().filter((name) => [issuer.name, issuer.issuerId].includes(this.ctx.queries.roles.get(name)?.issuerRef ?? ''));
    if (byRole.length) warnings.push(`${byRole.length} roles reference ${issuer.name}`);
    return warnings;
  }
}
