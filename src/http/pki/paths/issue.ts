/**
 * path_issue_sign: issue, sign and sign-verbatim. One builder serves both the role-selected issuer
 * (`issue/:role`) and the path-selected one (`issuer/:issuer_ref/issue/:role`), as in OpenBao.
 */
import type { CertRequestInput } from '../../../domain/role-issuance.js';
import { ROLE_DEFAULTS } from '../../../domain/role.js';
import { parseOtherSan } from '../../../domain/role-names.js';
import type { PkiServices } from '../../../app/pki/services.js';
import type { IssuedMaterial } from '../../../app/pki/issue-service.js';
import { HttpError } from '../../errors.js';
import type { FieldData, FieldSchema } from '../fields.js';
import type { PathSpec, PkiRequest } from '../framework.js';
import { certificateData, FORMAT_FIELDS } from '../responses.js';

export const NAME_FIELDS: FieldSchema = {
  common_name: { type: 'string', description: 'The requested CN.' },
  alt_names: { type: 'commaStringSlice', description: 'DNS names and email addresses, comma-separated.' },
  ip_sans: { type: 'commaStringSlice' },
  uri_sans: { type: 'commaStringSlice' },
  other_sans: { type: 'commaStringSlice', description: '<oid>;UTF8:<value> entries.' },
  exclude_cn_from_sans: { type: 'bool' },
  serial_number: { type: 'string', description: "The subject's serialNumber attribute (not the certificate serial)." },
  user_ids: { type: 'commaStringSlice' },
};

export const LIFETIME_FIELDS: FieldSchema = {
  ttl: { type: 'duration' },
  not_after: { type: 'string', description: 'YYYY-MM-ddTHH:MM:SSZ' },
};

const COMMON_FIELDS: FieldSchema = {
  ...NAME_FIELDS,
  ...LIFETIME_FIELDS,
  ...FORMAT_FIELDS,
  remove_roots_from_chain: { type: 'bool' },
};

const ISSUE_FIELDS: FieldSchema = { ...COMMON_FIELDS, key_type: { type: 'string' }, key_bits: { type: 'int' } };
const SIGN_FIELDS: FieldSchema = { ...COMMON_FIELDS, csr: { type: 'string' } };
const VERBATIM_FIELDS: FieldSchema = {
  ...LIFETIME_FIELDS,
  ...FORMAT_FIELDS,
  csr: { type: 'string' },
  key_usage: { type: 'commaStringSlice', default: ROLE_DEFAULTS.keyUsage },
  ext_key_usage: { type: 'commaStringSlice' },
  ext_key_usage_oids: { type: 'commaStringSlice' },
  signature_bits: { type: 'int' },
  use_pss: { type: 'bool' },
  remove_roots_from_chain: { type: 'bool' },
  user_ids: { type: 'commaStringSlice' },
  basic_constraints_valid_for_non_ca: { type: 'bool' },
};

/** The name and lifetime parameters of an issue/sign request, for the role checks. */
export function certRequestInput(data: FieldData): CertRequestInput {
  const has = (name: string) => data.has(name);
  let otherSans;
  try {
    otherSans = has('other_sans') ? data.list('other_sans').map(parseOtherSan) : [];
  } catch (error) {
    throw new HttpError(400, `could not parse requested other SAN: ${(error as Error).message}`);
  }
  return {
    commonName: has('common_name') ? data.string('common_name') : '',
    altNames: has('alt_names') ? data.list('alt_names') : [],
    ipSans: has('ip_sans') ? data.list('ip_sans') : [],
    uriSans: has('uri_sans') ? data.list('uri_sans') : [],
    otherSans,
    serialNumber: has('serial_number') ? data.string('serial_number') : '',
    userIds: has('user_ids') ? data.list('user_ids') : [],
    excludeCnFromSans: has('exclude_cn_from_sans') && data.bool('exclude_cn_from_sans'),
    ttl: has('ttl') ? data.int('ttl') : 0,
    notAfter: has('not_after') ? data.string('not_after') : '',
  };
}

function answer(material: IssuedMaterial, data: FieldData) {
  const removeRoots = data.has('remove_roots_from_chain') && data.bool('remove_roots_from_chain');
  return {
    data: certificateData({ certDer: material.certificate.certDer, caChain: material.caChain, ...(material.privateKey ? { privateKey: material.privateKey } : {}) }, data, { removeRoots }),
    warnings: material.warnings,
  };
}

type Builder = (services: PkiServices, request: PkiRequest, issuerRef: string | undefined) => Promise<IssuedMaterial>;

const issue: Builder = (services, { params, data, metadata }, issuerRef) =>
  services.issue.issue({ roleName: params.role, ...(issuerRef ? { issuerRef } : {}), input: certRequestInput(data), keyType: data.string('key_type'), keyBits: data.int('key_bits'), metadata });

const sign: Builder = (services, { params, data, metadata }, issuerRef) =>
  services.issue.sign({ roleName: params.role, ...(issuerRef ? { issuerRef } : {}), input: certRequestInput(data), csr: data.string('csr'), metadata });

const signVerbatim: Builder = (services, { params, data, metadata }, issuerRef) =>
  services.issue.signVerbatim({
    ...(params.role ? { roleName: params.role } : {}),
    ...(issuerRef ? { issuerRef } : {}),
    csr: data.string('csr'),
    input: certRequestInput(data),
    usages: { keyUsage: data.list('key_usage'), extKeyUsage: data.list('ext_key_usage'), extKeyUsageOids: data.list('ext_key_usage_oids') },
    metadata,
  });

/** `<path>` (role's issuer) and `issuer/:issuer_ref/<path>` (path's issuer) from one builder. */
function withIssuerVariant(services: PkiServices, path: string, fields: FieldSchema, build: Builder): PathSpec[] {
  const spec = (pattern: string, fromPath: boolean): PathSpec => ({
    pattern,
    fields,
    operations: { update: async (request) => answer(await build(services, request, fromPath ? request.params.issuer_ref : undefined), request.data) },
  });
  return [spec(path, false), spec(`issuer/:issuer_ref/${path}`, true)];
}

export function issuePaths(services: PkiServices): PathSpec[] {
  return [
    ...withIssuerVariant(services, 'issue/:role', ISSUE_FIELDS, issue),
    ...withIssuerVariant(services, 'sign/:role', SIGN_FIELDS, sign),
    ...withIssuerVariant(services, 'sign-verbatim', VERBATIM_FIELDS, signVerbatim),
    ...withIssuerVariant(services, 'sign-verbatim/:role', VERBATIM_FIELDS, signVerbatim),
  ];
}
