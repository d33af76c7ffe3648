/** Who may route issuance through an upstream EST configuration, and the rule that only validated ones may be assigned. */
import { invalid } from '../../domain/errors.js';
import { EstProfileQueries } from '../../../projections/est-profiles.js';
import { EstUpstreamQueries } from '../../../projections/est-upstreams.js';
import { RoleQueries } from '../../../projections/roles.js';
import type { ReadModelDb } from '../../../projections/readmodel-db.js';

export function requireValidatedUpstream(db: ReadModelDb, id: number): void {
  const row = new EstUpstreamQueries(db).get(id);
  if (!row) throw invalid('unknown_upstream', `upstream: no EST configuration ${id}`);
  if (!row.lastValidated) throw invalid('upstream_not_validated', `upstream: EST configuration ${id} is not validated; call /pki/est/validate/${id} first`);
}

/** The EST profiles and OpenBao roles that name configuration `id` as their upstream: `est-profile:<name>`, `role:<name>`. */
export function upstreamUsers(db: ReadModelDb): (id: number) => string[] {
  const profiles = new EstProfileQueries(db);
  const roles = new RoleQueries(db);
  return (id) => [
    ...profiles.list().filter((profile) => profile.settings.upstream === id).map((profile) => `est-profile:${profile.name}`),
    ...roles.names().filter((name) => roles.get(name)?.upstream === id).map((name) => `role:${name}`),
  ];
}
