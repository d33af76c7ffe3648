/**
 * Builds and keeps each issuer's complete and delta CRLs.
 *
 * A build: allocate the next CRL number as an event (monotonic by construction) → read the pre-encoded entries
 * from the revocation read model a page at a time (one SQLite-side concatenation per page, yielding to the event
 * loop between pages, so issuance keeps running) → write the TBSCertList into one buffer → sign it once in the
 * worker pool → keep it in memory and persist it to `<data>/crl/<issuer>.<kind>.der` (with a small JSON beside it)
 * so a restart serves the same bytes until something changes.
 *
 * Builds of one issuer run one at a time (a delta never names a complete CRL that is still being signed), and
 * requests coalesce: while a build waits its turn, further requests join it, so a burst of revocations costs at
 * most the build that is running plus one more.
 */
import { mkdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { assembleCertificateList, encodeTbsCertList, type CrlFields } from '../../crypto/crl.js';
import { crlDecider, crlStream, type CrlKind, type CrlNumberAllocatedData } from '../../domain/crl.js';
import type { CrlConfig } from '../../domain/crl-config.js';
import type { IssuerRow } from '../../../projections/issuers.js';
import type { RevocationQueries } from '../../../projections/revocation.js';
import type { Core } from '../../core.js';
import { KeyedQueue } from '../keyed-queue.js';
import type { SigningPool } from '../signing-pool.js';
import type { RevocationMetrics } from './metrics.js';
import type { SigningIdentities } from './signing-identity.js';

export interface BuiltCrl {
  issuerId: string;
  kind: CrlKind;
  number: number;
  baseNumber?: number;
  der: Uint8Array;
  thisUpdate: number;
  nextUpdate: number;
  entries: number;
  coversPosition: number;
}

type BuiltCrlMeta = Omit<BuiltCrl, 'der'>;

export interface CrlUrls {
  /**
   * The issuing distribution point: CRL URLs an operator configured (config/urls or the issuer's own), which the
   * certificates carry. Empty with the built-in defaults: CA certificates made before (the bootstrap intermediate)
   * carry no CRL distribution point, and an IDP naming one would put them out of the CRL's scope (RFC 5280 6.3.3).
   */
  crl: string[];
  /** Where the delta CRLs are (Freshest CRL). */
  delta: string[];
}

export interface CrlBuilderDeps {
  core: Pick<Core, 'commands' | 'runner' | 'logger'>;
  pool: Pick<SigningPool, 'sign'>;
  revocations: RevocationQueries;
  /** config/crl in force. */
  config: () => CrlConfig;
  identities: SigningIdentities;
  urls: (issuer: IssuerRow) => CrlUrls;
  /** Directory for the persisted CRLs; none keeps them in memory only. */
  dir?: string;
  metrics?: RevocationMetrics;
  /** Entries per read-model page. */
  pageRows?: number;
  now?: () => Date;
}

const META = { actor: 'signet', auth_method: 'internal', action: 'crl_build' };

export class CrlBuilder {
  private readonly built = new Map<string, BuiltCrl>();
  private readonly waiting = new Map<string, Promise<BuiltCrl>>();
  private readonly queue = new KeyedQueue();
  private readonly pageRows: number;
  private readonly now: () => Date;

  constructor(private readonly deps: CrlBuilderDeps) {
    this.pageRows = deps.pageRows ?? 50_000;
    this.now = deps.now ?? (() => new Date());
    if (deps.dir) mkdirSync(deps.dir, { recursive: true, mode: 0o700 });
  }

  /** The CRL being served: the last one built (or persisted), else a fresh build. */
  async current(issuer: IssuerRow, kind: CrlKind): Promise<BuiltCrl> {
    const key = builtKey(issuer.issuerId, kind);
    const built = this.built.get(key) ?? (await this.loadPersisted(issuer.issuerId, kind));
    return built ?? this.rebuild(issuer, kind);
  }

  /** The last built CRL without building one (undefined until the first build). */
  latest(issuerId: string, kind: CrlKind): BuiltCrl | undefined {
    return this.built.get(builtKey(issuerId, kind));
  }

  /** Schedules a build; joins one that is queued and not started yet. */
  rebuild(issuer: IssuerRow, kind: CrlKind): Promise<BuiltCrl> {
    const key = builtKey(issuer.issuerId, kind);
    const queued = this.waiting.get(key);
    if (queued) return queued;
    const build = this.queue.run(issuer.issuerId, () => {
      this.waiting.delete(key);
      return this.build(issuer, kind);
    });
    this.waiting.set(key, build);
    return build;
  }

  private async build(issuer: IssuerRow, kind: CrlKind): Promise<BuiltCrl> {
    const started = performance.now();
    const { revocations } = this.deps;
    const identity = this.deps.identities.of(issuer);
    const config = this.deps.config();
    const now = this.now();
    if (kind === 'delta' && !revocations.crlNumbers(issuer.issuerId).full) await this.build(issuer, 'full');
    const upTo = revocations.latestPosition(issuer.issuerId);
    const allocation = await this.allocate(issuer.issuerId, kind, upTo, now);
    const after = kind === 'delta' ? allocation.basePosition! : 0;
    const { chunks, count } = config.disable ? { chunks: [], count: 0 } : await this.readEntries(issuer.issuerId, after, allocation.coversPosition);
    const urls = this.deps.urls(issuer);
    const fields: CrlFields = {
      signatureAlgorithm: identity.algorithm,
      issuerNameDer: identity.subjectDer,
      authorityKeyId: identity.authorityKeyId,
      thisUpdate: now.getTime(),
      nextUpdate: now.getTime() + config.expirySeconds * 1000,
      crlNumber: allocation.number,
      ...(allocation.baseNumber === undefined ? {} : { deltaBaseCrlNumber: allocation.baseNumber }),
      distributionPointUrls: urls.crl,
      ...(kind === 'full' && config.enableDelta ? { freshestCrlUrls: urls.delta } : {}),
    };
    const tbs = encodeTbsCertList(fields, chunks);
    const der = assembleCertificateList(tbs, identity.algorithm, await this.deps.pool.sign(identity.key, tbs));
    const built: BuiltCrl = {
      issuerId: issuer.issuerId,
      kind,
      number: allocation.number,
      ...(allocation.baseNumber === undefined ? {} : { baseNumber: allocation.baseNumber }),
      der,
      thisUpdate: fields.thisUpdate,
      nextUpdate: fields.nextUpdate!,
      entries: count,
      coversPosition: allocation.coversPosition,
    };
    this.built.set(builtKey(issuer.issuerId, kind), built);
    await this.persist(built);
    this.deps.metrics?.crlBuilt(issuer.issuerId, kind, der.length, count, (performance.now() - started) / 1000, built.nextUpdate);
    this.deps.core.logger.debug({ issuerId: issuer.issuerId, kind, number: built.number, entries: count, bytes: der.length, ms: Math.round(performance.now() - started) }, 'CRL built');
    return built;
  }

  private async allocate(issuerId: string, kind: CrlKind, coversPosition: number, now: Date): Promise<CrlNumberAllocatedData> {
    const { commands, runner } = this.deps.core;
    const result = await commands.handle(crlStream(issuerId), crlDecider, { type: 'AllocateCrlNumber', data: { issuerId, kind, coversPosition }, now }, { metadata: META });
    await runner.waitFor(result.position!);
    const [event] = result.events;
    if (event.type !== 'CrlNumberAllocated') throw new Error(`unexpected ${event.type} from a CRL number allocation`);
    return event.data;
  }

  private async readEntries(issuerId: string, afterPosition: number, upToPosition: number): Promise<{ chunks: Uint8Array[]; count: number }> {
    const chunks: Uint8Array[] = [];
    let count = 0;
    for (let after = afterPosition; ; ) {
      const page = this.deps.revocations.entryPage(issuerId, after, upToPosition, this.pageRows);
      if (!page) return { chunks, count };
      chunks.push(page.der);
      count += page.count;
      after = page.last;
      await yieldToEventLoop();
    }
  }

  private files(issuerId: string, kind: CrlKind): { der: string; meta: string } | undefined {
    if (!this.deps.dir || !/^[\w.-]+$/.test(issuerId)) return undefined;
    const base = join(this.deps.dir, `${issuerId}.${kind}`);
    return { der: `${base}.der`, meta: `${base}.json` };
  }

  private async persist(built: BuiltCrl): Promise<void> {
    const files = this.files(built.issuerId, built.kind);
    if (!files) return;
    const { der, ...meta } = built;
    try {
      await writeFile(`${files.der}.tmp`, der);
      await rename(`${files.der}.tmp`, files.der);
      await writeFile(`${files.meta}.tmp`, JSON.stringify(meta));
      await rename(`${files.meta}.tmp`, files.meta);
    } catch (error) {
      this.deps.core.logger.warn({ err: error, issuerId: built.issuerId }, 'could not persist the CRL; it is still served from memory');
    }
  }

  /** A persisted CRL is served again only while it is still the latest of its kind according to the log. */
  private async loadPersisted(issuerId: string, kind: CrlKind): Promise<BuiltCrl | undefined> {
    const files = this.files(issuerId, kind);
    if (!files) return undefined;
    try {
      const meta = JSON.parse(await readFile(files.meta, 'utf8')) as BuiltCrlMeta;
      const numbers = this.deps.revocations.crlNumbers(issuerId);
      const latest = kind === 'full' ? numbers.full : numbers.delta;
      if (!latest || latest.number !== meta.number || meta.issuerId !== issuerId || meta.kind !== kind) return undefined;
      const built: BuiltCrl = { ...meta, der: new Uint8Array(await readFile(files.der)) };
      if (this.built.has(builtKey(issuerId, kind))) return this.built.get(builtKey(issuerId, kind));
      this.built.set(builtKey(issuerId, kind), built);
      return built;
    } catch {
      return undefined;
    }
  }
}

function builtKey(issuerId: string, kind: CrlKind): string {
  return `${issuerId}:${kind}`;
}
