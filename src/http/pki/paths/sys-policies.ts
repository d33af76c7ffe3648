/** `sys/policies/acl`: list, read, write and delete the ACL policies tokens refer to. */
import type { PkiServices } from '../../../app/pki/services.js';
import { HttpError } from '../../errors.js';
import type { PathSpec } from '../framework.js';
import { listResponse, PAGING_FIELDS } from '../responses.js';

export function policyPaths(services: PkiServices): PathSpec[] {
  const { policies } = services;
  return [
    { pattern: 'policies/acl', fields: PAGING_FIELDS, operations: { list: ({ data }) => listResponse(policies.names(), data) } },
    {
      pattern: 'policies/acl/:name',
      fields: { policy: { type: 'string', description: 'The policy: HCL path rules or the same as JSON.' } },
      operations: {
        read: ({ params }) => {
          const text = policies.text(params.name);
          return text === undefined ? null : { data: { name: params.name.toLowerCase(), policy: text } };
        },
        update: async ({ params, data, metadata }) => {
          if (!data.has('policy')) throw new HttpError(400, "'policy' parameter not supplied or empty");
          await policies.write(params.name, data.string('policy'), metadata);
        },
        delete: async ({ params, metadata }) => {
          await policies.delete(params.name, metadata);
        },
      },
    },
  ];
}
