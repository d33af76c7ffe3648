/** Bearer-token authentication against a fixed set of accepted secrets, compared in constant time. */
import type Koa from 'koa';
import { constantTimeEqual } from '../../app/secrets.js';
import { HttpError } from '../errors.js';

export function bearerToken(ctx: Koa.Context): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'));
  return match?.[1].trim();
}

export function requireBearer(accepted: () => string[]): Koa.Middleware {
  return async (ctx, next) => {
    const presented = bearerToken(ctx);
    if (!presented) throw new HttpError(401, 'missing bearer token', { 'WWW-Authenticate': 'Bearer' });
    // Compare against every accepted secret, so timing does not reveal which one (if any) matched.
    const matches = accepted().map((secret) => constantTimeEqual(presented, secret));
    if (!matches.includes(true)) throw new HttpError(401, 'invalid bearer token', { 'WWW-Authenticate': 'Bearer' });
    ctx.state.authMethod = 'bearer';
    await next();
  };
}
