/**
 * Side by side on the same machine, same load client and CSR pool: cfssl's sign API (Debian golang-cfssl, a P-256
 * CA, HTTPS) without and with its SQLite certificate database, and Signet's EST simpleenroll (OTP, keep-alive,
 * every certificate's event committed before the answer). Closed loop at BENCH_CONCURRENCY; Signet's rates are
 * reported as ratios to cfssl's, and a plot is written to load/results/peer-cfssl.svg.
 * cfssl is installed with apt-get when missing and this runs as root; otherwise the peer is skipped with a message.
 * Usage: npm run bench:peer [-- --quick]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { derToPem } from '../src/crypto/pem.js';
import { estClosedRun, prepareEst } from './est-client.js';
import { agentFor, closedLoop, post, type Send } from './load-client.js';
import { measureRun, type LoadResult } from './measure.js';
import { printResults } from './report.js';
import { CONCURRENCIES, csrPool, describeRun, loadAverage, SECONDS, writeRunResults } from './settings.js';
import { startSignet } from './signet-process.js';

const WARMUP_SECONDS = 0.3;
const COMPARE_AT = 32;

/** cfssl 1.2's certdb tables (certdb/sql), created here because the Debian package ships no migrations. */
const CFSSL_SCHEMA = `
CREATE TABLE certificates (
  serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, ca_label blob, status blob NOT NULL,
  reason int, expiry timestamp, revoked_at timestamp, pem blob NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (
  serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, body blob NOT NULL, expiry timestamp,
  PRIMARY KEY(serial_number, authority_key_identifier),
  FOREIGN KEY(serial_number, authority_key_identifier) REFERENCES certificates(serial_number, authority_key_identifier));`;

const has = (command: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** cfssl on PATH, installing Debian's golang-cfssl when possible; a reason when not. */
function ensureCfssl(): string | undefined {
  if (has('cfssl')) return undefined;
  if (process.getuid?.() !== 0 || !has('apt-get')) return 'cfssl is not installed and apt-get cannot run here (needs root on Debian/Ubuntu)';
  console.error('installing golang-cfssl with apt-get ...');
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'golang-cfssl'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } catch (error) {
    return `apt-get install golang-cfssl failed: ${(error as Error).message}`;
  }
  return has('cfssl') ? undefined : 'golang-cfssl installed no cfssl binary';
}

/** A P-256 CA and a TLS certificate for 127.0.0.1 it signed, made with the openssl CLI. */
function makeCa(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca-key.pem');
  openssl('req', '-x509', '-new', '-key', 'ca-key.pem', '-subj', '/CN=cfssl bench CA', '-days', '30', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'tls-key.pem');
  openssl('req', '-new', '-key', 'tls-key.pem', '-subj', '/CN=127.0.0.1', '-out', 'tls.csr');
  writeFileSync(join(dir, 'tls.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '30', '-extfile', 'tls.ext', '-out', 'tls.pem');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ signing: { default: { expiry: '8760h', usages: ['digital signature', 'client auth'] } } }));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface Cfssl {
  child: ChildProcess;
  url: URL;
  stop(): Promise<void>;
}

async function serveCfssl(dir: string, dbConfig?: string): Promise<Cfssl> {
  const port = await freePort();
  const args = ['serve', '-address', '127.0.0.1', '-port', String(port), '-ca', 'ca.pem', '-ca-key', 'ca-key.pem', '-config', 'config.json', '-tls-cert', 'tls.pem', '-tls-key', 'tls-key.pem', '-loglevel', '4'];
  const child = spawn('cfssl', dbConfig ? [...args, '-db-config', dbConfig] : args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  const url = new URL(`https://127.0.0.1:${port}/api/v1/cfssl/sign`);
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if (await accepting(port)) return { child, url, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`cfssl serve did not start: ${log}`);
}

async function cfsslSeries(cfssl: Cfssl, caPem: string, bodies: Buffer[], label: string): Promise<LoadResult[]> {
  const series: LoadResult[] = [];
  for (const concurrency of CONCURRENCIES) {
    const agent = agentFor('keep-alive', concurrency, { ca: caPem });
    const sendRaw: Send = (i) => post(agent, cfssl.url, { 'content-type': 'application/json' }, bodies[i % bodies.length]);
    // cfssl may answer 200 with {"success": false}: counted as a 500.
    const send: Send = async (i) => {
      const answer = await sendRaw(i);
      return answer.status === 200 && !answer.body.includes('"success":true') ? { ...answer, status: 500 } : answer;
    };
    const first = await send(0);
    if (first.status !== 200) throw new Error(`cfssl sign: ${first.status} ${first.body}`);
    await closedLoop(send, concurrency, WARMUP_SECONDS);
    series.push(await measureRun(cfssl.child.pid!, label, concurrency, () => closedLoop(send, concurrency, SECONDS)));
    agent.destroy();
  }
  return series;
}

const at = (series: LoadResult[], concurrency: number) => series.find((r) => r.concurrency === concurrency) ?? series[Math.floor(series.length / 2)];

async function main() {
  console.error(`load average before: ${loadAverage()}`);
  const { ders, estBodies } = csrPool('peer-device');
  const results: LoadResult[] = [];
  const skipped = ensureCfssl();
  let noDb: LoadResult[] = [];
  let withDb: LoadResult[] = [];
  if (skipped) console.error(`SKIPPING the cfssl peer: ${skipped}. Only Signet is measured.`);
  else {
    const dir = mkdtempSync(join(tmpdir(), 'cfssl-bench-'));
    try {
      makeCa(dir);
      const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');
      const bodies = ders.map((der) => Buffer.from(JSON.stringify({ certificate_request: derToPem(der, 'CERTIFICATE REQUEST') })));
      const plain = await serveCfssl(dir);
      try {
        noDb = await cfsslSeries(plain, caPem, bodies, 'cfssl sign, no database');
      } finally {
        await plain.stop();
      }
      const dbFile = join(dir, 'certs.db');
      const db = new Database(dbFile);
      db.exec(CFSSL_SCHEMA);
      db.close();
      writeFileSync(join(dir, 'db-config.json'), JSON.stringify({ driver: 'sqlite3', data_source: dbFile }));
      const stored = await serveCfssl(dir, join(dir, 'db-config.json'));
      try {
        withDb = await cfsslSeries(stored, caPem, bodies, 'cfssl sign, SQLite certdb');
      } finally {
        await stored.stop();
      }
      const check = new Database(dbFile, { readonly: true });
      const rows = (check.prepare('SELECT count(*) AS n FROM certificates').get() as { n: number }).n;
      check.close();
      if (rows === 0) throw new Error('cfssl stored no certificate in its database: the with-database run is not what it claims');
      console.error(`  cfssl certdb holds ${rows} certificates`);
      results.push(...noDb, ...withDb);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const signet = await startSignet();
  const est: LoadResult[] = [];
  try {
    const targets = await prepareEst(signet);
    for (const concurrency of CONCURRENCIES) est.push(await estClosedRun(targets, estBodies, 'otp', 'keep-alive', concurrency, SECONDS));
    results.push(...est);
  } finally {
    await signet.stop();
  }

  printResults(`Signet EST vs cfssl sign API, same client and CSR pool, HTTPS keep-alive (${describeRun()}); load average after: ${loadAverage()}`, results);
  const ratios: Record<string, number> = {};
  if (noDb.length) {
    const signetAt = at(est, COMPARE_AT);
    ratios.vsNoDb = signetAt.perSecond / at(noDb, COMPARE_AT).perSecond;
    ratios.vsSqlite = signetAt.perSecond / at(withDb, COMPARE_AT).perSecond;
    console.log(
      `\nAt ${signetAt.concurrency} devices: Signet EST ${Math.round(signetAt.perSecond)}/s = ${ratios.vsNoDb.toFixed(2)}× cfssl storing nothing (${Math.round(at(noDb, COMPARE_AT).perSecond)}/s), ${ratios.vsSqlite.toFixed(2)}× cfssl with SQLite (${Math.round(at(withDb, COMPARE_AT).perSecond)}/s); targets: ≥ 1× and ≥ 2.5×`,
    );
  }
  writeRunResults('peer-cfssl', { ratios, results, ...(skipped ? { skipped } : {}) }, {
    title: 'Signet EST simpleenroll vs cfssl sign API (P-256, HTTPS keep-alive, closed loop)',
    series: [
      { name: 'Signet EST (OTP, durable event per cert)', points: est },
      { name: 'cfssl 1.2 sign, no database', points: noDb },
      { name: 'cfssl 1.2 sign, SQLite certdb', points: withDb },
    ],
  });
  console.error(`load average after: ${loadAverage()}`);
}

await main();
