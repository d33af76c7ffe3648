/**
 * The OCSP responder (RFC 6960), answering from the read models.
 *
 * Status: revoked when the revocation read model has the serial under the requested issuer, good when the
 * certificate index has it, unknown otherwise. Responses are signed by the issuer itself (ResponderID byKey).
 *
 * Cache: a signed response for one CertID without a nonce is kept under (CertID, status version, config version),
 * where the status version is the revocation's log position (or good/unknown). A request costs one parse and one
 * indexed lookup; the pool signs only on a miss, and a response past half its validity is re-signed in the
 * background while the cached one is still served. Revocations re-sign cached answers for that serial ahead of the
 * next request. A request carrying a nonce is signed fresh (the nonce is inside the signed data); RFC 5019
 * responders may ignore nonces, Signet honours them.
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

export interface OcspResponderDeps {
  issuers: IssuerQueries;
  certificates: Pick<CertificateQueries, 'get'>;
  revocations: RevocationQueries;
  identities: SigningIdentities;
  pool: Pick<SigningPool, 'sign'>;
  logger: Logger;
  metrics?: RevocationMetrics;
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

  constructor(
    private readonly deps: OcspResponderDeps,
    private readonly settings: () => { disabled: boolean; expirySeconds: number; version: string },
  ) {
    this.cacheSize = deps.cacheSize ?? 200_000;
    this.now = deps.now ?? Date.now;
  }

  /** An OCSPResponse for any request bytes: never throws; failures become the matching OCSP error status. */
  async respond(requestDer: Uint8Array): Promise<{ der: Uint8Array; status: OcspResponseStatus }> {
    const outcome = await this.answerRequest(requestDer);
    return outcome instanceof Uint8Array ? { der: outcome, status: 'successful' } : { der: ocspStatusResponse(outcome), status: outcome };
  }

  private async answerRequest(requestDer: Uint8Array): Promise<Uint8Array | OcspFailure> {
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
      if (request.certIds.length === 1 && !request.nonceExtension) return await this.cachedOrSigned(issuer, this.revocationOf(issuer, request.certIds[0]));
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

  private async cachedOrSigned(issuer: IssuerRow, partial: PartialAnswer, count = true): Promise<Uint8Array> {
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
      return cached.der;
    }
    const fresh = await this.store(prefix, issuer, this.complete(issuer, partial));
    if (count) this.deps.metrics?.ocspAnswered(fresh.outcome, false);
    return fresh.der;
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
    const identity = this.deps.identities.of(issuer);
    const now = this.now();
    const { expirySeconds } = this.settings();
    const data = encodeResponseData({
      responderKeyHash: this.keyHash(identity),
      producedAt: now,
      responses: answers.map((a) => ({ certIdDer: a.certId.der, certStatus: a.status, thisUpdate: now, ...(expirySeconds > 0 ? { nextUpdate: now + expirySeconds * 1000 } : {}) })),
      ...(nonceExtension ? { nonceExtension } : {}),
    });
    return assembleOcspResponse(data, identity.algorithm, await this.deps.pool.sign(identity.key, data));
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

  private reindexIssuers(): void {
    const index = new Map<string, IssuerRow>();
    for (const issuer of this.deps.issuers.list()) {
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
