/** `signet token create --policy P [--policy Q] [--ttl 24h] [--display-name N] [--json]`: an API token, printed once. */
import { parseDuration } from '../domain/duration.js';
import { TokenService } from '../app/pki/token-service.js';
import { openCore } from '../core.js';
import type { CliContext } from './commands.js';

const USAGE = 'usage: signet token create --policy P [--policy Q ...] [--ttl 768h] [--display-name NAME] [--json]';

export async function tokenCommand(args: string[], { config, logger, parseArgs }: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') throw new Error(USAGE);
  const { values } = parseArgs({
    args: rest,
    options: { policy: { type: 'string', multiple: true }, ttl: { type: 'string' }, 'display-name': { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (!values.policy?.length) throw new Error(`token create: --policy is required\n${USAGE}`);
  const ttlSeconds = values.ttl === undefined ? undefined : parseDuration(values.ttl);
  if (ttlSeconds === 0 || (values.ttl !== undefined && ttlSeconds === undefined)) throw new Error(`token create: invalid --ttl "${values.ttl}": use a duration like 90s, 15m, 24h or 7d`);
  const core = await openCore(config, logger, { pool: false });
  try {
    const { token, row } = await new TokenService(core).create(
      { policies: values.policy, ...(ttlSeconds ? { ttlSeconds } : {}), ...(values['display-name'] ? { displayName: values['display-name'] } : {}) },
      { actor: 'cli', auth_method: 'local' },
    );
    if (values.json) {
      console.log(JSON.stringify({ token, accessor: row.accessor, policies: row.policies, expire_time: row.expiresAt, display_name: row.displayName }));
    } else {
      console.log(token);
      console.error(`accessor ${row.accessor}, policies ${row.policies.join(',')}, expires ${row.expiresAt ?? 'never'}`);
    }
  } finally {
    await core.close();
  }
  return 0;
}
