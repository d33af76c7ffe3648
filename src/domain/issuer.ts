import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { conflict, invalid, notFound } from './errors.js';

/** Stream of one issuer (a CA certificate Signet can issue from): `issuer-<id>`. */
export const issuerStream = (issuerId: string) => `issuer-${issuerId}`;
/** Global issuer settings (the default issuer). */
export const ISSUER_CONFIG_STREAM = 'config-issuers';

export type IssuerKind = 'root' | 'intermediate' | 'imported';
export type IssuerUsage = 'read-only' | 'issuing-certificates' | 'crl-signing' | 'ocsp-signing';
export type LeafNotAfterBehavior = 'err' | 'truncate' | 'permit';

export interface IssuerUrls {
  issuingCertificates: string[];
  crlDistributionPoints: string[];
  ocspServers: string[];
}

export interface IssuerCreatedData {
  issuerId: string;
  name: string;
  kind: IssuerKind;
  /** The issuer's certificate, base64 DER. */
  certificate: string;
  /** Certificates above it up to the root, base64 DER, nearest first. */
  chain: string[];
  /** The key the issuer signs with; absent for an imported issuer without its key. */
  keyId?: string;
  subject: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  usage: IssuerUsage[];
  leafNotAfterBehavior: LeafNotAfterBehavior;
  at: string;
}

export interface IssuerUpdatedData {
  issuerId: string;
  name?: string;
  usage?: IssuerUsage[];
  leafNotAfterBehavior?: LeafNotAfterBehavior;
  urls?: IssuerUrls;
  at: string;
}

export type IssuerEvent =
  | DomainEvent<'IssuerCreated', IssuerCreatedData>
  | DomainEvent<'IssuerUpdated', IssuerUpdatedData>
  | DomainEvent<'IssuerRevoked', { issuerId: string; at: string }>
  | DomainEvent<'IssuerDeleted', { issuerId: string; at: string }>;

export type IssuerState =
  | { status: 'none' }
  | { status: 'active' | 'revoked'; issuerId: string; name: string; keyId?: string; usage: IssuerUsage[]; notAfter: string }
  | { status: 'deleted'; issuerId: string };

export type IssuerCommand =
  | { type: 'CreateIssuer'; data: Omit<IssuerCreatedData, 'at'>; now: Date }
  | { type: 'UpdateIssuer'; data: Omit<IssuerUpdatedData, 'at'>; now: Date }
  | { type: 'RevokeIssuer'; data: { issuerId: string }; now: Date }
  | { type: 'DeleteIssuer'; data: { issuerId: string }; now: Date };

type LiveIssuer = Extract<IssuerState, { status: 'active' | 'revoked' }>;

function requireLive(state: IssuerState, issuerId: string): LiveIssuer {
  if (state.status !== 'active' && state.status !== 'revoked') throw notFound('unknown_issuer', `issuer ${issuerId} not found`);
  return state;
}

function decide(command: IssuerCommand, state: IssuerState): IssuerEvent[] {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'CreateIssuer':
      if (state.status !== 'none') throw conflict('issuer_exists', `issuer ${command.data.issuerId} already exists`);
      if (!command.data.name) throw invalid('issuer_name_required', 'issuer name must not be empty');
      return [{ type: 'IssuerCreated', data: { ...command.data, at } }];
    case 'UpdateIssuer': {
      const current = requireLive(state, command.data.issuerId);
      if (command.data.usage?.includes('issuing-certificates') && current.status === 'revoked') {
        throw invalid('issuer_revoked', 'a revoked issuer cannot be given issuing-certificates usage');
      }
      return [{ type: 'IssuerUpdated', data: { ...command.data, at } }];
    }
    case 'RevokeIssuer': {
      const current = requireLive(state, command.data.issuerId);
      return current.status === 'revoked' ? [] : [{ type: 'IssuerRevoked', data: { issuerId: current.issuerId, at } }];
    }
    case 'DeleteIssuer':
      requireLive(state, command.data.issuerId);
      return [{ type: 'IssuerDeleted', data: { issuerId: command.data.issuerId, at } }];
    default:
      return unreachable(command);
  }
}

function evolve(state: IssuerState, event: IssuerEvent): IssuerState {
  switch (event.type) {
    case 'IssuerCreated': {
      const { issuerId, name, keyId, usage, notAfter } = event.data;
      return { status: 'active', issuerId, name, keyId, usage, notAfter };
    }
    case 'IssuerUpdated':
      if (state.status !== 'active' && state.status !== 'revoked') return state;
      return { ...state, name: event.data.name ?? state.name, usage: event.data.usage ?? state.usage };
    case 'IssuerRevoked':
      if (state.status !== 'active') return state;
      // A revoked issuer can no longer issue; it keeps signing CRLs for what it issued.
      return { ...state, status: 'revoked', usage: state.usage.filter((u) => u !== 'issuing-certificates') };
    case 'IssuerDeleted':
      return { status: 'deleted', issuerId: event.data.issuerId };
    default:
      return unreachable(event);
  }
}

export const issuerDecider: Decider<IssuerCommand, IssuerEvent, IssuerState> = { initialState: () => ({ status: 'none' }), decide, evolve };

/**
 * Global issuer settings live in one small stream: the default issuer, and the claim a node makes before it
 * bootstraps a new CA (appended with expected `no_stream`, so only one node of a cluster ever bootstraps).
 */
export type IssuerConfigEvent =
  | DomainEvent<'CaBootstrapClaimed', { node: string; at: string }>
  | DomainEvent<'DefaultIssuerSet', { issuerId: string; at: string }>;

export type IssuerConfigState = { bootstrapClaimed: boolean; defaultIssuerId?: string };

export type IssuerConfigCommand =
  | { type: 'ClaimBootstrap'; data: { node: string }; now: Date }
  | { type: 'SetDefaultIssuer'; data: { issuerId: string }; now: Date };

export const issuerConfigDecider: Decider<IssuerConfigCommand, IssuerConfigEvent, IssuerConfigState> = {
  initialState: () => ({ bootstrapClaimed: false }),
  decide(command, state) {
    const at = command.now.toISOString();
    switch (command.type) {
      case 'ClaimBootstrap':
        if (state.bootstrapClaimed) throw conflict('bootstrap_claimed', 'the CA bootstrap was already claimed');
        return [{ type: 'CaBootstrapClaimed', data: { node: command.data.node, at } }];
      case 'SetDefaultIssuer':
        return state.defaultIssuerId === command.data.issuerId ? [] : [{ type: 'DefaultIssuerSet', data: { issuerId: command.data.issuerId, at } }];
      default:
        return unreachable(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'CaBootstrapClaimed':
        return { ...state, bootstrapClaimed: true };
      case 'DefaultIssuerSet':
        return { ...state, defaultIssuerId: event.data.issuerId };
      default:
        return unreachable(event);
    }
  },
};
