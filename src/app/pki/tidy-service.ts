/**
 * Tidy (OpenBao tidy, tidy-status, tidy-cancel, config/auto-tidy): certificates expired for longer than the safety
 * buffer leave the read models through CertificatesTidied events on the run's own stream `tidy-<id>`; expired
 * issuers past issuer_safety_buffer are deleted (never the default). The log itself is never rewritten.
 * One run at a time per process; auto-tidy starts a run every interval_duration while enabled.
 */
import { randomUUID } from 'node:crypto';
import { tidyDecider, tidyStream, type TidiedKind, type TidyCommand, type TidyEndState, type TidyOptions } from '../../domain/tidy.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { recordAndWait, type PkiContext } from './context.js';
import { IssuerAdmin } from './issuer-admin.js';

const BATCH = 500;
const AUTO_TIDY_CHECK_MS = 60_000;

export type TidyStartOutcome = 'started' | 'already_running' | 'nothing_to_do';

interface RunningTidy {
  tidyId: string;
  cancelRequested: boolean;
  done: Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TidyService {
  private running?: RunningTidy;

  constructor(private readonly ctx: PkiContext) {}

  get current(): { tidyId: string; cancelling: boolean } | undefined {
    return this.running && { tidyId: this.running.tidyId, cancelling: this.running.cancelRequested };
  }

  /** Starts a run in the background (OpenBao answers 202 at once); `done` settles when it ends. */
  async start(options: TidyOptions, metadata: EventMetadata, auto = false): Promise<{ outcome: TidyStartOutcome; done?: Promise<void> }> {
    if (this.running) return { outcome: 'already_running' };
    const nothing = !options.tidyCertStore && !options.tidyRevokedCerts && !options.tidyExpiredIssuers;
    const tidyId = randomUUID();
    const command = (type: TidyCommand): Promise<unknown> => recordAndWait(this.ctx.core, tidyStream(tidyId), tidyDecider, type, { ...metadata, action: 'tidy' });
    await command({ type: 'StartTidy', data: { tidyId, options, auto }, now: new Date() });
    const running: RunningTidy = { tidyId, cancelRequested: false, done: Promise.resolve() };
    this.running = running;
    running.done = this.run(options, running, command).finally(() => {
      this.running = undefined;
    });
    return { outcome: nothing ? 'nothing_to_do' : 'started', done: running.done };
  }

  cancel(): boolean {
    if (!this.running) return false;
    this.running.cancelRequested = true;
    return true;
  }

  private async run(options: TidyOptions, running: RunningTidy, command: (c: TidyCommand) => Promise<unknown>): Promise<void> {
    let end: TidyEndState = 'Finished';
    let error: string | undefined;
    try {
      const cutoff = new Date(Date.now() - options.safetyBuffer * 1000).toISOString();
      const expired = this.ctx.queries.listing.expiredBefore(cutoff);
      const selected: [TidiedKind, string[]][] = [
        ['cert_store', options.tidyCertStore ? expired.filter((c) => !c.revoked).map((c) => c.serial) : []],
        ['revoked', options.tidyRevokedCerts ? expired.filter((c) => c.revoked).map((c) => c.serial) : []],
      ];
      // A pause applies between certificates, as in OpenBao; without one, batches keep the event count low.
      const size = options.pauseDurationMs > 0 ? 1 : BATCH;
      for (const [kind, serials] of selected) {
        for (let i = 0; i < serials.length; i += size) {
          if (running.cancelRequested) throw new CancelledTidy();
          await command({ type: 'RecordTidied', data: { kind, serials: serials.slice(i, i + size) }, now: new Date() });
          if (options.pauseDurationMs > 0) await sleep(options.pauseDurationMs);
        }
      }
      if (options.tidyExpiredIssuers) await this.tidyIssuers(options.issuerSafetyBuffer);
      if (running.cancelRequested) throw new CancelledTidy();
    } catch (caught) {
      if (caught instanceof CancelledTidy) end = 'Cancelled';
      else {
        end = 'Error';
        error = (caught as Error).message;
        this.ctx.core.logger.error({ err: caught }, 'tidy failed');
      }
    }
    await command({ type: 'FinishTidy', data: { state: end, ...(error ? { error } : {}) }, now: new Date() }).catch((finishError: unknown) =>
      this.ctx.core.logger.error({ err: finishError }, 'could not record the end of a tidy run'),
    );
  }

  private async tidyIssuers(bufferSeconds: number): Promise<void> {
    const cutoff = Date.now() - bufferSeconds * 1000;
    const admin = new IssuerAdmin(this.ctx);
    for (const issuer of this.ctx.core.queries.issuers.list()) {
      if (!issuer.isDefault && Date.parse(issuer.notAfter) < cutoff) await admin.delete(issuer.issuerId, { actor: 'tidy', action: 'tidy' });
    }
  }

  /**
   * Runs auto-tidy while the core is open: every minute it checks config/auto-tidy and starts a run once
   * interval_duration has passed since the last automatic one finished (or since this process started).
   */
  startAutoTidy(): () => void {
    const startedAt = Date.now();
    const timer = setInterval(() => {
      if (!this.ctx.core.readDb.open) return clearInterval(timer);
      const config = this.ctx.queries.config.autoTidy();
      if (!config.enabled || this.running) return;
      const last = this.ctx.queries.config.lastAutoTidyFinished();
      const since = last ? Date.parse(last) : startedAt;
      if (Date.now() - since < config.intervalDuration * 1000) return;
      this.start(config, { actor: 'auto-tidy', auth_method: 'local' }, true).catch((error: unknown) => this.ctx.core.logger.error({ err: error }, 'auto-tidy could not start'));
    }, AUTO_TIDY_CHECK_MS);
    timer.unref();
    return () => clearInterval(timer);
  }
}

class CancelledTidy extends Error {}
