/** Request body reading with a hard size limit (413) and content-type checks (415). */
import type Koa from 'koa';
import { HttpError } from '../errors.js';

export const DEFAULT_BODY_LIMIT = 64 * 1024;

export async function readBody(ctx: Koa.Context, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = Number(ctx.get('content-length') || NaN);
  if (declared > limit) throw new HttpError(413, `request body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      ctx.req.resume();
      throw new HttpError(413, `request body is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

/** The media type without parameters, lower-cased ('' when absent). */
export function mediaType(ctx: Koa.Context): string {
  return (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
}

export function requireMediaType(ctx: Koa.Context, accepted: readonly string[]): void {
  const type = mediaType(ctx);
  if (!accepted.includes(type)) {
    throw new HttpError(415, `unsupported content type "${type || '(none)'}"; expected ${accepted.join(' or ')}`);
  }
}

export async function readJson(ctx: Koa.Context, limit = DEFAULT_BODY_LIMIT): Promise<Record<string, unknown>> {
  const type = mediaType(ctx);
  if (type && type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, `unsupported content type "${type}"; expected application/json`);
  }
  const raw = await readBody(ctx, limit);
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'malformed JSON body');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'JSON body must be an object');
  return parsed as Record<string, unknown>;
}
