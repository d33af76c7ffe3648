/** The read-model queries GraphQL resolvers use, over one database: the live read models or a rebuilt past state. */
import { AuditPageQueries } from '../../projections/audit-pages.js';
import { CertificatePageQueries } from '../../projections/certificate-pages.js';
import { CredentialQueries } from '../../projections/credentials.js';
import { EstProfileQueries } from '../../projections/est-profiles.js';
import { IssuerQueries } from '../../projections/issuers.js';
import { OtpListQueries } from '../../projections/otp-list.js';
import type { ReadModelDb } from '../../projections/readmodel-db.js';
import { RevocationQueries } from '../../projections/revocation.js';
import { RoleQueries } from '../../projections/roles.js';
import { StatsQueries } from '../../projections/stats.js';

export interface GraphReads {
  certificates: CertificatePageQueries;
  issuers: IssuerQueries;
  audit: AuditPageQueries;
  stats: StatsQueries;
  otps: OtpListQueries;
  credentials: CredentialQueries;
  estProfiles: EstProfileQueries;
  roles: RoleQueries;
  revocation: RevocationQueries;
}

export function graphReads(db: ReadModelDb): GraphReads {
  return {
    certificates: new CertificatePageQueries(db),
    issuers: new IssuerQueries(db),
    audit: new AuditPageQueries(db),
    stats: new StatsQueries(db),
    otps: new OtpListQueries(db),
    credentials: new CredentialQueries(db),
    estProfiles: new EstProfileQueries(db),
    roles: new RoleQueries(db),
    revocation: new RevocationQueries(db),
  };
}
