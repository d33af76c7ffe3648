/** One-time passwords: issued for device onboarding, consumed by EST enrollment, revoked by operators. */
import { randomUUID } from 'node:crypto';
import { parseDuration } from '../domain/duration.js';
import { invalid } from '../domain/errors.js';
import { otpDecider, otpStream } from '../domain/otp.js';
import type { EventMetadata } from '../eventstore/port.js';
import type { CommandHandler } from './command-handler.js';
import { hashSecret, newSecret } from './secrets.js';

export interface CreatedOtp {
  tokenId: string;
  /** Shown once; only its hash is recorded. */
  token: string;
  label: string;
  maxUses: number;
  expires: string;
  position: number;
}

export class OtpService {
  constructor(private readonly commands: CommandHandler) {}

  async create(input: { label: string; ttl: string | number; maxUses?: number; profile?: string }, metadata: EventMetadata = {}, now = new Date()): Promise<CreatedOtp> {
    const seconds = parseDuration(input.ttl);
    if (seconds === undefined || seconds <= 0) throw invalid('invalid_ttl', `invalid ttl "${input.ttl}": use a duration like 90s, 15m, 24h, 7d or 1h30m`);
    if (!input.label?.trim()) throw invalid('label_required', 'label must not be empty');
    const tokenId = randomUUID();
    const token = newSecret('otp_');
    const expiresAt = new Date(now.getTime() + seconds * 1000).toISOString();
    const maxUses = input.maxUses ?? 1;
    const result = await this.commands.handle(
      otpStream(tokenId),
      otpDecider,
      {
        type: 'IssueOtp',
        data: { tokenId, label: input.label.trim(), hash: hashSecret(token), maxUses, expiresAt, ...(input.profile ? { profile: input.profile } : {}) },
        now,
      },
      { metadata: { ...metadata, action: 'otp_generate' } },
    );
    return { tokenId, token, label: input.label.trim(), maxUses, expires: expiresAt, position: result.position ?? 0 };
  }

  async revoke(tokenId: string, metadata: EventMetadata = {}, now = new Date()): Promise<number | undefined> {
    const result = await this.commands.handle(otpStream(tokenId), otpDecider, { type: 'RevokeOtp', data: { tokenId }, now }, { metadata });
    return result.position;
  }
}
