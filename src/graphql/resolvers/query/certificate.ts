/** Query.certificate: one certificate by serial, or NOT_FOUND. */
import { notFound } from '../../errors.js';
import type { QueryResolvers } from '../../generated/resolvers.js';
import { hexSerial } from '../../inputs.js';
import { scoped } from '../../scope.js';

export const certificate: QueryResolvers['certificate'] = async (_parent, args, context) => {
  const scope = await context.scope(args.asOf);
  const serial = hexSerial(args.serial, 'serial');
  const row = await scope.loaders.certificate.load(serial);
  if (!row) throw notFound(`no certificate with serial ${serial}`);
  return scoped(row, scope);
};
