/** /admin/otp: one-time enrollment passwords. The secret is returned once at creation and stored only as a hash. */
import Router from '@koa/router';
import type { Core } from '../../core.js';
import { OtpService } from '../../app/otp-service.js';
import { parseDuration } from '../../domain/duration.js';
import { HttpError } from '../errors.js';
import { readJson } from '../middleware/body.js';
import { adminMetadata } from './auth.js';
import { rejectUnknownFields, timestamp } from './params.js';

const DEFAULT_TTL = '24h';
/** A one-time password is for onboarding, not a standing credential: a year is the longest it may live. */
const MAX_TTL_SECONDS = 365 * 86_400;

interface OtpRequest {
  label: string;
  /** Seconds. */
  ttl: number;
  maxUses: number;
  profile?: string;
}

/** Validates the JSON body of POST /admin/otp: `{label, ttl?, max_uses?, profile?}`. */
export function parseOtpRequest(body: Record<string, unknown>): OtpRequest {
  rejectUnknownFields(body, ['label', 'ttl', 'max_uses', 'profile']);
  const { label, ttl = DEFAULT_TTL, max_uses: maxUses = 1, profile } = body;
  if (typeof label !== 'string' || !label.trim()) throw new HttpError(400, '"label" is required: a non-empty string');
  const seconds = typeof ttl === 'string' || typeof ttl === 'number' ? parseDuration(ttl) : undefined;
  if (seconds === undefined || seconds <= 0) throw new HttpError(400, '"ttl" must be a duration like "24h", "7d" or "1h30m", or a number of seconds');
  if (seconds > MAX_TTL_SECONDS) throw new HttpError(400, '"ttl" must be at most 365d');
  if (typeof maxUses !== 'number' || !Number.isInteger(maxUses)) throw new HttpError(400, '"max_uses" must be an integer');
  if (profile !== undefined && (typeof profile !== 'string' || !profile)) throw new HttpError(400, '"profile" must be a non-empty string');
  return { label, ttl: seconds, maxUses, ...(profile ? { profile } : {}) };
}

export function otpRoutes(core: Core): Router {
  const router = new Router();
  const otps = new OtpService(core.commands);

  router.post('/otp', async (ctx) => {
    const created = await otps.create(parseOtpRequest(await readJson(ctx)), adminMetadata(ctx));
    await core.runner.waitFor(created.position);
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { token_id: created.tokenId, token: created.token, expires: timestamp(created.expires), label: created.label, max_uses: created.maxUses };
  });

  router.get('/otp', (ctx) => {
    ctx.body = core.queries.credentials.activeOtps(new Date()).map((otp) => ({
      token_id: otp.tokenId,
      label: otp.label,
      max_uses: otp.maxUses,
      uses: otp.uses,
      profile: otp.profile,
      created: timestamp(otp.issuedAt),
      expires: timestamp(otp.expiresAt),
    }));
  });

  router.delete('/otp/:token_id', async (ctx) => {
    const position = await otps.revoke(ctx.params.token_id, adminMetadata(ctx));
    if (position) await core.runner.waitFor(position);
    ctx.status = 204;
  });
  return router;
}
