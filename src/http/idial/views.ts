/** The IDIAL JSON shapes of read models: EST configurations and the PKI endpoint list. */
import type { EstUpstreamRow } from '../../../projections/est-upstreams.js';
import type { IssuerRow } from '../../../projections/issuers.js';
import { issuerCanIssue } from '../../app/issuance.js';

/** IDIAL's timestamp form: `2026-03-06 10:30:45` (UTC). */
const idialTime = (iso: string | undefined) => (iso ? iso.slice(0, 19).replace('T', ' ') : '');

export function upstreamView(row: EstUpstreamRow) {
  const { settings } = row;
  return {
    id: row.id,
    last_validated: idialTime(row.lastValidated),
    server: settings.server,
    port: settings.port,
    enroll_endpoint: settings.enrollEndpoint,
    renew_endpoint: settings.renewEndpoint,
    username: settings.credentials?.username ?? '',
    password_hash: settings.credentials?.passwordHash ?? '',
    enroll_auth: settings.enrollAuth,
    renew_auth: settings.renewAuth,
    tlschain: settings.tlschain,
    cacert: row.cacert ?? '',
    validate_server: settings.validateServer,
    description: settings.description,
    ...(row.lastFailure ? { last_failure: row.lastFailure } : {}),
  };
}

/**
 * The PKI endpoints Signet issues through: its local issuers that can issue (protocol "internal", id = the
 * issuer id) and the validated upstream EST configurations (protocol "est", id = the configuration id).
 */
export function pkiEndpoints(issuers: IssuerRow[], upstreams: EstUpstreamRow[]) {
  const local = issuers
    .filter(issuerCanIssue)
    .map((issuer) => ({ id: issuer.issuerId, name: issuer.name, url: `internal:${issuer.issuerId}`, auth_method: 'api_key', tls_validation: 'none', protocol: 'internal', default: issuer.isDefault }));
  const est = upstreams
    .filter((row) => row.lastValidated)
    .map((row) => ({
      id: row.id,
      name: row.settings.description || row.settings.server,
      url: `https://${row.settings.server}:${row.settings.port}${row.settings.enrollEndpoint}`,
      auth_method: row.settings.enrollAuth === 'basic' ? 'basic_auth' : 'none',
      tls_validation: row.settings.validateServer ? 'standard' : 'disabled',
      protocol: 'est',
    }));
  return [...local, ...est];
}
