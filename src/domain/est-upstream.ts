/**
 * Upstream EST servers (the IDIAL PKI configuration API's "EST configurations"): another CA that Signet enrolls
 * against as an EST client, acting as a registration authority. Stream `est-upstream-<id>`, integer ids.
 * The Basic password is recorded only wrapped under the KEK (the RA must be able to use it) with its SHA-256 for
 * display. Any change clears the validation: a configuration is usable only after a successful validation of
 * exactly its current settings.
 */
import { type DomainEvent, type Decider, sameJsonValue, unreachable } from './decider.js';
import { conflict, invalid, notFound } from './errors.js';

export const estUpstreamStream = (id: number) => `est-upstream-${id}`;

export type EstUpstreamAuth = 'basic' | 'certificate' | 'none';
export const EST_UPSTREAM_AUTHS: readonly EstUpstreamAuth[] = ['basic', 'certificate', 'none'];

export interface EstUpstreamCredentials {
  username: string;
  /** The password wrapped under the KEK (keywrap.ts, key id = the configuration id). */
  passwordWrapped: string;
  /** Hex SHA-256 of the password: shown as `password_hash`. */
  passwordHash: string;
}

export interface EstUpstreamSettings {
  server: string;
  port: number;
  enrollEndpoint: string;
  renewEndpoint: string;
  /** Absent: no Basic credentials (an empty password counts as none). */
  credentials?: EstUpstreamCredentials;
  enrollAuth: EstUpstreamAuth;
  renewAuth: EstUpstreamAuth;
  /** Base64 certs-only PKCS#7 of the TLS server's chain; '' = none configured. */
  tlschain: string;
  validateServer: boolean;
  description: string;
}

export type EstUpstreamEvent =
  | DomainEvent<'EstUpstreamCreated', { id: number; settings: EstUpstreamSettings; at: string }>
  | DomainEvent<'EstUpstreamUpdated', { id: number; settings: EstUpstreamSettings; at: string }>
  /** `cacert`: base64 certs-only PKCS#7 of the upstream's /cacerts answer. */
  | DomainEvent<'EstUpstreamValidated', { id: number; cacert: string; at: string }>
  | DomainEvent<'EstUpstreamValidationFailed', { id: number; reason: string; at: string }>
  | DomainEvent<'EstUpstreamDeleted', { id: number; at: string }>;

export type EstUpstreamState =
  | { status: 'none' }
  | { status: 'active'; id: number; settings: EstUpstreamSettings; validated: boolean }
  | { status: 'deleted'; id: number };

export type EstUpstreamCommand =
  | { type: 'CreateEstUpstream'; data: { id: number; settings: EstUpstreamSettings }; now: Date }
  | { type: 'UpdateEstUpstream'; data: { id: number; settings: EstUpstreamSettings }; now: Date }
  /** The outcome of a validation run against `settings` (refused if the configuration changed meanwhile). */
  | { type: 'RecordEstUpstreamValidation'; data: { id: number; settings: EstUpstreamSettings; outcome: { ok: true; cacert: string } | { ok: false; reason: string } }; now: Date }
  /** `inUse`: what still routes issuance through it (EST profiles, roles, certd settings), from the read models. */
  | { type: 'DeleteEstUpstream'; data: { id: number; inUse: string[] }; now: Date };

/** A refused delete, with what still uses the configuration (the API's `in_use`). */
export class EstUpstreamInUseError extends Error {
  constructor(readonly inUse: string[], message: string) {
    super(message);
    this.name = 'EstUpstreamInUseError';
  }
}

const HOST = /^[A-Za-z0-9.:_-]{1,253}$/;
const ENDPOINT = /^\/[\x21-\x7e]*$/;

/** Pure checks of a whole settings record; throws DomainError('invalid') naming the first problem. */
export function validateUpstreamSettings(settings: EstUpstreamSettings): void {
  if (!HOST.test(settings.server)) throw invalid('invalid_server', 'server must be an IP address or a DNS name');
  if (!Number.isInteger(settings.port) || settings.port < 1 || settings.port > 65535) throw invalid('invalid_port', 'port must be a number from 1 to 65535');
  for (const [field, value] of [['enroll_endpoint', settings.enrollEndpoint], ['renew_endpoint', settings.renewEndpoint]] as const) {
    if (!ENDPOINT.test(value)) throw invalid('invalid_endpoint', `${field} must be a path starting with "/"`);
  }
  for (const [field, value] of [['enroll_auth', settings.enrollAuth], ['renew_auth', settings.renewAuth]] as const) {
    if (!EST_UPSTREAM_AUTHS.includes(value)) throw invalid('invalid_auth', `${field} must be one of ${EST_UPSTREAM_AUTHS.join(', ')}`);
    if (value === 'basic' && !settings.credentials) throw invalid('basic_auth_without_credentials', `${field} is basic but no username and password are configured`);
  }
  if (settings.enrollAuth === 'certificate') throw invalid('invalid_auth', 'enroll_auth cannot be certificate: an initial enrollment has no certificate to authenticate with');
  if (settings.credentials && (!settings.credentials.username || settings.credentials.username.includes(':'))) {
    throw invalid('invalid_username', 'username must be non-empty and contain no ":"');
  }
}

function decide(command: EstUpstreamCommand, state: EstUpstreamState): EstUpstreamEvent[] {
  const at = command.now.toISOString();
  const { id } = command.data;
  switch (command.type) {
    case 'CreateEstUpstream':
      if (state.status !== 'none') throw conflict('upstream_exists', `EST configuration ${id} already exists`);
      validateUpstreamSettings(command.data.settings);
      return [{ type: 'EstUpstreamCreated', data: { id, settings: command.data.settings, at } }];
    case 'UpdateEstUpstream':
      if (state.status !== 'active') throw notFound('unknown_upstream', `EST configuration ${id} not found`);
      validateUpstreamSettings(command.data.settings);
      return [{ type: 'EstUpstreamUpdated', data: { id, settings: command.data.settings, at } }];
    case 'RecordEstUpstreamValidation': {
      if (state.status !== 'active') throw notFound('unknown_upstream', `EST configuration ${id} not found`);
      if (!sameJsonValue(state.settings, command.data.settings)) {
        throw conflict('upstream_changed', `EST configuration ${id} changed while it was being validated; validate again`);
      }
      const { outcome } = command.data;
      return outcome.ok
        ? [{ type: 'EstUpstreamValidated', data: { id, cacert: outcome.cacert, at } }]
        : [{ type: 'EstUpstreamValidationFailed', data: { id, reason: outcome.reason, at } }];
    }
    case 'DeleteEstUpstream':
      if (state.status !== 'active') throw notFound('unknown_upstream', `EST configuration ${id} not found`);
      if (command.data.inUse.length > 0) {
        throw new EstUpstreamInUseError(command.data.inUse, `EST configuration ${id} is still used by ${command.data.inUse.join(', ')}; assign them another issuer first`);
      }
      return [{ type: 'EstUpstreamDeleted', data: { id, at } }];
    default:
      return unreachable(command);
  }
}

function evolve(state: EstUpstreamState, event: EstUpstreamEvent): EstUpstreamState {
  switch (event.type) {
    case 'EstUpstreamCreated':
    case 'EstUpstreamUpdated':
      return { status: 'active', id: event.data.id, settings: event.data.settings, validated: false };
    case 'EstUpstreamValidated':
      return state.status === 'active' ? { ...state, validated: true } : state;
    case 'EstUpstreamValidationFailed':
      return state.status === 'active' ? { ...state, validated: false } : state;
    case 'EstUpstreamDeleted':
      return { status: 'deleted', id: event.data.id };
    default:
      return unreachable(event);
  }
}

export const estUpstreamDecider: Decider<EstUpstreamCommand, EstUpstreamEvent, EstUpstreamState> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
