/**
 * Tidy: expired certificates leave the read models after a safety buffer. The log is never rewritten: a tidy run is
 * its own stream `tidy-<id>` (TidyStarted, CertificatesTidied batches naming the serials, TidyFinished), and the
 * certificate index applies CertificatesTidied by dropping those rows. Replaying the log gives the same read model.
 */
import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { conflict, invalid } from './errors.js';

export const tidyStream = (tidyId: string) => `tidy-${tidyId}`;

/** OpenBao's tidy parameters that Signet acts on; durations in seconds (pause in milliseconds). */
export interface TidyOptions {
  tidyCertStore: boolean;
  tidyRevokedCerts: boolean;
  tidyExpiredIssuers: boolean;
  safetyBuffer: number;
  issuerSafetyBuffer: number;
  pauseDurationMs: number;
}

export const TIDY_DEFAULTS: Readonly<TidyOptions> = Object.freeze({
  tidyCertStore: false,
  tidyRevokedCerts: false,
  tidyExpiredIssuers: false,
  safetyBuffer: 72 * 3600,
  issuerSafetyBuffer: 365 * 24 * 3600,
  pauseDurationMs: 0,
});

export interface AutoTidyConfig extends TidyOptions {
  enabled: boolean;
  intervalDuration: number;
}

export const AUTO_TIDY_DEFAULTS: Readonly<AutoTidyConfig> = Object.freeze({ ...TIDY_DEFAULTS, enabled: false, intervalDuration: 12 * 3600 });

export type TidyEndState = 'Finished' | 'Cancelled' | 'Error';
export type TidiedKind = 'cert_store' | 'revoked';

export type TidyEvent =
  | DomainEvent<'TidyStarted', { tidyId: string; options: TidyOptions; auto: boolean; at: string }>
  | DomainEvent<'CertificatesTidied', { tidyId: string; kind: TidiedKind; serials: string[]; at: string }>
  | DomainEvent<'TidyFinished', { tidyId: string; state: TidyEndState; error?: string; at: string }>;

export type TidyState = { status: 'none' } | { status: 'running' | 'ended'; tidyId: string };

export type TidyCommand =
  | { type: 'StartTidy'; data: { tidyId: string; options: TidyOptions; auto: boolean }; now: Date }
  | { type: 'RecordTidied'; data: { kind: TidiedKind; serials: string[] }; now: Date }
  | { type: 'FinishTidy'; data: { state: TidyEndState; error?: string }; now: Date };

function decide(command: TidyCommand, state: TidyState): TidyEvent[] {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'StartTidy': {
      if (state.status !== 'none') throw conflict('tidy_exists', `tidy ${command.data.tidyId} already started`);
      const { options } = command.data;
      if (options.safetyBuffer < 1) throw invalid('invalid_safety_buffer', 'safety_buffer must be greater than zero');
      if (options.issuerSafetyBuffer < 1) throw invalid('invalid_safety_buffer', 'issuer_safety_buffer must be greater than zero');
      if (options.pauseDurationMs < 0) throw invalid('invalid_pause_duration', 'pause_duration must be greater or equal to zero');
      return [{ type: 'TidyStarted', data: { ...command.data, at } }];
    }
    case 'RecordTidied':
      if (state.status !== 'running') throw conflict('tidy_not_running', 'tidy is not running');
      return command.data.serials.length ? [{ type: 'CertificatesTidied', data: { tidyId: state.tidyId, ...command.data, at } }] : [];
    case 'FinishTidy': {
      if (state.status !== 'running') throw conflict('tidy_not_running', 'tidy is not running');
      const { state: end, error } = command.data;
      return [{ type: 'TidyFinished', data: { tidyId: state.tidyId, state: end, ...(error ? { error } : {}), at } }];
    }
    default:
      return unreachable(command);
  }
}

function evolve(state: TidyState, event: TidyEvent): TidyState {
  switch (event.type) {
    case 'TidyStarted':
      return { status: 'running', tidyId: event.data.tidyId };
    case 'CertificatesTidied':
      return state;
    case 'TidyFinished':
      return { status: 'ended', tidyId: event.data.tidyId };
    default:
      return unreachable(event);
  }
}

export const tidyDecider: Decider<TidyCommand, TidyEvent, TidyState> = { initialState: () => ({ status: 'none' }), decide, evolve };
