/** What an EST client presented: the Authorization header and the TLS client chain of its connection. */
import type { TLSSocket } from 'node:tls';
import type Koa from 'koa';
import type { EstCredentials } from '../../app/est/authentication.js';

const MAX_CHAIN = 8;

interface LinkedPeerCertificate {
  raw?: Buffer;
  issuerCertificate?: LinkedPeerCertificate;
}

/** The DER certificates of a TLS peer, leaf first, from Node's linked `getPeerCertificate(true)` form. */
export function peerChainDers(peer: LinkedPeerCertificate | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  let current = peer;
  while (current?.raw && out.length < MAX_CHAIN) {
    out.push(current.raw);
    const next = current.issuerCertificate;
    if (!next || next === current || next.raw?.equals(current.raw)) break;
    current = next;
  }
  return out;
}

/** A connection's client chain does not change, so it is read once per connection. */
const chains = new WeakMap<object, Uint8Array[]>();

function peerChain(socket: object): Uint8Array[] {
  let chain = chains.get(socket);
  if (!chain) {
    const tls = socket as Partial<TLSSocket>;
    chain = typeof tls.getPeerCertificate === 'function' ? peerChainDers(tls.getPeerCertificate(true)) : [];
    chains.set(socket, chain);
  }
  return chain;
}

export function estCredentials(ctx: Koa.Context): EstCredentials {
  const socket = ctx.req.socket;
  const authorization = ctx.get('authorization');
  return {
    ...(authorization ? { authorization } : {}),
    peerChain: () => peerChain(socket),
    connection: socket,
  };
}
