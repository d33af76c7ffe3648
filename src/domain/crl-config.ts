/**
 * Revocation configuration (OpenBao `config/crl`), global to all issuers, as one small stream `config-crl`.
 * Durations are seconds; the HTTP layer parses "72h"-style strings. Every update records the whole resulting
 * configuration, so the current one is simply the last event.
 */
import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { invalid } from './errors.js';

export const CRL_CONFIG_STREAM = 'config-crl';

export interface CrlConfig {
  /** How long a CRL is valid (nextUpdate = thisUpdate + expiry). */
  expirySeconds: number;
  /** No CRL building: requests get a signed, empty CRL. */
  disable: boolean;
  /** The OCSP responder answers `unauthorized` to everything. */
  ocspDisable: boolean;
  /** OCSP nextUpdate = thisUpdate + this; 0 leaves nextUpdate out. */
  ocspExpirySeconds: number;
  /** Rebuild CRLs periodically before they expire instead of on every revocation. */
  autoRebuild: boolean;
  autoRebuildGracePeriodSeconds: number;
  enableDelta: boolean;
  deltaRebuildIntervalSeconds: number;
}

/** OpenBao's defaults: served until `config/crl` is first written. */
export const DEFAULT_CRL_CONFIG: CrlConfig = {
  expirySeconds: 72 * 3600,
  disable: false,
  ocspDisable: false,
  ocspExpirySeconds: 12 * 3600,
  autoRebuild: false,
  autoRebuildGracePeriodSeconds: 12 * 3600,
  enableDelta: false,
  deltaRebuildIntervalSeconds: 15 * 60,
};

export type CrlConfigEvent = DomainEvent<'CrlConfigUpdated', CrlConfig & { at: string }>;

export interface CrlConfigState {
  config: CrlConfig;
  /** False until the first update: OpenBao's GET then still answers with the defaults. */
  written: boolean;
}

export type CrlConfigCommand = { type: 'UpdateCrlConfig'; data: Partial<CrlConfig>; now: Date };

function validate(config: CrlConfig): void {
  if (config.expirySeconds <= 0) throw invalid('invalid_expiry', 'expiry must be a positive duration');
  if (config.ocspExpirySeconds < 0) throw invalid('invalid_ocsp_expiry', 'ocsp_expiry must not be negative');
  if (config.autoRebuildGracePeriodSeconds <= 0 || config.autoRebuildGracePeriodSeconds >= config.expirySeconds) {
    throw invalid('invalid_grace_period', 'auto_rebuild_grace_period must be positive and strictly shorter than expiry');
  }
  if (config.deltaRebuildIntervalSeconds <= 0 || config.deltaRebuildIntervalSeconds >= config.expirySeconds) {
    throw invalid('invalid_delta_interval', 'delta_rebuild_interval must be positive and strictly shorter than expiry');
  }
  if (config.enableDelta && !config.autoRebuild) {
    throw invalid('delta_requires_auto_rebuild', 'delta CRLs cannot be enabled when auto rebuilding is disabled, as the complete CRL is always regenerated');
  }
}

function sameConfig(a: CrlConfig, b: CrlConfig): boolean {
  return (Object.keys(DEFAULT_CRL_CONFIG) as (keyof CrlConfig)[]).every((key) => a[key] === b[key]);
}

export const crlConfigDecider: Decider<CrlConfigCommand, CrlConfigEvent, CrlConfigState> = {
  initialState: () => ({ config: DEFAULT_CRL_CONFIG, written: false }),
  decide(command, state) {
    switch (command.type) {
      case 'UpdateCrlConfig': {
        const config = { ...state.config, ...command.data };
        validate(config);
        if (state.written && sameConfig(config, state.config)) return [];
        return [{ type: 'CrlConfigUpdated', data: { ...config, at: command.now.toISOString() } }];
      }
      default:
        return unreachable(command.type);
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'CrlConfigUpdated': {
        const { at: _at, ...config } = event.data;
        return { config, written: true };
      }
      default:
        return unreachable(event.type);
    }
  },
};
