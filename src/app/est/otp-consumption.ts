/**
 * Consuming one-time passwords, batched per token. The first use goes out at once; uses that arrive while it
 * commits are decided together by the otp decider and appended in one write with the stream's expected revision
 * (`handleMany`). A burst on one token thus costs a few commits, not one per request, and never more uses than
 * max_uses: the decider refuses the surplus and the expected revision fences off other nodes.
 */
import { otpDecider, otpStream, type OtpCommand } from '../../domain/otp.js';
import type { EventMetadata } from '../../eventstore/port.js';
import type { CommandHandler } from '../command-handler.js';

interface PendingUse {
  command: OtpCommand;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class OtpConsumer {
  private readonly waiting = new Map<string, PendingUse[]>();

  constructor(private readonly commands: Pick<CommandHandler, 'handleMany'>) {}

  /** Resolves once the use is durable; rejects with the decider's DomainError (used up, expired, revoked...). */
  consume(use: { tokenId: string; label: string; profile: string; clientIp?: string; now: Date }): Promise<void> {
    const command: OtpCommand = {
      type: 'ConsumeOtp',
      data: { tokenId: use.tokenId, profile: use.profile, ...(use.clientIp ? { clientIp: use.clientIp } : {}) },
      now: use.now,
    };
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(use.tokenId);
      if (queue) {
        queue.push({ command, resolve, reject });
        return;
      }
      this.waiting.set(use.tokenId, [{ command, resolve, reject }]);
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
        const { outcomes } = await this.commands.handleMany(otpStream(tokenId), otpDecider, batch.map((use) => use.command), { metadata });
        outcomes.forEach((outcome, i) => (outcome instanceof Error ? batch[i].reject(outcome) : batch[i].resolve()));
      } catch (error) {
        for (const use of batch) use.reject(error);
      }
    }
  }
}
