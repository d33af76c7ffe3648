/**
 * OpenBao clients send `LIST /v1/pki/roles`. Node's HTTP parser only knows the standard methods and answers any
 * other with a bare 400 before the application sees it, so each connection of a listener that serves the OpenBao
 * API is read through a rewriter: a request line `LIST <path> HTTP/1.x` reaches the parser as `GET` with the header
 * `X-Signet-Method: LIST`, which the OpenBao dispatcher treats as the list operation (like `GET ?list=true`).
 *
 * The rewriter tracks request boundaries (the head up to CRLFCRLF, then Content-Length bytes of body) so it only
 * ever touches request lines; after a chunked request it stops looking and passes the connection through as is.
 */
import { Duplex } from 'node:stream';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer, type TLSSocket } from 'node:tls';

export const LIST_METHOD_HEADER = 'x-signet-method';

const HEAD_END = Buffer.from('\r\n\r\n');
const LIST_PREFIX = Buffer.from('LIST ');
/** Heads larger than this are passed through untouched (Node's parser then judges them). */
const MAX_HEAD = 64 * 1024;

/** Rewrites one complete request head; returns it with the body length that follows (undefined: chunked/unknown). */
export function rewriteRequestHead(head: Buffer): { head: Buffer; bodyLength: number | undefined } {
  const text = head.toString('latin1');
  const contentLength = /\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n/i.exec(text);
  const chunked = /\r\ntransfer-encoding:[^\r\n]*chunked/i.test(text);
  const bodyLength = chunked ? undefined : contentLength ? Number(contentLength[1]) : 0;
  if (!head.subarray(0, LIST_PREFIX.length).equals(LIST_PREFIX)) return { head, bodyLength };
  const lineEnd = text.indexOf('\r\n');
  const rewritten = `GET ${text.slice(LIST_PREFIX.length, lineEnd)}\r\n${LIST_METHOD_HEADER}: LIST${text.slice(lineEnd)}`;
  return { head: Buffer.from(rewritten, 'latin1'), bodyLength };
}

/** The byte-stream state machine: heads are buffered whole, bodies and everything after a chunked request pass through. */
export class ListMethodRewriter {
  private pending: Buffer = Buffer.alloc(0);
  private bodyLeft = 0;
  private passThrough = false;

  push(chunk: Buffer): Buffer {
    if (this.passThrough) return chunk;
    const out: Buffer[] = [];
    let input: Buffer = chunk;
    while (input.length > 0) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, input.length);
        out.push(input.subarray(0, take));
        this.bodyLeft -= take;
        input = input.subarray(take);
        continue;
      }
      this.pending = this.pending.length ? Buffer.concat([this.pending, input]) : input;
      input = Buffer.alloc(0);
      const end = this.pending.indexOf(HEAD_END);
      if (end < 0) {
        if (this.pending.length > MAX_HEAD) this.giveUp(out);
        break;
      }
      const { head, bodyLength } = rewriteRequestHead(this.pending.subarray(0, end + HEAD_END.length));
      out.push(head);
      input = this.pending.subarray(end + HEAD_END.length);
      this.pending = Buffer.alloc(0);
      if (bodyLength === undefined) {
        this.passThrough = true;
        out.push(input);
        break;
      }
      this.bodyLeft = bodyLength;
    }
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  private giveUp(out: Buffer[]): void {
    out.push(this.pending);
    this.pending = Buffer.alloc(0);
    this.passThrough = true;
  }
}

/** A socket seen through the rewriter: reads are rewritten, writes and socket controls go to the real socket. */
class RewritingSocket extends Duplex {
  private readonly rewriter = new ListMethodRewriter();

  constructor(private readonly socket: Socket | TLSSocket) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      const rewritten = this.rewriter.push(chunk);
      if (rewritten.length && !this.push(rewritten)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('timeout', () => this.emit('timeout'));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy(error ?? undefined);
    callback(error);
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms, callback);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }

  get remoteAddress() {
    return this.socket.remoteAddress;
  }

  get remotePort() {
    return this.socket.remotePort;
  }

  get remoteFamily() {
    return this.socket.remoteFamily;
  }

  get localAddress() {
    return this.socket.localAddress;
  }

  get localPort() {
    return this.socket.localPort;
  }

  get encrypted(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted;
  }

  get authorized(): boolean {
    return 'authorized' in this.socket && this.socket.authorized;
  }

  getPeerCertificate(detailed?: boolean) {
    return (this.socket as TLSSocket).getPeerCertificate?.(detailed as true);
  }
}

/**
 * Makes a listening http or https server accept `LIST`: its connection handler receives rewritten sockets.
 * Call once, right after the server is created (before connections arrive).
 */
export function acceptListMethod(server: Server): void {
  const event = server instanceof TlsServer ? 'secureConnection' : 'connection';
  const handlers = server.listeners(event) as ((socket: Duplex) => void)[];
  server.removeAllListeners(event);
  server.on(event, (socket: Socket) => {
    const wrapped = new RewritingSocket(socket);
    for (const handler of handlers) handler.call(server, wrapped);
  });
}
