/** The `signet` command line. Each command is a small function; errors become one clear line and a non-zero exit. */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config.js';
import { createLogger } from '../app/logger.js';
import { DomainError } from '../domain/errors.js';
import { commands } from './commands.js';

const USAGE = `usage: signet <command> [options]

commands:
  serve                       start the CA (EST, API, admin and public listeners)
  init                        create the CA, TLS material and root token if missing, then exit
  otp create --label L [--ttl 24h] [--max-uses 1] [--profile P] [--json]
                              create a one-time enrollment password (printed once)
  replay [--until <time|position>] [--out DIR]
                              rebuild every read model as of a point in history into DIR
  audit head | verify [--file F] [--key PEM] | prove <position> | prove --consistency <s1> <s2>
        | export [--from] [--to] [--format jsonl|csv] | key
                              signed tree heads, tamper checks, proofs and exports of the audit log
  token create --policy P [--ttl 768h] [--display-name N] [--json]
                              create an API token for the OpenBao-compatible API (printed once)
  eventstore copy --to <kurrentdb://…|file> [--from <spec>]
                              copy the event log to another store and verify it event by event
  version                     print the version

configuration: signet.toml (or SIGNET_CONFIG) and SIGNET_* environment variables; see README.md`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const run = commands[command];
  if (!run) {
    console.error(`signet: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  try {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    return await run(rest, { config, logger, parseArgs });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DomainError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`signet: ${(error as Error).message}`);
      return 2;
    }
    console.error(`signet: ${(error as Error).message}`);
    return 1;
  }
}
