/** HTTP(S) listeners with graceful shutdown: stop accepting, let in-flight requests finish, then close. */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config/config.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Listener {
  name: string;
  server: Server;
  /** Actual bound address (the port is real even when 0 was configured). */
  address: ListenAddress;
  url: string;
  close(): Promise<void>;
}

export async function listen(name: string, address: ListenAddress, handler: RequestHandler, tls?: ServerOptions): Promise<Listener> {
  const server: Server = tls ? createHttpsServer({ ...tls }, handler) : createHttpServer(handler);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    name,
    server,
    address: { host: bound.address, port: bound.port },
    url: `${tls ? 'https' : 'http'}://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      }),
  };
}
