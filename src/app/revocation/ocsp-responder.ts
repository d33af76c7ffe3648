/**
 * The OCSP responder (RFC 6960), answering from the read models.
 *
 * Status: revoked when the revocation read model has the serial under the requested issuer, good when the
 * certificate index has it, unknown otherwise. Responses are signed by the issuer itself (ResponderID byKey), or
 * by its delegated responder, whose certificate then rides in `certs` (see ocsp-delegation.ts).
 *
 * Cache: a signed response for one CertID without a nonce is kept under (CertID, status version, config version),
 * where the status version is the revocation's log position (or good/unknown). A request costs one parse and one
 * indexed lookup; the pool signs only on a miss, and a response past half its validity is re-signed in the
 * background while the cached one is still served. Revocations re-sign cached answers for that serial ahead of the
 * next request. A request carrying a nonce is signed fresh (the nonce is inside the signed data); RFC 5019
 * responders may ignore nonces, Signet honours them.
 *
 * Fast path: `cached(requestKey)` answers a request seen before (same bytes) from memory, without parsing it or
 * reading the read models. It stays exact because every read-model advance is checked first: when the projections'
 * position moved, the revocations recorded since the last check (one indexed query for all requests) drop the fast
 * entries of their serials, so a revoke is answered revoked by the very next request.
 */
import { toHex } from '../../crypto/bytes.js';
import { CryptoInputError } from '../../crypto/errors.js';
import {
  assembleOcspResponse,
  encodeResponseData,
  issuerCertIdHashes,
  ocspStatusResponse,
  parseOcspRequest,
  responderKeyHash,
  type CertIdHash,
  type OcspCertId,
  type OcspCertStatus,
  type OcspResponseStatus,
} from '../../crypto/ocsp.js';
import { REVOCATION_REASONS } from '../../domain/revocation-reason.js';
import type { IssuerQueries, IssuerRow } from '../../../projections/issuers.js';
import type { RevocationQueries } from '../../../projections/revocation.js';
import type { CertificateQueries } from '../../../projections/certificates.js';
import type { Logger } from '../logger.js';
import type { SigningPool } from '../signing-pool.js';
import type { OcspOutcome, RevocationMetrics } from './metrics.js';
import type { SigningIdentities, SigningIdentity } from './signing-identity.js';
import type { DelegatedResponder } from './ocsp-delegation.js';

export interface OcspResponderDeps {
  issuers: IssuerQueries;
  certificates: Pick<CertificateQueries, 'get'>;
  revocations: RevocationQueries;
  identities: SigningIdentities;
  pool: Pick<SigningPool, 'sign'>;
  logger: Logger;
  metrics?: RevocationMetrics;
  /** With a delegated responder configured: the responder that signs for an issuer (issued on first use). */
  responderFor?: (issuer: IssuerRow) => Promise<DelegatedResponder>;
  /** The read models' position (the projection runner's): enables the fast path, which checks it on every request. */
  position?: () => number;
  /** Cached signed responses kept at most. */
  cacheSize?: number;
  now?: () => number;
}

interface CachedResponse {
  der: Uint8Array;
  certId: OcspCertId;
  refreshAt: number;
  expiresAt: number;
  outcome: OcspOutcome;
}

interface Answer {
  certId: OcspCertId;
  status: OcspCertStatus;
  version: string;
}

type OcspFailure = 'malformedRequest' | 'unauthorized' | 'internalError';

/** A request seen before: the cache entry that answers it, valid while its serial is not revoked. */
interface FastEntry {
  cacheKey: string;
  serial: string;
  settingsVersion: string;
}

const REVOCATION_SCAN_PAGE = 1000;

/** An answer not yet looked up in the certificate index: revoked is known, good/unknown is not. */
type PartialAnswer = Answer | { certId: OcspCertId; version?: undefined };

/** How long a response is cached when ocsp_expiry is 0 (no nextUpdate: "newer information is always available"). */
const SHORT_CACHE_MS = 60_000;
const ISSUER_INDEX_MIN_AGE_MS = 1_000;
const ISSUER_INDEX_MAX_AGE_MS = 5_000;
const HASHES: CertIdHash[] = ['sha1', 'sha256', 'sha384', 'sha512'];

export class OcspResponder {
  private readonly cache = new Map<string, CachedResponse>();
  private readonly keysBySerial = new Map<string, Set<string>>();
  private readonly refreshing = new Set<string>();
  private issuerIndex = new Map<string, IssuerRow>();
  private indexedAt = -Infinity;
  private readonly cacheSize: number;
  private readonly now: () => number;
  private readonly fast = new Map<string, FastEntry>();
  private readonly fastKeysBySerial = new Map<string, Set<string>>();
  private checkedPosition = 0;
  private issuerSignature = '';

  constructor(
    private readonly deps: OcspResponderDeps,
    private readonly settings: () => { disabled: boolean; expirySeconds: number; version: string },
  ) {
    this.cacheSize = deps.cacheSize ?? 200_000;
    this.now = deps.now ?? Date.now;
    this.checkedPosition = deps.position?.() ?? 0;
  }

  /**
   * An OCSPResponse for any request bytes: never throws; failures become the matching OCSP error status.
   * `requestKey` names these exact request bytes (see `cached`): a cacheable answer is then remembered under it.
   */
  async respond(requestDer: Uint8Array, requestKey?: string): Promise<{ der: Uint8Array; status: OcspResponseStatus }> {
    const outcome = await this.answerRequest(requestDer, requestKey);
    return outcome instanceof Uint8Array ? { der: outcome, status: 'successful' } : { der: ocspStatusResponse(outcome), status: outcome };
  }

  /**
   * The cached successful response for a request answered before under `requestKey`, if it is still current and
   * fresh; undefined sends the request through `respond` (which also refreshes aging answers in the background).
   * Never throws: a failure here (read model, issuer index) leaves the request to `respond`, which reports it.
   */
  cached(requestKey: string): Uint8Array | undefined {
    const { position } = this.deps;
    if (!position || this.fast.size === 0) return undefined;
    try {
      return this.fastAnswer(requestKey, position());
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'OCSP fast path failed');
      return undefined;
    }
  }

  private fastAnswer(requestKey: string, position: number): Uint8Array | undefined {
    const settings = this.settings();
    if (settings.disabled) return undefined;
    const now = this.now();
    if (now - this.indexedAt > ISSUER_INDEX_MAX_AGE_MS) this.reindexIssuers();
    if (position !== this.checkedPosition) this.dropRevokedSinceCheck(position);
    const fast = this.fast.get(requestKey);
    if (!fast || fast.settingsVersion !== settings.version) return undefined;
    const entry = this.cache.get(fast.cacheKey);
    if (!entry || entry.refreshAt <= now) return undefined;
    this.deps.metrics?.ocspAnswered(entry.outcome, true);
    return entry.der;
  }

  private async answerRequest(requestDer: Uint8Array, requestKey?: string): Promise<Uint8Array | OcspFailure> {
    if (this.settings().disabled) return this.fail('unauthorized');
    let request;
    try {
      request = parseOcspRequest(requestDer);
    } catch (error) {
      if (error instanceof CryptoInputError) return this.fail('malformedRequest');
      throw error;
    }
    try {
      const issuer = this.issuerFor(request.certIds);
      if (!issuer) return this.fail('unauthorized');
      if (request.certIds.length === 1 && !request.nonceExtension) {
        const seenAt = this.deps.position?.();
        const answer = await this.cachedOrSigned(issuer, this.revocationOf(issuer, request.certIds[0]));
        // Only when no event was projected meanwhile: the status read above is then still the current one.
        if (requestKey !== undefined && seenAt !== undefined && seenAt === this.deps.position?.()) this.rememberFast(requestKey, answer.cacheKey, request.certIds[0].serialHex);
        return answer.der;
      }
      const answers = request.certIds.map((certId) => this.complete(issuer, this.revocationOf(issuer, certId)));
      const der = await this.sign(issuer, answers, request.nonceExtension);
      for (const answer of answers) this.deps.metrics?.ocspAnswered(answer.status.status, false);
      return der;
    } catch (error) {
      this.deps.logger.error({ err: error }, 'OCSP response failed');
      return this.fail('internalError');
    }
  }

  /** Re-signs cached answers for a serial that was just revoked, so the next request is a cache hit. */
  revoked(serial: string): void {
    const keys = this.keysBySerial.get(serial);
    if (!keys) return;
    this.keysBySerial.delete(serial);
    const certIds = new Map<string, OcspCertId>();
    for (const key of keys) {
      const entry = this.cache.get(key);
      if (entry) certIds.set(toHex(entry.certId.der), entry.certId);
      this.cache.delete(key);
    }
    for (const certId of certIds.values()) {
      const issuer = this.issuerFor([certId]);
      if (!issuer) continue;
      void this.cachedOrSigned(issuer, this.revocationOf(issuer, certId), false).catch((error: unknown) => this.deps.logger.warn({ err: error, serial }, 'OCSP precompute failed'));
    }
  }

  private fail(status: OcspFailure): OcspFailure {
    this.deps.metrics?.ocspAnswered(status === 'malformedRequest' ? 'malformed' : status === 'unauthorized' ? 'unauthorized' : 'error', false);
    return status;
  }

  /** The revocation lookup alone: enough to find a cached good or unknown answer without reading the certificate. */
  private revocationOf(issuer: IssuerRow, certId: OcspCertId): PartialAnswer {
    const revoked = this.deps.revocations.get(certId.serialHex);
    if (!revoked || revoked.issuerId !== issuer.issuerId) return { certId };
    const code = REVOCATION_REASONS[revoked.reason];
    return { certId, status: { status: 'revoked', revokedAt: Date.parse(revoked.revokedAt), ...(code ? { reasonCode: code } : {}) }, version: `r${revoked.position}` };
  }

  private complete(issuer: IssuerRow, partial: PartialAnswer): Answer {
    if (partial.version !== undefined) return partial;
    const certificate = this.deps.certificates.get(partial.certId.serialHex);
    const good = certificate !== undefined && certificate.issuerId === issuer.issuerId;
    return { certId: partial.certId, status: { status: good ? 'good' : 'unknown' }, version: good ? 'g' : 'u' };
  }

  private async cachedOrSigned(issuer: IssuerRow, partial: PartialAnswer, count = true): Promise<{ der: Uint8Array; cacheKey: string }> {
    const settings = this.settings();
    const prefix = `${toHex(partial.certId.der)}|${settings.version}|`;
    const now = this.now();
    const versions = partial.version !== undefined ? [partial.version] : ['g', 'u'];
    for (const version of versions) {
      const key = prefix + version;
      const cached = this.cache.get(key);
      if (!cached || cached.expiresAt <= now) continue;
      if (cached.refreshAt <= now && !this.refreshing.has(key)) {
        this.refreshing.add(key);
        void this.store(prefix, issuer, this.complete(issuer, partial))
          .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'OCSP refresh failed'))
          .finally(() => this.refreshing.delete(key));
      }
      if (count) this.deps.metrics?.ocspAnswered(cached.outcome, true);
      return { der: cached.der, cacheKey: key };
    }
    const answer = this.complete(issuer, partial);
    const fresh = await this.store(prefix, issuer, answer);
    if (count) this.deps.metrics?.ocspAnswered(fresh.outcome, false);
    return { der: fresh.der, cacheKey: prefix + answer.version };
  }

  private rememberFast(requestKey: string, cacheKey: string, serial: string): void {
    // Nothing to forget yet: skip the revocations projected before the first entry instead of scanning them later.
    if (this.fast.size === 0) this.checkedPosition = this.deps.position!();
    this.fast.delete(requestKey);
    this.fast.set(requestKey, { cacheKey, serial, settingsVersion: this.settings().version });
    let keys = this.fastKeysBySerial.get(serial);
    if (!keys) this.fastKeysBySerial.set(serial, (keys = new Set()));
    keys.add(requestKey);
    while (this.fast.size > this.cacheSize) {
      const [oldestKey, oldest] = this.fast.entries().next().value as [string, FastEntry];
      this.dropFast(oldestKey, oldest.serial);
    }
  }

  private dropFast(requestKey: string, serial: string): void {
    this.fast.delete(requestKey);
    const keys = this.fastKeysBySerial.get(serial);
    keys?.delete(requestKey);
    if (keys?.size === 0) this.fastKeysBySerial.delete(serial);
  }

  /** Forgets the fast entries of every serial revoked since the last check: their next request reads the status. */
  private dropRevokedSinceCheck(position: number): void {
    for (let after = this.checkedPosition; ; ) {
      const revoked = this.deps.revocations.revokedAfter(after, REVOCATION_SCAN_PAGE);
      for (const { serial } of revoked) {
        for (const key of this.fastKeysBySerial.get(serial) ?? []) this.fast.delete(key);
        this.fastKeysBySerial.delete(serial);
      }
      if (revoked.length < REVOCATION_SCAN_PAGE) break;
      after = revoked[revoked.length - 1].position;
    }
    this.checkedPosition = position;
  }

  private async store(prefix: string, issuer: IssuerRow, answer: Answer): Promise<CachedResponse> {
    const signedAt = this.now();
    const der = await this.sign(issuer, [answer]);
    const { expirySeconds } = this.settings();
    // Unknown may turn good once the serial is issued: such answers are kept briefly whatever ocsp_expiry says.
    const lifetime = expirySeconds > 0 && answer.version !== 'u' ? expirySeconds * 1000 : Math.min(SHORT_CACHE_MS, expirySeconds * 1000 || SHORT_CACHE_MS);
    const entry: CachedResponse = { der, certId: answer.certId, refreshAt: signedAt + lifetime / 2, expiresAt: signedAt + lifetime, outcome: answer.status.status };
    this.remember(prefix + answer.version, entry);
    return entry;
  }

  private remember(key: string, entry: CachedResponse): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    const serial = entry.certId.serialHex;
    let keys = this.keysBySerial.get(serial);
    if (!keys) this.keysBySerial.set(serial, (keys = new Set()));
    keys.add(key);
    while (this.cache.size > this.cacheSize) {
      const [oldestKey, oldest] = this.cache.entries().next().value as [string, CachedResponse];
      this.cache.delete(oldestKey);
      this.keysBySerial.get(oldest.certId.serialHex)?.delete(oldestKey);
    }
  }

  private async sign(issuer: IssuerRow, answers: readonly Answer[], nonceExtension?: Uint8Array): Promise<Uint8Array> {
    const responder = await this.deps.responderFor?.(issuer);
    const identity = responder?.identity ?? this.deps.identities.of(issuer);
    const now = this.now();
    const { expirySeconds } = this.settings();
    const data = encodeResponseData({
      responderKeyHash: this.keyHash(identity),
      producedAt: now,
      responses: answers.map((a) => ({ certIdDer: a.certId.der, certStatus: a.status, thisUpdate: now, ...(expirySeconds > 0 ? { nextUpdate: now + expirySeconds * 1000 } : {}) })),
      ...(nonceExtension ? { nonceExtension } : {}),
    });
    return assembleOcspResponse(data, identity.algorithm, await this.deps.pool.sign(identity.key, data), responder ? [responder.certDer] : []);
  }

  private readonly keyHashes = new WeakMap<SigningIdentity, Uint8Array>();
  private keyHash(identity: SigningIdentity): Uint8Array {
    let hash = this.keyHashes.get(identity);
    if (!hash) this.keyHashes.set(identity, (hash = responderKeyHash(identity.spkiDer)));
    return hash;
  }

  /** The one issuer every CertID names, if it may sign OCSP responses; undefined makes the answer `unauthorized`. */
  private issuerFor(certIds: readonly OcspCertId[]): IssuerRow | undefined {
    if (this.now() - this.indexedAt > ISSUER_INDEX_MAX_AGE_MS) this.reindexIssuers();
    let issuer: IssuerRow | undefined;
    for (const certId of certIds) {
      const found = this.lookupIssuer(certId);
      if (!found || (issuer && issuer !== found)) return undefined;
      issuer = found;
    }
    return issuer && issuer.usage.includes('ocsp-signing') ? issuer : undefined;
  }

  private lookupIssuer(certId: OcspCertId): IssuerRow | undefined {
    const key = certIdIssuerKey(certId.hash, certId.issuerNameHash, certId.issuerKeyHash);
    const issuer = this.issuerIndex.get(key);
    if (issuer || this.now() - this.indexedAt < ISSUER_INDEX_MIN_AGE_MS) return issuer;
    this.reindexIssuers();
    return this.issuerIndex.get(key);
  }

  /** Rebuilds the CertID → issuer index; a change in the issuers (key, usage) also forgets every fast entry. */
  private reindexIssuers(): void {
    const index = new Map<string, IssuerRow>();
    const issuers = this.deps.issuers.list();
    const signature = issuers.map((i) => `${i.issuerId}:${i.keyId ?? ''}:${i.usage.join(',')}`).join('|');
    if (signature !== this.issuerSignature) {
      this.fast.clear();
      this.fastKeysBySerial.clear();
      this.issuerSignature = signature;
    }
    for (const issuer of issuers) {
      if (!issuer.keyId) continue;
      const identity = this.deps.identities.of(issuer);
      for (const hash of HASHES) {
        const { nameHash, keyHash } = issuerCertIdHashes(identity.subjectDer, identity.spkiDer, hash);
        index.set(certIdIssuerKey(hash, nameHash, keyHash), issuer);
      }
    }
    this.issuerIndex = index;
    this.indexedAt = this.now();
  }
}

function certIdIssuerKey(hash: CertIdHash, nameHash: Uint8Array, keyHash: Uint8Array): string {
  return `${hash}:${toHex(nameHash)}:${toHex(keyHash)}`;
}
