/** Signed tree heads as a read model: the latest head (for proofs and for resuming the tree) and heads by size. */
import type { Projection, RowOp } from '../../projections/projection.js';
import type { ReadModelDb } from '../../projections/readmodel-db.js';

export const treeHeadsProjection: Projection = {
  name: 'audit_tree_heads',
  version: 1,
  tables: {
    audit_tree_heads: [
      `CREATE TABLE IF NOT EXISTS audit_tree_heads (
        revision INTEGER PRIMARY KEY,
        position INTEGER NOT NULL,
        tree_size INTEGER NOT NULL,
        root_hash TEXT NOT NULL,
        timestamp INTEGER NOT NULL,
        key_id TEXT NOT NULL,
        signature TEXT NOT NULL
      )`,
      'CREATE INDEX IF NOT EXISTS audit_tree_heads_size ON audit_tree_heads (tree_size)',
    ],
  },
  canHandle: ['TreeHeadSigned'],
  reduce(event): RowOp[] {
    if (event.type !== 'TreeHeadSigned') return [];
    const d = event.data;
    return [
      {
        op: 'insert',
        table: 'audit_tree_heads',
        row: { revision: event.revision, position: event.position, tree_size: d.treeSize, root_hash: d.rootHash, timestamp: d.timestamp, key_id: d.keyId, signature: d.signature },
      },
    ];
  },
};

export interface TreeHeadRow {
  revision: number;
  position: number;
  treeSize: number;
  rootHash: string;
  timestamp: number;
  keyId: string;
  signature: string;
}

const toRow = (r: Record<string, unknown>): TreeHeadRow => ({
  revision: r.revision as number,
  position: r.position as number,
  treeSize: r.tree_size as number,
  rootHash: r.root_hash as string,
  timestamp: r.timestamp as number,
  keyId: r.key_id as string,
  signature: r.signature as string,
});

export class TreeHeadQueries {
  private readonly latestHead;
  private readonly headOfSize;
  constructor(db: ReadModelDb) {
    this.latestHead = db.prepare('SELECT * FROM audit_tree_heads ORDER BY revision DESC LIMIT 1');
    this.headOfSize = db.prepare('SELECT * FROM audit_tree_heads WHERE tree_size = ? ORDER BY revision LIMIT 1');
  }

  latest(): TreeHeadRow | undefined {
    const raw = this.latestHead.get();
    return raw ? toRow(raw as Record<string, unknown>) : undefined;
  }

  ofSize(treeSize: number): TreeHeadRow | undefined {
    const raw = this.headOfSize.get(treeSize);
    return raw ? toRow(raw as Record<string, unknown>) : undefined;
  }
}
