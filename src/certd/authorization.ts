/**
 * certd's API authentication: who may create, import or delete a certificate ID. The merged `[[principal]]`
 * tables of every config.d file decide; reading needs no authorization.
 */
import type { CertdFileConfig, CertIssuanceSetting, EstDefaults, Principal } from './config-file.js';
import { wildcardMatch } from './wildcard.js';

/** Everything config.d says, merged over its valid files. */
export interface CertdConfig {
  principals: Principal[];
  issuance: ReadonlyMap<string, CertIssuanceSetting>;
  localCaIssuer?: string;
  est?: EstDefaults;
}

export const EMPTY_CERTD_CONFIG: CertdConfig = { principals: [], issuance: new Map() };

/**
 * Merges files in the order given (certd sorts them by path): principals add up, and for `[cert_issuance]` entries
 * the later file wins, as in certd's TOML merge.
 */
export function mergeCertdConfigs(files: readonly CertdFileConfig[]): CertdConfig {
  const merged: CertdConfig & { issuance: Map<string, CertIssuanceSetting> } = { principals: [], issuance: new Map() };
  for (const file of files) {
    merged.principals.push(...file.principals);
    for (const [certId, setting] of file.issuance) merged.issuance.set(certId, setting);
    if (file.localCaIssuer) merged.localCaIssuer = file.localCaIssuer;
    if (file.est) merged.est = file.est;
  }
  return merged;
}

/** As certd: root may write any certificate; anyone else only the IDs their principals list (patterns included). */
export function mayWriteCertificate(config: Pick<CertdConfig, 'principals'>, uid: number, certId: string): boolean {
  if (uid === 0) return true;
  return config.principals.some((principal) => principal.uid === uid && principal.certs.some((pattern) => wildcardMatch(pattern, certId)));
}
