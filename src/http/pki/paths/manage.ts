/**
 * path_manage_issuers, path_fetch_issuers (authenticated part), path_manage_keys and path_config_ca: issuer
 * read / update / patch / delete / revoke, imports (config/ca, issuers/import/*, intermediate/set-signed),
 * keys list / generate / import / read / update / delete, config/keys and config/issuers.
 */
import { keySpecFor } from '../../../domain/role.js';
import type { PkiServices } from '../../../app/pki/services.js';
import { ALL_USAGES, type IssuerChanges } from '../../../app/pki/issuer-admin.js';
import { generationType } from '../../../app/pki/key-admin.js';
import { defaultKeyId, findIssuer, findKey, pkiKeys, resolveIssuer, resolveKey, unknownKey } from '../../../app/pki/context.js';
import { toHex } from '../../../crypto/bytes.js';
import { keyIdentifier } from '../../../crypto/public-key.js';
import type { IssuerRow, KeyRow } from '../../../../projections/issuers.js';
import { HttpError } from '../../errors.js';
import type { FieldData, FieldSchema } from '../fields.js';
import type { PathSpec, PkiRequest } from '../framework.js';
import { certFormat, listResponse, PAGING_FIELDS, privateKeyFormat, snakeKeys, trimmedPem, unixSeconds } from '../responses.js';
import { exportPrivateKey } from '../../../crypto/private-key.js';
import { issuerChainDers } from './fetch.js';

const ISSUER_FIELDS: FieldSchema = {
  issuer_name: { type: 'string' },
  leaf_not_after_behavior: { type: 'string', default: 'err' },
  usage: { type: 'commaStringSlice', default: ALL_USAGES },
  manual_chain: { type: 'commaStringSlice', description: 'Not supported: chains are built from the issuers this mount holds.' },
  revocation_signature_algorithm: { type: 'string' },
  issuing_certificates: { type: 'commaStringSlice' },
  crl_distribution_points: { type: 'commaStringSlice' },
  delta_crl_distribution_points: { type: 'commaStringSlice' },
  ocsp_servers: { type: 'commaStringSlice' },
  enable_aia_url_templating: { type: 'bool' },
};

const colonHex = (bytes: Uint8Array) => toHex(bytes).match(/../g)!.join(':');

export function issuerData(services: PkiServices, issuer: IssuerRow): Record<string, unknown> {
  const revokedAt = issuer.status === 'revoked' ? services.ctx.core.queries.certificates.get(issuer.serial)?.revokedAt : undefined;
  return {
    issuer_id: issuer.issuerId,
    issuer_name: issuer.name,
    key_id: issuer.keyId ?? '',
    certificate: trimmedPem(Buffer.from(issuer.certificate, 'base64')),
    manual_chain: null,
    ca_chain: issuerChainDers(issuer).map(trimmedPem),
    leaf_not_after_behavior: issuer.leafNotAfterBehavior,
    // A revoked issuer keeps signing CRLs but issues nothing (the issuer decider drops the usage).
    usage: (issuer.status === 'revoked' ? issuer.usage.filter((u) => u !== 'issuing-certificates') : issuer.usage).join(','),
    revocation_signature_algorithm: '',
    revoked: issuer.status === 'revoked',
    ...(issuer.status === 'revoked' ? { revocation_time: revokedAt ? unixSeconds(Date.parse(revokedAt)) : 0, revocation_time_rfc3339: revokedAt ?? '' } : {}),
    issuing_certificates: issuer.urls?.issuingCertificates ?? [],
    crl_distribution_points: issuer.urls?.crlDistributionPoints ?? [],
    delta_crl_distribution_points: [],
    ocsp_servers: issuer.urls?.ocspServers ?? [],
    enable_aia_url_templating: false,
  };
}

function keyData(key: KeyRow): Record<string, unknown> {
  return { key_id: key.keyId, key_name: key.name, key_type: key.spec.kind, subject_key_id: colonHex(keyIdentifier(Buffer.from(key.spki, 'base64'))) };
}

/** POST overwrites (OpenBao defaults for what is left out; the name stays, Signet issuers always have one); PATCH merges. */
function issuerChanges(data: FieldData, patch: boolean): IssuerChanges {
  if (data.list('manual_chain').length) throw new HttpError(400, 'manual_chain is not supported by Signet: chains are built from the issuers this mount holds');
  const take = (name: string) => !patch || data.has(name);
  const urlFields = ['issuing_certificates', 'crl_distribution_points', 'ocsp_servers'];
  return {
    ...(data.has('issuer_name') ? { name: data.string('issuer_name') } : {}),
    ...(take('usage') ? { usage: data.list('usage') } : {}),
    ...(take('leaf_not_after_behavior') ? { leafNotAfterBehavior: data.string('leaf_not_after_behavior') } : {}),
    ...(!patch || urlFields.some((f) => data.has(f))
      ? { urls: { issuingCertificates: data.list('issuing_certificates'), crlDistributionPoints: data.list('crl_distribution_points'), ocspServers: data.list('ocsp_servers') } }
      : {}),
  };
}

export function managePaths(services: PkiServices): PathSpec[] {
  const { ctx, issuers, keys, imports, config } = services;

  const updateIssuer = (patch: boolean) => async ({ params, data, metadata }: PkiRequest) => {
    const current = resolveIssuer(ctx, params.issuer_ref);
    // A PATCH of issuer/:ref with a patch-shaped body keeps the URLs it does not name.
    const changes = issuerChanges(data, patch);
    if (patch && changes.urls && current.urls) {
      changes.urls = {
        issuingCertificates: data.has('issuing_certificates') ? changes.urls.issuingCertificates : current.urls.issuingCertificates,
        crlDistributionPoints: data.has('crl_distribution_points') ? changes.urls.crlDistributionPoints : current.urls.crlDistributionPoints,
        ocspServers: data.has('ocsp_servers') ? changes.urls.ocspServers : current.urls.ocspServers,
      };
    }
    const { issuer, warnings } = await issuers.update(current.issuerId, changes, metadata);
    return { data: issuerData(services, issuer), warnings };
  };

  const importPath = (pattern: string, field: string, allowKeys: boolean): PathSpec => ({
    pattern,
    fields: { [field]: { type: 'string' } },
    operations: { update: async ({ data, metadata }) => ({ data: snakeKeys(await imports.importBundle(data.string(field), { allowKeys, field }, metadata)) }) },
  });

  const issuersConfig = () => ({ data: { default: findIssuer(ctx, 'default')?.issuerId ?? '', default_follows_latest_issuer: ctx.queries.config.defaultFollowsLatestIssuer() } });

  return [
    {
      pattern: 'issuer/:issuer_ref',
      fields: ISSUER_FIELDS,
      operations: {
        read: ({ params }) => ({ data: issuerData(services, resolveIssuer(ctx, params.issuer_ref)) }),
        update: updateIssuer(false),
        patch: updateIssuer(true),
        delete: async ({ params, metadata }) => {
          const warnings = await issuers.delete(params.issuer_ref, metadata);
          return warnings.length ? { warnings } : undefined;
        },
      },
    },
    {
      pattern: 'issuer/:issuer_ref/revoke',
      operations: { update: async ({ params, metadata }) => ({ data: issuerData(services, await issuers.revoke(params.issuer_ref, metadata)) }) },
    },
    importPath('config/ca', 'pem_bundle', true),
    importPath('issuers/import/bundle', 'pem_bundle', true),
    importPath('issuers/import/cert', 'pem_bundle', false),
    importPath('intermediate/set-signed', 'certificate', false),
    {
      pattern: 'config/issuers',
      fields: { default: { type: 'string' }, default_follows_latest_issuer: { type: 'bool' } },
      operations: {
        read: issuersConfig,
        update: async ({ data, metadata }) => {
          await config.setIssuers(
            {
              ...(data.has('default') ? { defaultRef: data.string('default') } : {}),
              ...(data.has('default_follows_latest_issuer') ? { defaultFollowsLatestIssuer: data.bool('default_follows_latest_issuer') } : {}),
            },
            metadata,
          );
          return issuersConfig();
        },
      },
    },
    {
      pattern: 'keys',
      fields: PAGING_FIELDS,
      operations: {
        list: ({ data }) => {
          const all = pkiKeys(ctx);
          return listResponse(
            all.map((k) => k.keyId),
            data,
            Object.fromEntries(all.map((k) => [k.keyId, { key_name: k.name }])),
          );
        },
      },
    },
    {
      pattern: 'keys/generate/:exported',
      fields: { key_type: { type: 'string', default: 'rsa' }, key_bits: { type: 'int' }, key_name: { type: 'string' }, format: { type: 'string', default: 'pem' }, private_key_format: { type: 'string', default: 'der' } },
      operations: {
        update: async ({ params, data, metadata }) => {
          const type = generationType(params.exported, ['internal', 'exported', 'kms']);
          const generated = await keys.generate(keySpecFor(data.string('key_type'), data.int('key_bits')), data.string('key_name'), metadata);
          const exported = type === 'exported' ? { private_key: exportPrivateKey(generated.pkcs8Der, certFormat(data) === 'der' ? 'der' : 'pem', privateKeyFormat(data)) } : {};
          return { data: { key_id: generated.key.keyId, key_name: generated.key.name, key_type: generated.key.spec.kind, ...exported } };
        },
      },
    },
    {
      pattern: 'keys/import',
      fields: { pem_bundle: { type: 'string' }, key_name: { type: 'string' } },
      operations: {
        update: async ({ data, metadata }) => {
          const { key, existing } = await keys.importPem(data.string('pem_bundle'), data.string('key_name'), metadata);
          return { data: { key_id: key.keyId, key_name: key.name, key_type: key.spec.kind }, ...(existing ? { warnings: ['this key was already present in the mount; nothing was imported'] } : {}) };
        },
      },
    },
    {
      pattern: 'key/:key_ref',
      fields: { key_name: { type: 'string' } },
      operations: {
        read: ({ params }) => {
          // The audit key reads as absent; using or changing it is refused by resolveKey with its reason.
          const key = findKey(ctx, params.key_ref);
          if (!key) throw unknownKey(params.key_ref);
          return { data: keyData(key) };
        },
        update: async ({ params, data, metadata }) => ({ data: keyData(await keys.rename(params.key_ref, data.string('key_name'), metadata)) }),
        delete: async ({ params, metadata }) => {
          const warnings = await keys.delete(params.key_ref, metadata);
          return warnings.length ? { warnings } : undefined;
        },
      },
    },
    {
      pattern: 'config/keys',
      fields: { default: { type: 'string' } },
      operations: {
        read: () => ({ data: { default: defaultKeyId(ctx) ?? '' } }),
        update: async ({ data, metadata }) => {
          await keys.setDefault(resolveKey(ctx, data.string('default')).keyId, metadata);
          return { data: { default: defaultKeyId(ctx) ?? '' } };
        },
      },
    },
  ];
}
