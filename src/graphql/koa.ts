/**
 * Mounts yoga in koa: requests to the GraphQL path are answered by yoga writing straight to the Node response
 * (SSE streams flush as events arrive); past states the request leased are released once the response is done.
 * `drain` waits for the responses in flight, so that a shutdown that ended the subscriptions first finds their
 * connections idle and can close them at once.
 */
import type { YogaServerInstance } from 'graphql-yoga';
import type Koa from 'koa';
import type { GraphqlContext, ServerContext } from './context.js';

/** Queries are small; anything bigger is refused before yoga reads it. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface KoaGraphql {
  middleware: Koa.Middleware;
  drain(timeoutMs: number): Promise<void>;
}

export function koaGraphql(yoga: YogaServerInstance<ServerContext, GraphqlContext>, path: string): KoaGraphql {
  const inFlight = new Set<Promise<void>>();
  const middleware: Koa.Middleware = async (ctx, next) => {
    if (ctx.path !== path) return next();
    if (Number(ctx.get('content-length') || 0) > MAX_BODY_BYTES) {
      ctx.status = 413;
      ctx.body = { errors: [{ message: `request body larger than ${MAX_BODY_BYTES} bytes`, extensions: { code: 'BAD_USER_INPUT' } }] };
      return;
    }
    const server: ServerContext = { koa: ctx, leases: [] };
    ctx.respond = false;
    // yoga resolves once it has handed the body over; a streamed (SSE) body ends later, when the response closes.
    const done = new Promise<void>((resolve) => ctx.res.once('close', resolve));
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
    try {
      await yoga.handle(ctx.req, ctx.res, server);
    } finally {
      for (const lease of server.leases) lease.release();
    }
  };
  return {
    middleware,
    async drain(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([Promise.all(inFlight), timeout]);
      clearTimeout(timer);
    },
  };
}
