/** Mutation.revokeCertificate: RevokeCertificate through the certificate decider, then the revoked certificate. */
import { recordAndWait } from '../../../app/pki/context.js';
import { certificateDecider, certificateStream } from '../../../domain/certificate.js';
import { REVOKE_PERMISSION, requirePermission } from '../../auth.js';
import { notFound } from '../../errors.js';
import type { MutationResolvers } from '../../generated/resolvers.js';
import { hexSerial } from '../../inputs.js';
import { reasonFromGraphql } from '../../mappers/certificate.js';
import { scoped } from '../../scope.js';

export const revokeCertificate: MutationResolvers['revokeCertificate'] = async (_parent, args, context) => {
  const { services, principal } = context;
  requirePermission(services.authorizer, principal, REVOKE_PERMISSION);
  const serial = hexSerial(args.serial, 'serial');
  const reason = reasonFromGraphql(args.reason ?? 'UNSPECIFIED');
  await recordAndWait(services.core, certificateStream(serial), certificateDecider, { type: 'RevokeCertificate', data: { serial, reason }, now: new Date() }, { ...principal.metadata, action: 'revoke' });
  const scope = await context.scope();
  const [row] = scope.reads.certificates.bySerials([serial], scope.now);
  if (!row) throw notFound(`no certificate with serial ${serial}`);
  return scoped(row, scope);
};
