/** Wires the tree head service to a Signet core: the audit key, signing in the pool, resuming from the read model. */
import type { Core } from '../core.js';
import { ensureAuditKey } from './audit-key.js';
import { TreeHeadService } from './head-service.js';
import { TreeHeadQueries } from './tree-heads-projection.js';

export async function openTreeHeadService(core: Core): Promise<TreeHeadService> {
  const service = new TreeHeadService({
    store: core.store,
    logger: core.logger,
    signer: async () => {
      const key = await ensureAuditKey(core);
      const pool = core.pool;
      if (!pool) throw new Error('tree heads are signed in the signing pool, which this process does not run');
      return { keyId: key.keyId, sign: (payload) => pool.sign({ keyId: key.keyId, wrapped: key.wrapped }, payload) };
    },
  });
  await service.resume(new TreeHeadQueries(core.readDb).latest());
  return service;
}

/** The server's periodic heads: every `intervalSeconds` when new events exist (0 turns them off). */
export async function startTreeHeads(core: Core, intervalSeconds: number): Promise<TreeHeadService> {
  const service = await openTreeHeadService(core);
  service.start(intervalSeconds * 1000);
  return service;
}
