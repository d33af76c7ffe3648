/** Every application service of the OpenBao-compatible API, built once per process from the core. */
import type { Core } from '../../core.js';
import { CaService } from './ca-service.js';
import { ConfigService } from './config-service.js';
import { createPkiContext, type PkiContext } from './context.js';
import { ImportService } from './import-service.js';
import { IssueService } from './issue-service.js';
import { IssuerAdmin } from './issuer-admin.js';
import { KeyAdmin } from './key-admin.js';
import { PolicyService } from './policy-service.js';
import { RevokeService } from './revoke-service.js';
import { RoleService } from './role-service.js';
import { TidyService } from './tidy-service.js';
import { TokenService } from './token-service.js';

export interface PkiServices {
  ctx: PkiContext;
  roles: RoleService;
  issue: IssueService;
  revoke: RevokeService;
  ca: CaService;
  imports: ImportService;
  issuers: IssuerAdmin;
  keys: KeyAdmin;
  config: ConfigService;
  tidy: TidyService;
  tokens: TokenService;
  policies: PolicyService;
}

export function createPkiServices(core: Core): PkiServices {
  const ctx = createPkiContext(core);
  return {
    ctx,
    roles: new RoleService(core),
    issue: new IssueService(ctx),
    revoke: new RevokeService(ctx),
    ca: new CaService(ctx),
    imports: new ImportService(ctx),
    issuers: new IssuerAdmin(ctx),
    keys: new KeyAdmin(ctx),
    config: new ConfigService(ctx),
    tidy: new TidyService(ctx),
    tokens: new TokenService(core),
    policies: new PolicyService(core, ctx.queries.policies),
  };
}
