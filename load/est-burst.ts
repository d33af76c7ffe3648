/**
 * EST enrollment bursts against `signet serve` in its own process (fresh temp data dir, loopback, ephemeral ports):
 *   - closed loop, N devices (BENCH_CONCURRENCY, default 1,8,32,64,256) over HTTPS keep-alive, for OTP, Basic and
 *     mTLS auth;
 *   - a new TLS connection per request (full handshake), and with TLS session resumption (tickets) for returning
 *     devices;
 *   - open loop at 50 % and 80 % of the best keep-alive rate (latency from the intended send time), and at 150 %
 *     (overload: 503 + Retry-After and a flat accepted rate are expected).
 * Server CPU (cores, all threads) and peak RSS are read from /proc; the client's own CPU is reported beside them.
 * Usage: npm run bench:est [-- --quick] [-- --profile]   (knobs: load/settings.ts and load/README.md)
 */
import { openLoop, type ConnectionMode } from './load-client.js';
import { measureRun, type LoadResult } from './measure.js';
import { EST_AUTHS, enrolledCertificate, estAgent, estClosedRun, estSender, prepareEst, type EstAuth, type EstTargets } from './est-client.js';
import { printResults } from './report.js';
import { CONCURRENCIES, csrPool, describeRun, loadAverage, profileArgs, QUICK, SECONDS, writeRunResults } from './settings.js';
import { startSignet } from './signet-process.js';

const OPEN_LOOP_SOCKETS = 256;
const OVERLOAD_SOCKETS = 1024;
/**
 * The server's in-flight limit (SIGNET_MAX_IN_FLIGHT) for these runs: about the best rate times the latency an
 * operator accepts (~1,500/s × 0.15 s). The 1,024-connection overload run then meets 503s, as a fleet would.
 */
const MAX_IN_FLIGHT = process.env.SIGNET_MAX_IN_FLIGHT ?? '256';
const PARTS = ['otp', 'basic', 'mtls', 'new-connection', 'resumption', 'open-loop', 'overload'] as const;
/** BENCH_PARTS=otp,mtls runs only those parts (open-loop and overload need otp for their rate). */
const SELECTED = new Set(process.env.BENCH_PARTS?.split(',') ?? PARTS);

async function estOpenRun(targets: EstTargets, bodies: Buffer[], rate: number, label: string, sockets: number): Promise<LoadResult> {
  const agent = estAgent(targets, 'otp', 'keep-alive', sockets);
  const send = estSender(targets, 'otp', agent, bodies);
  try {
    return await measureRun(targets.signet.pid, `EST otp, open loop ${label} (${Math.round(rate)}/s offered)`, sockets, () => openLoop(send, rate, SECONDS * 2));
  } finally {
    agent.destroy();
  }
}

/** Every auth method answers a real certificate before anything is measured. */
async function validate(targets: EstTargets, bodies: Buffer[]): Promise<void> {
  for (const auth of EST_AUTHS) {
    const agent = estAgent(targets, auth, 'keep-alive', 1);
    const answer = await estSender(targets, auth, agent, bodies)(0);
    agent.destroy();
    if (answer.status !== 200) throw new Error(`EST ${auth}: ${answer.status} ${answer.body}`);
    enrolledCertificate(answer.body);
  }
}

async function main() {
  console.error(`load average before: ${loadAverage()}`);
  const { estBodies } = csrPool('est-device');
  const signet = await startSignet({ nodeArgs: profileArgs(), env: { SIGNET_MAX_IN_FLIGHT: MAX_IN_FLIGHT } });
  const results: LoadResult[] = [];
  try {
    const targets = await prepareEst(signet);
    await validate(targets, estBodies);
    const run = async (auth: EstAuth, mode: ConnectionMode, concurrencies: readonly number[], part: string = auth) => {
      const series: LoadResult[] = [];
      if (!SELECTED.has(part)) return series;
      for (const concurrency of concurrencies) series.push(await estClosedRun(targets, estBodies, auth, mode, concurrency, SECONDS));
      results.push(...series);
      return series;
    };
    const middle = CONCURRENCIES.includes(32) ? [32] : [CONCURRENCIES[Math.floor(CONCURRENCIES.length / 2)]];
    const keepAlive = await run('otp', 'keep-alive', CONCURRENCIES);
    const basic = await run('basic', 'keep-alive', QUICK ? middle : CONCURRENCIES);
    const mtls = await run('mtls', 'keep-alive', QUICK ? middle : CONCURRENCIES);
    const fresh = await run('otp', 'new-connection', CONCURRENCIES, 'new-connection');
    await run('mtls', 'new-connection', middle, 'new-connection');
    const resumed = await run('otp', 'resumption', CONCURRENCIES, 'resumption');
    if (resumed.length && resumed.every((r) => r.resumed === 0)) console.error('WARNING: no TLS session was resumed: the server issued no usable tickets');

    const max = Math.max(...keepAlive.map((r) => r.perSecond));
    if (SELECTED.has('open-loop') && keepAlive.length) for (const share of [0.5, 0.8]) results.push(await estOpenRun(targets, estBodies, max * share, `${share * 100} %`, OPEN_LOOP_SOCKETS));
    if (SELECTED.has('overload') && keepAlive.length) {
      const overload = await estOpenRun(targets, estBodies, max * 1.5, '150 %', OVERLOAD_SOCKETS);
      results.push(overload);
      console.error(`  overload: accepted per second ${overload.okBySecond.join(', ')}`);
    }

    printResults(`EST simpleenroll, signet serve in its own process (${describeRun()}); load average after: ${loadAverage()}`, results);
    writeRunResults('est-burst', { results }, {
      title: 'Signet EST simpleenroll (P-256), closed loop',
      series: [
        { name: 'OTP, keep-alive', points: keepAlive },
        { name: 'Basic, keep-alive', points: basic.length > 1 ? basic : [] },
        { name: 'mTLS, keep-alive', points: mtls.length > 1 ? mtls : [] },
        { name: 'OTP, new TLS connection per request', points: fresh },
        { name: 'OTP, TLS resumption per request', points: resumed },
      ],
    });
  } finally {
    await signet.stop();
  }
  console.error(`load average after: ${loadAverage()}`);
}

await main();
