/** `signet eventstore copy --to <spec> [--from <spec>]`: move the log to another store, then prove it arrived whole. */
import type { CliContext } from './commands.js';
import { compareEventLogs, copyEventLog } from '../app/eventstore-copy.js';
import { openEventStore } from '../eventstore/open.js';

export async function eventstoreCommand(args: string[], { config, parseArgs }: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'copy') throw new Error('usage: signet eventstore copy --to <kurrentdb://… | sqlite file> [--from <spec>]');
  const { values } = parseArgs({ args: rest, options: { from: { type: 'string' }, to: { type: 'string' } } });
  if (!values.to) throw new Error('eventstore copy: --to is required');
  const source = await openEventStore(values.from ?? config.eventStore, config.dataDir);
  const target = await openEventStore(values.to, config.dataDir);
  try {
    let lastReport = Date.now();
    const copy = await copyEventLog(source, target, (done) => {
      if (Date.now() - lastReport > 1000) {
        lastReport = Date.now();
        console.error(`copied ${done} events`);
      }
    });
    const comparison = await compareEventLogs(source, target);
    console.log(JSON.stringify({ ...copy, verified: comparison }, null, 2));
    return comparison.equal ? 0 : 1;
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}
