/** The `signet` subcommands. */
import type { parseArgs as ParseArgs } from 'node:util';
import { join } from 'node:path';
import type { SignetConfig } from '../config/config.js';
import type { Logger } from '../app/logger.js';
import { OtpService } from '../app/otp-service.js';
import { parseReplayPoint, progressReporter, replayInto } from '../app/replay.js';
import { openEventStore } from '../eventstore/open.js';
import { dataPaths } from '../paths.js';
import { openCore } from '../core.js';
import { bootstrap } from '../app/bootstrap.js';
import { VERSION } from '../version.js';
import { eventstoreCommand } from './eventstore.js';
import { auditCommand } from './audit.js';
import { tokenCommand } from './token.js';

export interface CliContext {
  config: SignetConfig;
  logger: Logger;
  parseArgs: typeof ParseArgs;
}

type Command = (args: string[], ctx: CliContext) => Promise<number>;



const serve: Command = async (_args, { config, logger }) => {
  // Loaded here: the listeners' module graph is large, and every other command starts faster without it.
  const { startServer } = await import('../server.js');
  const server = await startServer(config, logger);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: finishing in-flight requests and appends');
      void server.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  logger.info('stopped');
  return 0;
};

const init: Command = async (_args, { config, logger }) => {
  const core = await openCore(config, logger, { pool: true });
  try {
    const { ca, tls } = await bootstrap(core);
    // Secrets stay in their 0600 files; only where they are is printed.
    console.log(
      JSON.stringify(
        { ca, root_token_file: core.paths.rootToken, tls: { created: tls.created, cert_file: tls.certFile, key_file: tls.keyFile } },
        null,
        2,
      ),
    );
  } finally {
    await core.close();
  }
  return 0;
};

const otp: Command = async (args, { config, logger, parseArgs }) => {
  const [sub, ...rest] = args;
  if (sub !== 'create') throw new Error('usage: signet otp create --label L [--ttl 24h] [--max-uses 1] [--profile P] [--json]');
  const { values } = parseArgs({
    args: rest,
    options: { label: { type: 'string' }, ttl: { type: 'string', default: '24h' }, 'max-uses': { type: 'string', default: '1' }, profile: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (!values.label) throw new Error('otp create: --label is required');
  const maxUses = Number(values['max-uses']);
  const core = await openCore(config, logger, { pool: false });
  try {
    const created = await new OtpService(core.commands).create(
      { label: values.label, ttl: values.ttl ?? '24h', maxUses, ...(values.profile ? { profile: values.profile } : {}) },
      { actor: 'cli', auth_method: 'local' },
    );
    await core.runner.waitFor(created.position);
    if (values.json) {
      console.log(JSON.stringify({ token_id: created.tokenId, token: created.token, expires: created.expires, label: created.label, max_uses: created.maxUses }));
    } else {
      console.log(created.token);
      console.error(`token_id ${created.tokenId}, label ${created.label}, max uses ${created.maxUses}, expires ${created.expires}`);
    }
  } finally {
    await core.close();
  }
  return 0;
};

const replay: Command = async (args, { config, parseArgs }) => {
  const { values } = parseArgs({ args, options: { until: { type: 'string' }, out: { type: 'string' } } });
  const point = parseReplayPoint(values.until);
  const paths = dataPaths(config.dataDir);
  const out = values.out ?? join(paths.replayDir, new Date().toISOString().replace(/[:.]/g, '-'));
  const store = await openEventStore(config.eventStore, paths.dataDir);
  try {
    const result = await replayInto(store, out, point, progressReporter(await store.headPosition(), (line) => console.error(line)));
    result.db.close();
    console.log(JSON.stringify({ out: result.file, until: values.until ?? 'head', position: result.position, events: result.events, tables: result.tables }, null, 2));
  } finally {
    await store.close();
  }
  return 0;
};

const version: Command = async () => {
  console.log(VERSION);
  return 0;
};

export const commands: Record<string, Command> = { serve, init, otp, replay, version, eventstore: eventstoreCommand, audit: auditCommand, token: tokenCommand };
