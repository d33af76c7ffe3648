/**
 * `signet audit head | verify | prove | export | key`: the tamper-evident audit log for operators and auditors.
 * Verification reads the log through the store port only, so it works the same on SQLite and KurrentDB.
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { CliContext } from './commands.js';
import { openCore, type Core } from '../core.js';
import { parseReplayPoint } from '../app/replay.js';
import { decodePem } from '../crypto/pem.js';
import { TREE_HEADS_STREAM } from '../domain/audit.js';
import { openEventStore } from '../eventstore/open.js';
import { keyFingerprint, publicKeyPem, recordedAuditKey } from '../audit/audit-key.js';
import { exportAuditTrail, type LogPoint } from '../audit/export.js';
import { readExport, type ExportFormat } from '../audit/export-format.js';
import { treeHeadOf } from '../audit/leaves.js';
import { proveConsistency, proveInclusion, type SignedHead } from '../audit/proofs.js';
import { openTreeHeadService } from '../audit/tree-heads.js';
import { treeHeadView } from '../audit/tree-head.js';
import { TreeHeadQueries, type TreeHeadRow } from '../audit/tree-heads-projection.js';
import { verifyExport, verifyStore } from '../audit/verify-log.js';
import type { VerifyReport } from '../audit/verifier.js';

const USAGE = `usage:
  signet audit head                               sign and record a tree head covering every event now
  signet audit verify [--file EXPORT] [--key PEM]  check the log (or an export) against its signed tree heads
  signet audit prove <position>                   inclusion proof of one event against the latest head (JSON)
  signet audit prove --consistency <size1> <size2> consistency proof between two signed heads (JSON)
  signet audit export [--from P|T] [--to P|T] [--format jsonl|csv] [--out FILE]
  signet audit key                                the audit public key (PEM); its fingerprint on stderr`;

type Sub = (args: string[], ctx: CliContext) => Promise<number>;

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

async function withCore<T>(ctx: CliContext, pool: boolean, run: (core: Core) => Promise<T>): Promise<T> {
  // One signing thread is plenty for a head; the CLI should not start a thread per core.
  const config = pool ? { ...ctx.config, pool: { ...ctx.config.pool, threads: 1 } } : ctx.config;
  const core = await openCore(config, ctx.logger, { pool });
  try {
    return await run(core);
  } finally {
    await core.close();
  }
}

const head: Sub = (_args, ctx) =>
  withCore(ctx, true, async (core) => {
    const service = await openTreeHeadService(core);
    const recorded = await service.record({ force: true });
    const last = recorded.at(-1);
    if (last) await core.runner.waitFor(last.position);
    print(recorded.map((r) => treeHeadView(r.head, r.position)));
    if (recorded.length === 0) console.error('signet: the log is empty: there is nothing to sign');
    return 0;
  });

function pinnedKeys(file: string | undefined): Buffer[] | undefined {
  if (!file) return undefined;
  const keys = decodePem(readFileSync(file, 'utf8')).filter((block) => block.label === 'PUBLIC KEY');
  if (keys.length === 0) throw new Error(`--key ${file}: no PUBLIC KEY block`);
  return keys.map((block) => Buffer.from(block.der));
}

function reportOutcome(report: VerifyReport): number {
  print(report);
  if (report.failure) {
    const { position, index, problem, message } = report.failure;
    console.error(`signet: audit verify FAILED at position ${position} (event #${index + 1}): ${problem}: ${message}`);
    return 1;
  }
  if (report.uncovered > 0) console.error(`signet: ${report.uncovered} events after the last signed tree head are not covered yet (record one with \`signet audit head\`)`);
  return 0;
}

const progress = (verb: string) => (events: number, position: number) => console.error(`${verb} ${events} events (position ${position})`);

const verify: Sub = async (args, { config, parseArgs }) => {
  const { values } = parseArgs({ args, options: { file: { type: 'string' }, key: { type: 'string' } } });
  const options = { pinnedKeys: pinnedKeys(values.key), onProgress: progress('verified') };
  if (values.file) {
    const lines = createInterface({ input: createReadStream(values.file), crlfDelay: Infinity });
    return reportOutcome(await verifyExport(readExport(lines), options));
  }
  const store = await openEventStore(config.eventStore, config.dataDir);
  try {
    return reportOutcome(await verifyStore(store, options));
  } finally {
    await store.close();
  }
};

async function signedHead(core: Core, row: TreeHeadRow): Promise<SignedHead> {
  const [event] = await core.store.readStream(TREE_HEADS_STREAM, { fromRevision: row.revision, maxCount: 1 });
  const data = event && treeHeadOf({ stream: event.streamId, type: event.type, data: event.data });
  if (!data) throw new Error(`tree head revision ${row.revision} is missing from the log`);
  return { head: data, position: event.position };
}

function wholeNumber(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new Error(`audit prove: ${what} must be a whole number, got "${text ?? ''}"`);
  return Number(text);
}

const prove: Sub = async (args, ctx) => {
  const { values, positionals } = ctx.parseArgs({ args, options: { consistency: { type: 'boolean', default: false } }, allowPositionals: true });
  return withCore(ctx, false, async (core) => {
    const heads = new TreeHeadQueries(core.readDb);
    if (values.consistency) {
      const [first, second] = positionals.map((p, i) => wholeNumber(p, i === 0 ? 'size1' : 'size2'));
      const rows = [first, second].map((size) => {
        const row = heads.ofSize(size);
        if (!row) throw new Error(`audit prove: no signed tree head covers exactly ${size} events`);
        return row;
      });
      print(await proveConsistency(core.store, await signedHead(core, rows[0]), await signedHead(core, rows[1])));
      return 0;
    }
    const position = wholeNumber(positionals[0], 'position');
    const latest = heads.latest();
    if (!latest) throw new Error('audit prove: no signed tree head yet; record one with `signet audit head`');
    print(await proveInclusion(core.store, position, await signedHead(core, latest)));
    return 0;
  });
};

function logPoint(text: string | undefined, option: string): LogPoint | undefined {
  let point;
  try {
    point = parseReplayPoint(text);
  } catch {
    throw new Error(`${option}: expected a store position or an ISO time, got "${text}"`);
  }
  return point === 'head' ? undefined : point;
}

/** Writes lines to a stream in chunks, waiting when it asks for a pause. */
function lineWriter(stream: Writable) {
  let buffer = '';
  const flush = async () => {
    if (buffer && !stream.write(buffer)) await once(stream, 'drain');
    buffer = '';
  };
  return {
    write: (line: string) => {
      buffer += `${line}\n`;
      return buffer.length >= 65_536 ? flush() : undefined;
    },
    flush,
  };
}

const exportTrail: Sub = async (args, ctx) => {
  const { values } = ctx.parseArgs({
    args,
    options: { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string', default: 'jsonl' }, out: { type: 'string' } },
  });
  if (values.format !== 'jsonl' && values.format !== 'csv') throw new Error(`audit export: --format must be jsonl or csv, not "${values.format}"`);
  const format: ExportFormat = values.format;
  const from = logPoint(values.from, '--from');
  const to = logPoint(values.to, '--to');
  return withCore(ctx, false, async (core) => {
    const latest = new TreeHeadQueries(core.readDb).latest();
    const out = values.out ? createWriteStream(values.out) : process.stdout;
    const writer = lineWriter(out);
    const events = await exportAuditTrail(core.store, { format, ...(from ? { from } : {}), ...(to ? { to } : {}), ...(latest ? { latestHead: latest } : {}) }, writer.write);
    await writer.flush();
    if (values.out) {
      out.end();
      await once(out, 'finish');
    }
    console.error(`exported ${events} events`);
    return 0;
  });
};

const key: Sub = (_args, ctx) =>
  withCore(ctx, false, async (core) => {
    const recorded = recordedAuditKey(core);
    if (!recorded) throw new Error('no audit key yet: it is created with the first tree head (`signet audit head`)');
    process.stdout.write(publicKeyPem(recorded.spki));
    console.error(`audit key "${recorded.keyId}", SHA-256 fingerprint ${keyFingerprint(recorded.spki)}`);
    return 0;
  });

const subcommands: Record<string, Sub> = { head, verify, prove, export: exportTrail, key };

export async function auditCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  const run = sub ? subcommands[sub] : undefined;
  if (!run) throw new Error(USAGE);
  return run(rest, ctx);
}
