/**
 * The load client every enrollment benchmark shares: HTTPS POSTs driven closed-loop (N devices, each sending its
 * next request when the previous one is answered) or open-loop (a fixed arrival rate, latency measured from the
 * intended send time so a slow server cannot hide queueing). Counts answers by status and TLS resumptions.
 */
import { Agent, request, type AgentOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface Answer {
  status: number;
  body: Buffer;
  /** The TLS session was resumed for this request's connection (a ticket or session id was accepted). */
  resumed: boolean;
  /** The request opened a new connection (its socket carried no request before). */
  newConnection: boolean;
}

/** One request of a run; `i` counts requests so each can pick its own CSR. */
export type Send = (i: number) => Promise<Answer>;

export interface RunStats {
  seconds: number;
  /** Answered 2xx. */
  ok: number;
  /** Latencies of the 2xx answers, ms. */
  latencies: number[];
  /** 2xx answers in each second of the run: flat under overload if the server sheds load instead of queueing. */
  okBySecond: number[];
  /** Everything that was not a 2xx: `503`, `401`, or a socket error code. */
  errors: Record<string, number>;
  resumed: number;
  newConnections: number;
  /** The first answer body seen for each error status (truncated), to tell what went wrong. */
  errorSamples: Record<string, string>;
  /** This process's CPU over the run, in cores. */
  clientCores: number;
}

const used = new WeakSet<object>();

/** POST `body` to `url` through `agent`; resolves with the whole answer (socket errors reject). */
export function post(agent: Agent, url: URL, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const socket = res.socket as TLSSocket;
      const newConnection = !used.has(socket);
      used.add(socket);
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), resumed: newConnection && socket.isSessionReused(), newConnection }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export type ConnectionMode = 'keep-alive' | 'new-connection' | 'resumption';

/**
 * An agent per connection mode: keep-alive reuses `maxSockets` connections; new-connection makes a full handshake
 * per request (no session cache); resumption makes a new connection per request but offers the agent's cached
 * TLS session (ticket), as a returning device would. `measureRun` reports how many connections a run opened.
 */
export function agentFor(mode: ConnectionMode, maxSockets: number, tls: AgentOptions): Agent {
  if (mode === 'keep-alive') return new Agent({ ...tls, keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  // keepAlive false with unlimited sockets is what makes node send `Connection: close`; with a socket limit, a request
  // queued behind the limit would be handed a finished request's socket. The closed loop bounds concurrency itself.
  return new Agent({ ...tls, keepAlive: false, maxSockets: Infinity, maxCachedSessions: mode === 'resumption' ? 100 : 0 });
}

function collector(startedAt: number) {
  const stats = { ok: 0, latencies: [] as number[], okBySecond: [] as number[], errors: {} as Record<string, number>, errorSamples: {} as Record<string, string>, resumed: 0, newConnections: 0 };
  const count = (key: string) => (stats.errors[key] = (stats.errors[key] ?? 0) + 1);
  return {
    stats,
    count,
    record(answer: Answer, latencyMs: number) {
      if (answer.newConnection) stats.newConnections++;
      if (answer.resumed) stats.resumed++;
      if (answer.status >= 200 && answer.status < 300) {
        stats.ok++;
        stats.latencies.push(latencyMs);
        const second = Math.floor((performance.now() - startedAt) / 1000);
        stats.okBySecond[second] = (stats.okBySecond[second] ?? 0) + 1;
      } else {
        count(String(answer.status));
        stats.errorSamples[answer.status] ??= answer.body.toString().slice(0, 200);
      }
    },
    fail(error: unknown) {
      count((error as NodeJS.ErrnoException).code ?? 'error');
    },
  };
}

function finish(c: ReturnType<typeof collector>, startedAt: number, cpu: NodeJS.CpuUsage): RunStats {
  const seconds = (performance.now() - startedAt) / 1000;
  const usage = process.cpuUsage(cpu);
  const okBySecond = Array.from(c.stats.okBySecond, (n) => n ?? 0);
  return { ...c.stats, okBySecond, seconds, clientCores: (usage.user + usage.system) / 1e6 / seconds };
}

/** `concurrency` devices, each sending back to back for `seconds`. */
export async function closedLoop(send: Send, concurrency: number, seconds: number): Promise<RunStats> {
  let next = 0;
  const cpu = process.cpuUsage();
  const startedAt = performance.now();
  const c = collector(startedAt);
  const deadline = startedAt + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          c.record(await send(next++), performance.now() - t0);
        } catch (error) {
          c.fail(error);
        }
      }
    }),
  );
  return finish(c, startedAt, cpu);
}

/**
 * Requests arrive at `ratePerSecond` for `seconds` whatever the answers do; latency runs from each request's
 * intended start. More than `maxOutstanding` unanswered requests are not sent and count as `client_backlog`.
 */
export async function openLoop(send: Send, ratePerSecond: number, seconds: number, maxOutstanding = 4096): Promise<RunStats> {
  let issued = 0;
  let outstanding = 0;
  const inFlight = new Set<Promise<void>>();
  const cpu = process.cpuUsage();
  const startedAt = performance.now();
  const c = collector(startedAt);
  const total = Math.round(ratePerSecond * seconds);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - startedAt) / 1000) * ratePerSecond));
      while (issued < due) {
        const intended = startedAt + (issued / ratePerSecond) * 1000;
        const i = issued++;
        if (outstanding >= maxOutstanding) {
          c.count('client_backlog');
          continue;
        }
        outstanding++;
        const done = send(i).then(
          (answer) => c.record(answer, performance.now() - intended),
          (error) => c.fail(error),
        );
        const tracked = done.finally(() => {
          outstanding--;
          inFlight.delete(tracked);
        });
        inFlight.add(tracked);
      }
      if (issued >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(inFlight);
  return finish(c, startedAt, cpu);
}
