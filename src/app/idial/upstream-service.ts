/**
 * Upstream EST configurations: create, update, delete, validate (as events), and the credentials and endpoint
 * the RA enrolls with. Validation really talks to the server: TLS handshake verified against `tlschain`,
 * GET /cacerts, then an authenticated probe of the enroll endpoint (see `probeEnrollAuth`).
 */
import { estUpstreamDecider, estUpstreamStream, type EstUpstreamSettings } from '../../domain/est-upstream.js';
import { DomainError, invalid, notFound } from '../../domain/errors.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { unwrapPrivateKey } from '../../crypto/keywrap.js';
import { decodeCertsOnlyPkcs7, encodeCertsOnlyPkcs7 } from '../../crypto/pkcs7.js';
import { WrongExpectedRevisionError } from '../../eventstore/port.js';
import { EstUpstreamQueries, type EstUpstreamRow } from '../../../projections/est-upstreams.js';
import type { Core } from '../../core.js';
import { estExchange, parseCertsOnlyAnswer, upstreamRefusal, UpstreamError, type EstClientAuth, type EstEndpoint } from './est-client.js';
import { passwordKeyId, settingsForCreate, settingsForUpdate } from './upstream-input.js';
import { upstreamUsers } from './upstream-assignment.js';
import type { Renewal } from './renewal-input.js';
import type { CertdConfig } from '../../certd/authorization.js';
import { certdUpstreamUsers } from '../../certd/upstream-routing.js';

export type ValidationResult = { ok: true } | { ok: false; reason: string; httpStatus: 502 | 504 };

/** The cacerts path next to an enroll endpoint: `/.well-known/est[/label]/simpleenroll` → `…/cacerts`. */
export function siblingPath(endpoint: string, operation: string): string {
  const cut = endpoint.lastIndexOf('/');
  return `${endpoint.slice(0, cut)}/${operation}`;
}

/** A body that is no PKCS#10 at all (an empty SEQUENCE): an authenticated server answers 400, never a certificate. */
const PROBE_CSR = Uint8Array.of(0x30, 0x00);

export class UpstreamService {
  readonly queries: EstUpstreamQueries;
  /** What routes issuance through a configuration (read models and certd's config.d), for the in_use refusal of a delete. */
  private readonly users: (id: number) => string[];

  constructor(
    private readonly core: Pick<Core, 'commands' | 'runner' | 'readDb' | 'kek' | 'store'>,
    private readonly options: { timeoutMs?: number; certdConfig?: () => CertdConfig | undefined } = {},
  ) {
    this.queries = new EstUpstreamQueries(core.readDb);
    const readModelUsers = upstreamUsers(core.readDb);
    this.users = (id) => [...readModelUsers(id), ...certdUpstreamUsers(options.certdConfig?.(), this.queries.list(), id)];
  }

  get(id: number): EstUpstreamRow {
    const row = this.queries.get(id);
    if (!row) throw notFound('unknown_upstream', `EST configuration ${id} not found`);
    return row;
  }

  async create(body: unknown, metadata: EventMetadata, now = new Date()): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const id = this.queries.nextId();
      const settings = settingsForCreate(body, id, this.core.kek);
      try {
        const result = await this.core.commands.handleNew(estUpstreamStream(id), estUpstreamDecider, { type: 'CreateEstUpstream', data: { id, settings }, now }, { metadata });
        await this.settle(result.position);
        return id;
      } catch (error) {
        // Another writer took the id first (a projection lagging behind): take the next one.
        const taken = error instanceof WrongExpectedRevisionError || (error instanceof DomainError && error.code === 'upstream_exists');
        if (attempt >= 5 || !taken) throw error;
        await this.core.runner.waitFor(await this.core.store.headPosition());
      }
    }
  }

  async update(id: number, body: unknown, metadata: EventMetadata, now = new Date()): Promise<void> {
    const settings = settingsForUpdate(body, id, this.core.kek, this.get(id).settings);
    const result = await this.core.commands.handle(estUpstreamStream(id), estUpstreamDecider, { type: 'UpdateEstUpstream', data: { id, settings }, now }, { metadata });
    await this.settle(result.position);
  }

  async delete(id: number, metadata: EventMetadata, now = new Date()): Promise<void> {
    const result = await this.core.commands.handle(estUpstreamStream(id), estUpstreamDecider, { type: 'DeleteEstUpstream', data: { id, inUse: this.users(id) }, now }, { metadata });
    await this.settle(result.position);
  }

  /** Runs the checks and records their outcome; a failure is a result (recorded), not an exception. */
  async validate(id: number, metadata: EventMetadata, now = new Date()): Promise<ValidationResult> {
    const { settings } = this.get(id);
    let outcome: { ok: true; cacert: string } | { ok: false; reason: string };
    let httpStatus: 502 | 504 = 502;
    try {
      outcome = { ok: true, cacert: await this.check(id, settings) };
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      outcome = { ok: false, reason: error.message };
      httpStatus = error.httpStatus;
    }
    const result = await this.core.commands.handle(estUpstreamStream(id), estUpstreamDecider, { type: 'RecordEstUpstreamValidation', data: { id, settings, outcome }, now }, { metadata });
    await this.settle(result.position);
    return outcome.ok ? { ok: true } : { ok: false, reason: outcome.reason, httpStatus };
  }

  /** A configuration that may be used for issuance: it exists and its current settings were validated. */
  usable(id: number): EstUpstreamRow {
    const row = this.get(id);
    if (!row.lastValidated) throw invalid('upstream_not_validated', `EST configuration ${id} is not validated; call /pki/est/validate/${id} first`);
    return row;
  }

  endpoint(settings: EstUpstreamSettings): EstEndpoint {
    const trust = settings.tlschain ? decodeCertsOnlyPkcs7(Buffer.from(settings.tlschain, 'base64')) : [];
    return { server: settings.server, port: settings.port, trust, validateServer: settings.validateServer, ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}) };
  }

  /** The HTTP auth for the enroll endpoint (certificate auth is only for renewal, with the certificate renewed). */
  enrollAuth(id: number, settings: EstUpstreamSettings): EstClientAuth {
    return settings.enrollAuth === 'basic' ? this.basicAuth(id, settings) : { kind: 'none' };
  }

  /**
   * The auth for the renew endpoint. "certificate" (the spec's default) is TLS client authentication with the
   * certificate being renewed, not with an RA certificate: the caller hands over that certificate's key.
   */
  renewAuth(id: number, settings: EstUpstreamSettings, renewal: Renewal): EstClientAuth {
    switch (settings.renewAuth) {
      case 'certificate':
        if (!renewal.keyPem) {
          throw invalid('private_key_required', `EST configuration ${id} renews with TLS client authentication (renew_auth "certificate"): send private_key, the key of the certificate being renewed`);
        }
        return { kind: 'certificate', certPem: renewal.certPem, keyPem: renewal.keyPem };
      case 'basic':
        return this.basicAuth(id, settings);
      case 'none':
        return { kind: 'none' };
    }
  }

  private basicAuth(id: number, settings: EstUpstreamSettings): EstClientAuth {
    if (!settings.credentials) return { kind: 'none' };
    const password = Buffer.from(unwrapPrivateKey(settings.credentials.passwordWrapped, this.core.kek, passwordKeyId(id))).toString('utf8');
    return { kind: 'basic', username: settings.credentials.username, password };
  }

  /** TLS handshake and /cacerts; then the auth probe. Returns the cacerts PKCS#7 as base64. */
  private async check(id: number, settings: EstUpstreamSettings): Promise<string> {
    const endpoint = this.endpoint(settings);
    const cacertsPath = siblingPath(settings.enrollEndpoint, 'cacerts');
    const answer = await estExchange(endpoint, { method: 'GET', path: cacertsPath, auth: { kind: 'none' } });
    if (answer.status !== 200) throw upstreamRefusal(endpoint, cacertsPath, answer);
    const cacerts = parseCertsOnlyAnswer(endpoint, cacertsPath, answer);
    await this.probeEnrollAuth(endpoint, settings.enrollEndpoint, this.enrollAuth(id, settings));
    return Buffer.from(encodeCertsOnlyPkcs7(cacerts)).toString('base64');
  }

  /**
   * Checks the enroll credentials without getting a certificate: an enroll whose body is not a CSR. RFC 7030
   * servers authenticate before they parse the request, so 400 means "credentials accepted, request refused",
   * while 401/403 mean the credentials are not. (csrattrs is no test: it usually needs no authentication.)
   */
  private async probeEnrollAuth(endpoint: EstEndpoint, path: string, auth: EstClientAuth): Promise<void> {
    const answer = await estExchange(endpoint, { method: 'POST', path, auth, body: PROBE_CSR });
    if (answer.status === 400) return;
    if (answer.status === 401 || answer.status === 403 || answer.status === 404) throw upstreamRefusal(endpoint, path, answer);
    throw new UpstreamError(502, `upstream EST server answered an invalid enrollment probe with HTTP ${answer.status} at https://${endpoint.server}:${endpoint.port}${path} (expected 400)`, answer.status);
  }

  private async settle(position: number | undefined): Promise<void> {
    if (position !== undefined) await this.core.runner.waitFor(position);
  }
}
