/**
 * Consuming one-time passwords, batched per token. The first use goes out at once; uses that arrive while it
 * commits are decided together by the otp decider and appended in one write with the stream's expected revision
 * (`handleMany`). A burst on one token thus costs a few commits, not one per request, and never more uses than
 * max_uses: the decider refuses the surplus and the expected revision fences off other nodes. A use may bring
 * the append it pays for (the certificate): it is written in the same atomic write as the use, or not at all.
 */
import { otpDecider, otpStream, type OtpCommand } from '../../domain/otp.js';
import type { AppendResult, EventMetadata, StreamAppend } from '../../eventstore/port.js';
import type { CommandHandler } from '../command-handler.js';

interface PendingUse {
  command: OtpCommand;
  paysFor?: StreamAppend;
  resolve: (paid: AppendResult | undefined) => void;
  reject: (error: unknown) => void;
}

export class OtpConsumer {
  private readonly waiting = new Map<string, PendingUse[]>();

  constructor(private readonly commands: Pick<CommandHandler, 'handleMany'>) {}

  /**
   * Resolves once the use (and `paysFor`, with the latter's result) is durable; rejects with the decider's
   * DomainError (used up, expired, revoked...), and then `paysFor` is not written either.
   */
  consume(use: { tokenId: string; label: string; profile: string; clientIp?: string; now: Date }, paysFor?: StreamAppend): Promise<AppendResult | undefined> {
    const command: OtpCommand = {
      type: 'ConsumeOtp',
      data: { tokenId: use.tokenId, profile: use.profile, ...(use.clientIp ? { clientIp: use.clientIp } : {}) },
      now: use.now,
    };
    return new Promise((resolve, reject) => {
      const pending: PendingUse = { command, paysFor, resolve, reject };
      const queue = this.waiting.get(use.tokenId);
      if (queue) {
        queue.push(pending);
        return;
      }
      this.waiting.set(use.tokenId, [pending]);
      void this.drain(use.tokenId, { action: 'otp_use', auth_method: 'otp', actor: `otp:${use.label}` });
    });
  }

  private async drain(tokenId: string, metadata: EventMetadata): Promise<void> {
    for (;;) {
      const batch = this.waiting.get(tokenId) ?? [];
      if (batch.length === 0) {
        this.waiting.delete(tokenId);
        return;
      }
      this.waiting.set(tokenId, []);
      try {
        const { outcomes, alongside } = await this.commands.handleMany(
          otpStream(tokenId),
          otpDecider,
          batch.map((use) => use.command),
          { metadata, alongside: batch.map((use) => use.paysFor) },
        );
        outcomes.forEach((outcome, i) => (outcome instanceof Error ? batch[i].reject(outcome) : batch[i].resolve(alongside[i])));
      } catch (error) {
        for (const use of batch) use.reject(error);
      }
    }
  }
}
