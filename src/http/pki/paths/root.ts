/**
 * path_root, path_intermediate and path_sign_issuers: root/generate, root/rotate, root/replace, root DELETE,
 * intermediate/generate, intermediate/cross-sign, sign-intermediate and sign-self-issued (with their
 * issuers/generate and issuer/:ref variants).
 */
import type { PkiServices } from '../../../app/pki/services.js';
import type { CaRequest, KeyChoice } from '../../../app/pki/ca-service.js';
import { parseCertificate } from '../../../crypto/certificate.js';
import { derToPem } from '../../../crypto/pem.js';
import { exportPrivateKey } from '../../../crypto/private-key.js';
import { colonSerial } from '../../../app/pki/pem-input.js';
import { HttpError } from '../../errors.js';
import type { FieldData, FieldSchema } from '../fields.js';
import type { PathSpec, PkiRequest } from '../framework.js';
import { certFormat, certificateData, encodeCertificate, FORMAT_FIELDS, privateKeyFormat, trimmedPem, unixSeconds } from '../responses.js';
import { certRequestInput, LIFETIME_FIELDS, NAME_FIELDS } from './issue.js';

const SUBJECT_FIELDS: FieldSchema = {
  ou: { type: 'commaStringSlice' },
  organization: { type: 'commaStringSlice' },
  country: { type: 'commaStringSlice' },
  locality: { type: 'commaStringSlice' },
  province: { type: 'commaStringSlice' },
  street_address: { type: 'commaStringSlice' },
  postal_code: { type: 'commaStringSlice' },
};

const CA_NAME_FIELDS: FieldSchema = {
  ...NAME_FIELDS,
  ...LIFETIME_FIELDS,
  ...SUBJECT_FIELDS,
  ...FORMAT_FIELDS,
  not_before_duration: { type: 'duration', default: 30 },
  max_path_length: { type: 'int', default: -1 },
  permitted_dns_domains: { type: 'commaStringSlice', description: 'Name constraints: not supported by Signet.' },
  signature_bits: { type: 'int' },
  use_pss: { type: 'bool' },
};

const KEY_FIELDS: FieldSchema = {
  key_type: { type: 'string', default: 'rsa' },
  key_bits: { type: 'int' },
  key_ref: { type: 'string', default: 'default' },
  key_name: { type: 'string' },
};

const GENERATE_ROOT_FIELDS: FieldSchema = { ...CA_NAME_FIELDS, ...KEY_FIELDS, issuer_name: { type: 'string' } };
const GENERATE_INTERMEDIATE_FIELDS: FieldSchema = { ...CA_NAME_FIELDS, ...KEY_FIELDS, add_basic_constraints: { type: 'bool' } };
const SIGN_INTERMEDIATE_FIELDS: FieldSchema = {
  ...CA_NAME_FIELDS,
  csr: { type: 'string' },
  use_csr_values: { type: 'bool' },
  skid: { type: 'string', description: 'Not supported: Signet always derives the subject key identifier from the key.' },
};

function keyChoice({ params, data }: PkiRequest, type = params.exported): KeyChoice {
  return {
    type,
    keyType: data.string('key_type'),
    keyBits: data.int('key_bits'),
    keyParamsGiven: data.has('key_type') || data.has('key_bits'),
    keyRef: data.string('key_ref'),
    keyName: data.string('key_name'),
  };
}

function caRequest({ data, metadata }: PkiRequest): CaRequest {
  if (data.list('permitted_dns_domains').length) throw new HttpError(400, 'permitted_dns_domains (name constraints) is not supported by Signet');
  return {
    input: certRequestInput(data),
    subject: {
      ou: data.list('ou'),
      organization: data.list('organization'),
      country: data.list('country'),
      locality: data.list('locality'),
      province: data.list('province'),
      streetAddress: data.list('street_address'),
      postalCode: data.list('postal_code'),
    },
    notBeforeDuration: data.int('not_before_duration'),
    maxPathLength: data.int('max_path_length'),
    metadata,
  };
}

/** private_key / private_key_type for exported keys, in the requested format. */
function privateKeyData(data: FieldData, privateKey: { pkcs8Der: Uint8Array; spec: { kind: string } } | undefined): { private_key?: string; private_key_type?: string } {
  if (!privateKey) return {};
  const encoding = certFormat(data) === 'der' ? 'der' : 'pem';
  return { private_key: exportPrivateKey(privateKey.pkcs8Der, encoding, privateKeyFormat(data)), private_key_type: privateKey.spec.kind };
}

export function rootPaths(services: PkiServices): PathSpec[] {
  const { ca } = services;

  const generateRoot = (rotate: boolean) => async (request: PkiRequest) => {
    const { data } = request;
    const format = certFormat(data);
    const root = await ca.generateRoot({ ...caRequest(request), key: keyChoice(request), issuerName: data.string('issuer_name'), rotate });
    const key = privateKeyData(data, root.privateKey);
    const certificate = encodeCertificate(root.certDer, format);
    const cert = parseCertificate(root.certDer);
    return {
      data: {
        expiration: unixSeconds(cert.notAfter),
        certificate: format === 'pem_bundle' && key.private_key ? `${key.private_key}${certificate}` : certificate,
        issuing_ca: certificate,
        serial_number: colonSerial(cert.serialHex),
        issuer_id: root.issuer.issuerId,
        issuer_name: root.issuer.name,
        key_id: root.key.keyId,
        key_name: root.key.name,
        ...key,
      },
      warnings: root.warnings,
    };
  };

  const generateIntermediate = (type?: string) => async (request: PkiRequest) => {
    const { data } = request;
    const format = certFormat(data);
    const result = await ca.generateIntermediateCsr({ ...caRequest(request), key: keyChoice(request, type), addBasicConstraints: data.bool('add_basic_constraints') });
    const key = privateKeyData(data, result.privateKey);
    const csr = format === 'der' ? Buffer.from(result.csrDer).toString('base64') : derToPem(result.csrDer, 'CERTIFICATE REQUEST');
    return {
      data: { csr: format === 'pem_bundle' && key.private_key ? `${key.private_key}\n${csr}` : csr, key_id: result.key.keyId, ...key },
      warnings: result.warnings,
    };
  };

  const signIntermediate = (issuerRef: (request: PkiRequest) => string) => async (request: PkiRequest) => {
    const { data } = request;
    const signed = await ca.signIntermediate({ ...caRequest(request), issuerRef: issuerRef(request), csr: data.string('csr'), useCsrValues: data.bool('use_csr_values') });
    return { data: certificateData({ certDer: signed.certDer, caChain: signed.caChain }, data), warnings: signed.warnings };
  };

  const signSelfIssued = (issuerRef: (request: PkiRequest) => string) => async (request: PkiRequest) => {
    const { data, metadata } = request;
    const signed = await ca.signSelfIssued({
      issuerRef: issuerRef(request),
      certificate: data.string('certificate'),
      requireMatchingAlgorithms: data.bool('require_matching_certificate_algorithms'),
      metadata,
    });
    return { data: { certificate: trimmedPem(signed.certDer), issuing_ca: trimmedPem(signed.caChain[0]) } };
  };

  const byDefault = () => 'default';
  const byPath = (request: PkiRequest) => request.params.issuer_ref;
  const selfIssuedFields: FieldSchema = { certificate: { type: 'string' }, require_matching_certificate_algorithms: { type: 'bool' } };

  return [
    { pattern: 'root/generate/:exported', fields: GENERATE_ROOT_FIELDS, operations: { update: generateRoot(false) } },
    { pattern: 'issuers/generate/root/:exported', fields: GENERATE_ROOT_FIELDS, operations: { update: generateRoot(false) } },
    { pattern: 'root/rotate/:exported', fields: GENERATE_ROOT_FIELDS, operations: { update: generateRoot(true) } },
    { pattern: 'intermediate/generate/:exported', fields: GENERATE_INTERMEDIATE_FIELDS, operations: { update: generateIntermediate() } },
    { pattern: 'issuers/generate/intermediate/:exported', fields: GENERATE_INTERMEDIATE_FIELDS, operations: { update: generateIntermediate() } },
    { pattern: 'intermediate/cross-sign', fields: GENERATE_INTERMEDIATE_FIELDS, operations: { update: generateIntermediate('existing') } },
    { pattern: 'root/sign-intermediate', fields: SIGN_INTERMEDIATE_FIELDS, operations: { update: signIntermediate(byDefault) } },
    { pattern: 'issuer/:issuer_ref/sign-intermediate', fields: SIGN_INTERMEDIATE_FIELDS, operations: { update: signIntermediate(byPath) } },
    { pattern: 'root/sign-self-issued', fields: selfIssuedFields, sudo: true, operations: { update: signSelfIssued(byDefault) } },
    { pattern: 'issuer/:issuer_ref/sign-self-issued', fields: selfIssuedFields, operations: { update: signSelfIssued(byPath) } },
    {
      pattern: 'root/replace',
      fields: { default: { type: 'string', default: 'next' } },
      operations: {
        update: async ({ data, metadata }) => {
          const issuer = await ca.replaceRoot(data.string('default'), metadata);
          return { data: { default: issuer.issuerId, default_follows_latest_issuer: services.ctx.queries.config.defaultFollowsLatestIssuer() } };
        },
      },
    },
    {
      pattern: 'root',
      sudo: true,
      operations: {
        delete: async ({ metadata }) => {
          await ca.deleteAll(metadata);
          return {
            warnings: [
              'DELETE /root deletes all keys and issuers; prefer the new DELETE /key/:key_ref and DELETE /issuer/:issuer_ref for finer granularity, unless removal of all keys and issuers is desired.',
            ],
          };
        },
      },
    },
  ];
}
