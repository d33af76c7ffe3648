/**
 * Revocation at scale: keeps every issuer's CRLs and the OCSP responder current from the event log.
 *
 * Triggers (a live subscription from the head, reading the data from the read models once they caught up):
 *   - CertificateRevoked: with deltas on, the issuer's delta CRL is rebuilt; without auto_rebuild the complete
 *     CRL is (OpenBao: "a successful revocation will rotate the CRL"); with auto_rebuild alone, the periodic check
 *     does it. Cached OCSP answers for the serial are re-signed. Builds coalesce (see CrlBuilder).
 *   - CrlConfigUpdated: every CRL is rebuilt (OpenBao: "if enabled, it will re-build the CRL").
 *   - Once a minute: complete CRLs within auto_rebuild_grace_period of expiry are rebuilt (auto_rebuild), and
 *     deltas older than delta_rebuild_interval are refreshed.
 * CRL builds and OCSP signing run in the worker pool; issuance never waits for them.
 */
import { join } from 'node:path';
import { assembleCertificateList, crlSignedBy, encodeRevokedEntry, encodeTbsCertList, parseCrl, type ParsedRevokedEntry } from '../../crypto/crl.js';
import { encodeExtension } from '../../crypto/extensions/extension.js';
import { crlDecider, crlStream, type CrlKind } from '../../domain/crl.js';
import { CRL_CONFIG_STREAM, crlConfigDecider, type CrlConfig } from '../../domain/crl-config.js';
import { invalid, notFound } from '../../domain/errors.js';
import { expandUrlTemplates } from '../../domain/pki-config.js';
import type { AllSubscription, EventMetadata } from '../../eventstore/port.js';
import type { IssuerRow } from '../../../projections/issuers.js';
import { RevocationQueries } from '../../../projections/revocation.js';
import type { SignetRecordedEvent } from '../../../projections/projection.js';
import type { Core } from '../../core.js';
import { aiaUrls, createPkiContext, type PkiContext } from '../pki/context.js';
import { publicDeltaCrlUrls } from './aia-defaults.js';
import { CrlBuilder, type BuiltCrl, type CrlUrls } from './crl-builder.js';
import { RevocationMetrics } from './metrics.js';
import { DelegatedResponders } from './ocsp-delegation.js';
import { OcspResponder } from './ocsp-responder.js';
import { SigningIdentities } from './signing-identity.js';

const TICK_MS = 60_000;
/** Extensions sign-revocation-list refuses from the caller: Signet writes them itself. */
const RESERVED_EXTENSIONS = new Set(['2.5.29.20', '2.5.29.27', '2.5.29.35']);

export interface RawExtensionInput {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

/** A CRL signed from caller-supplied content (sign-revocation-list) or from other CRLs (resign-crls). */
export interface ExternalCrlInput {
  crlNumber: number;
  /** Delta CRL Indicator base; absent = a complete CRL. */
  deltaBaseNumber?: number;
  nextUpdateSeconds: number;
  metadata: EventMetadata;
}

export interface SignRevocationListInput extends ExternalCrlInput {
  revoked: { serialHex: string; revokedAt: number; extensions: RawExtensionInput[] }[];
  extensions: RawExtensionInput[];
}

export interface ResignCrlsInput extends ExternalCrlInput {
  crlsDer: Uint8Array[];
}

export class RevocationService {
  readonly revocations: RevocationQueries;
  readonly builder: CrlBuilder;
  readonly ocsp: OcspResponder;
  readonly metrics: RevocationMetrics;
  private readonly pki: PkiContext;
  private readonly identities: SigningIdentities;
  /** Delegated OCSP responders, when `[ocsp] delegated_responder` is on. */
  readonly responders?: DelegatedResponders;
  private subscription?: AllSubscription;
  private timer?: NodeJS.Timeout;
  private cachedConfig?: { config: CrlConfig; written: boolean };

  constructor(private readonly core: Core) {
    if (!core.pool) throw new Error('revocation needs the signing pool');
    this.pki = createPkiContext(core);
    this.revocations = new RevocationQueries(core.readDb);
    this.metrics = new RevocationMetrics(core.metrics.registry);
    const identities = new SigningIdentities(core.queries.issuers);
    this.identities = identities;
    if (core.config.ocsp.delegatedResponder) this.responders = new DelegatedResponders(core, identities, core.config.ocsp.responderValiditySeconds);
    this.builder = new CrlBuilder({
      core,
      pool: core.pool,
      revocations: this.revocations,
      config: () => this.config().config,
      identities,
      urls: (issuer) => this.crlUrls(issuer),
      dir: join(core.paths.dataDir, 'crl'),
      metrics: this.metrics,
    });
    this.ocsp = new OcspResponder(
      {
        issuers: core.queries.issuers,
        certificates: core.queries.certificates,
        revocations: this.revocations,
        identities,
        pool: core.pool,
        logger: core.logger,
        metrics: this.metrics,
        position: () => core.runner.position,
        ...(this.responders ? { responderFor: (issuer: IssuerRow) => this.responders!.ensure(issuer) } : {}),
      },
      () => {
        const { config } = this.config();
        return { disabled: config.ocspDisable, expirySeconds: config.ocspExpirySeconds, version: String(config.ocspExpirySeconds) };
      },
    );
  }

  /** Follows the log from its head and starts the periodic check. */
  async start(): Promise<void> {
    const subscription = this.core.store.subscribeToAll({ fromPosition: await this.core.store.headPosition() });
    this.subscription = subscription;
    void (async () => {
      try {
        for await (const batch of subscription) await this.onEvents(batch as SignetRecordedEvent[]);
      } catch (error) {
        this.core.logger.error({ err: error }, 'revocation stopped following the event log');
      }
    })();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    await this.ensureResponders();
  }

  /** Issues or renews each OCSP-signing issuer's delegated responder; failures are logged (the next tick retries). */
  private async ensureResponders(): Promise<void> {
    const responders = this.responders;
    if (!responders) return;
    const issuers = this.core.queries.issuers.list().filter((issuer) => issuer.keyId && issuer.usage.includes('ocsp-signing'));
    await Promise.all(issuers.map((issuer) => responders.ensure(issuer).catch((error: unknown) => this.core.logger.error({ err: error, issuerId: issuer.issuerId }, 'OCSP responder issuance failed'))));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.subscription?.close();
  }

  /** config/crl, read once and kept until a CrlConfigUpdated event passes (OCSP asks on every request). */
  config(): { config: CrlConfig; written: boolean } {
    this.cachedConfig ??= this.revocations.config();
    return this.cachedConfig;
  }

  async updateConfig(changes: Partial<CrlConfig>, metadata: EventMetadata): Promise<CrlConfig> {
    const result = await this.core.commands.handle(CRL_CONFIG_STREAM, crlConfigDecider, { type: 'UpdateCrlConfig', data: changes, now: new Date() }, { metadata: { ...metadata, action: 'crl_config_update' } });
    if (result.position !== undefined) await this.core.runner.waitFor(result.position);
    this.cachedConfig = undefined;
    return this.config().config;
  }

  /** The CRL served for an issuer reference ("default", an id or a name). */
  async crl(issuerRef: string, kind: CrlKind): Promise<BuiltCrl> {
    const issuer = this.crlIssuer(issuerRef);
    if (kind === 'delta' && !this.config().config.enableDelta) throw notFound('delta_crl_disabled', 'delta CRLs are not enabled (config/crl enable_delta)');
    return this.builder.current(issuer, kind);
  }

  /** crl/rotate and crl/rotate-delta: rebuild every issuer's CRLs of that kind now. */
  async rotate(kind: CrlKind): Promise<void> {
    if (kind === 'delta' && !this.config().config.enableDelta) return;
    await Promise.all(this.signingIssuers().map((issuer) => (kind === 'full' ? this.rebuildFull(issuer) : this.builder.rebuild(issuer, 'delta'))));
  }

  async signRevocationList(issuerRef: string, input: SignRevocationListInput): Promise<Uint8Array> {
    for (const extension of [...input.extensions, ...input.revoked.flatMap((r) => r.extensions)]) {
      if (RESERVED_EXTENSIONS.has(extension.oid)) throw invalid('reserved_extension', `extension ${extension.oid} is not allowed, it is set from the request parameters`);
    }
    const entries = input.revoked.map((r) => encodeRevokedEntry({ serialHex: r.serialHex, revokedAt: r.revokedAt, extraExtensions: r.extensions.map((e) => encodeExtension(e.oid, e.critical, e.value)) }));
    const extra = input.extensions.map((e) => encodeExtension(e.oid, e.critical, e.value));
    return this.signExternal(issuerRef, 'sign-revocation-list', input, entries, extra);
  }

  async resignCrls(issuerRef: string, input: ResignCrlsInput): Promise<Uint8Array> {
    if (input.crlsDer.length === 0) throw invalid('crls_required', 'at least one CRL must be provided');
    const issuer = this.crlIssuer(issuerRef);
    const identity = this.identities.of(issuer);
    const bySerial = new Map<string, ParsedRevokedEntry>();
    for (const der of input.crlsDer) {
      const crl = parseCrl(der);
      if (!crlSignedBy(crl, identity.spkiDer)) throw invalid('crl_not_signed_by_issuer', `a provided CRL was not signed by issuer ${issuer.name}`);
      for (const entry of crl.entries) {
        const seen = bySerial.get(entry.serialHex);
        if (!seen || entry.revokedAt < seen.revokedAt) bySerial.set(entry.serialHex, entry);
      }
    }
    return this.signExternal(issuerRef, 'resign-crls', input, [...bySerial.values()].map((e) => e.der), []);
  }

  private async signExternal(issuerRef: string, source: 'sign-revocation-list' | 'resign-crls', input: ExternalCrlInput, entries: Uint8Array[], extraExtensions: Uint8Array[]): Promise<Uint8Array> {
    const issuer = this.crlIssuer(issuerRef);
    const identity = this.identities.of(issuer);
    const now = new Date();
    const data = { issuerId: issuer.issuerId, source, number: input.crlNumber, entries: entries.length, ...(input.deltaBaseNumber === undefined ? {} : { baseNumber: input.deltaBaseNumber }) };
    await this.core.commands.handle(crlStream(issuer.issuerId), crlDecider, { type: 'RecordSignedRevocationList', data, now }, { metadata: { ...input.metadata, action: 'crl_sign' } });
    const tbs = encodeTbsCertList(
      {
        signatureAlgorithm: identity.algorithm,
        issuerNameDer: identity.subjectDer,
        authorityKeyId: identity.authorityKeyId,
        thisUpdate: now.getTime(),
        nextUpdate: now.getTime() + input.nextUpdateSeconds * 1000,
        crlNumber: input.crlNumber,
        ...(input.deltaBaseNumber === undefined ? {} : { deltaBaseCrlNumber: input.deltaBaseNumber }),
        extraExtensions,
      },
      entries,
    );
    return assembleCertificateList(tbs, identity.algorithm, await this.core.pool!.sign(identity.key, tbs));
  }

  /** An issuer that can sign CRLs: it exists, has its key and the crl-signing usage. */
  private crlIssuer(ref: string): IssuerRow {
    const issuer = this.core.queries.issuers.resolve(ref || 'default');
    if (!issuer) throw invalid('unknown_issuer', `unable to find PKI issuer for reference: ${ref || 'default'}`);
    if (!issuer.keyId || !issuer.usage.includes('crl-signing')) throw invalid('issuer_cannot_sign_crls', `issuer ${issuer.name} is not allowed to sign CRLs`);
    return issuer;
  }

  private signingIssuers(): IssuerRow[] {
    return this.core.queries.issuers.list().filter((issuer) => issuer.keyId && issuer.usage.includes('crl-signing'));
  }

  /** The configured CRL DP URLs (the IDP names them) and where the delta CRLs are. */
  crlUrls(issuer: IssuerRow): CrlUrls {
    const urls = this.pki.queries.config.urls();
    const base = this.core.publicBaseUrl;
    const deltaConfigured = urls.enableTemplating ? expandUrlTemplates(urls.deltaCrlDistributionPoints, issuer.issuerId, this.pki.queries.config.cluster()) : urls.deltaCrlDistributionPoints;
    return {
      crl: aiaUrls(this.pki, issuer, false).crlDistributionPoints,
      delta: deltaConfigured.length || !base ? deltaConfigured : publicDeltaCrlUrls(base, issuer.issuerId),
    };
  }

  private rebuildFull(issuer: IssuerRow): Promise<unknown> {
    const full = this.builder.rebuild(issuer, 'full');
    return this.config().config.enableDelta ? full.then(() => this.builder.rebuild(issuer, 'delta')) : full;
  }

  private async onEvents(batch: SignetRecordedEvent[]): Promise<void> {
    const revokedIssuers = new Set<string>();
    let configChanged = false;
    for (const event of batch) {
      if (event.type === 'CertificateRevoked') revokedIssuers.add(event.data.issuerId);
      else if (event.type === 'CrlConfigUpdated') configChanged = true;
    }
    if (revokedIssuers.size === 0 && !configChanged) return;
    await this.core.runner.waitFor(batch[batch.length - 1].position, 600_000);
    if (configChanged) this.cachedConfig = undefined;
    for (const event of batch) if (event.type === 'CertificateRevoked') this.ocsp.revoked(event.data.serial);
    const { config } = this.config();
    for (const issuer of this.signingIssuers()) {
      const build = configChanged ? this.rebuildFull(issuer) : !revokedIssuers.has(issuer.issuerId) ? undefined : config.enableDelta ? this.builder.rebuild(issuer, 'delta') : !config.autoRebuild ? this.builder.rebuild(issuer, 'full') : undefined;
      build?.catch((error: unknown) => this.core.logger.error({ err: error, issuerId: issuer.issuerId }, 'CRL rebuild failed'));
    }
  }

  private tick(): void {
    void this.ensureResponders();
    const { config } = this.config();
    const now = Date.now();
    for (const issuer of this.signingIssuers()) {
      const full = this.builder.latest(issuer.issuerId, 'full');
      const delta = this.builder.latest(issuer.issuerId, 'delta');
      let build: Promise<unknown> | undefined;
      if (config.autoRebuild && full && full.nextUpdate - now <= config.autoRebuildGracePeriodSeconds * 1000) build = this.rebuildFull(issuer);
      else if (config.enableDelta && delta && now - delta.thisUpdate >= config.deltaRebuildIntervalSeconds * 1000) build = this.builder.rebuild(issuer, 'delta');
      build?.catch((error: unknown) => this.core.logger.error({ err: error, issuerId: issuer.issuerId }, 'periodic CRL rebuild failed'));
    }
  }
}
