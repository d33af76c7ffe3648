/** path_revoke: revoke (by serial or certificate) and revoke-with-key (proof of possession of the private key). */
import type { PkiServices } from '../../../app/pki/services.js';
import type { FieldSchema } from '../fields.js';
import type { PathSpec, PkiRequest } from '../framework.js';
import { unixSeconds } from '../responses.js';

const REVOKE_FIELDS: FieldSchema = {
  serial_number: { type: 'string', description: 'Hyphen- or colon-separated hexadecimal.' },
  certificate: { type: 'string', description: 'The certificate to revoke, PEM.' },
};

export function revokePaths(services: PkiServices): PathSpec[] {
  const revoke = async ({ data, metadata }: PkiRequest, withKey: boolean) => {
    const outcome = await services.revoke.revoke({
      ...(data.has('serial_number') ? { serialNumber: data.string('serial_number') } : {}),
      ...(data.has('certificate') ? { certificate: data.string('certificate') } : {}),
      ...(withKey ? { privateKey: data.string('private_key') } : {}),
      metadata,
    });
    if (!outcome.revokedAt) return { warnings: outcome.warnings };
    const at = outcome.revokedAt;
    return { data: { revocation_time: unixSeconds(at.getTime()), revocation_time_rfc3339: at.toISOString(), state: 'revoked' }, warnings: outcome.warnings };
  };
  return [
    { pattern: 'revoke', fields: REVOKE_FIELDS, operations: { update: (request) => revoke(request, false) } },
    {
      pattern: 'revoke-with-key',
      fields: { ...REVOKE_FIELDS, private_key: { type: 'string', description: 'The private key of the certificate, PEM.' } },
      operations: { update: (request) => revoke(request, true) },
    },
  ];
}
