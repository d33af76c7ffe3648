/**
 * path_fetch and path_fetch_issuers: the CA certificate and chain of the default issuer, any issued certificate by
 * serial (JSON, DER or PEM), certificate listings, and issuer certificates. Everything here except the two LISTs of
 * certificates is unauthenticated in OpenBao, and also served on the public plain-http listener.
 */
import type { PkiServices } from '../../../app/pki/services.js';
import { findIssuer } from '../../../app/pki/context.js';
import { colonSerial, normalizeSerial } from '../../../app/pki/pem-input.js';
import type { IssuerRow } from '../../../../projections/issuers.js';
import { HttpError } from '../../errors.js';
import type { PathSpec, PkiResult, RawResult } from '../framework.js';
import { listResponse, PAGING_FIELDS, trimmedPem, unixSeconds } from '../responses.js';

const DER = 'application/pkix-cert';
const PEM = 'application/pem-certificate-chain';

const fromBase64 = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

/** The issuer's certificate and its parents, nearest first (OpenBao's ca_chain of an issuer). */
export function issuerChainDers(issuer: IssuerRow): Uint8Array[] {
  return [issuer.certificate, ...issuer.chain].map(fromBase64);
}

const chainPem = (issuer: IssuerRow) => issuerChainDers(issuer).map(trimmedPem).join('\n');

type Form = 'json' | 'der' | 'pem';

/** `cert/crl` and `cert/delta-crl` are CRLs, served by the revocation endpoints. */
const notCrl = ({ serial }: Record<string, string>) => serial !== 'crl' && serial !== 'delta-crl';

function raw(body: Uint8Array | string, form: 'der' | 'pem'): RawResult {
  return { raw: body, contentType: form === 'der' ? DER : PEM };
}

export function fetchPaths(services: PkiServices): PathSpec[] {
  const { ctx } = services;
  const queries = ctx.core.queries;

  /** `ca` / `ca_chain` / a serial, in one of the three forms; an unknown one is 404 (JSON) or an empty 204 (raw). */
  const certificate = (serial: string, form: Form): PkiResult => {
    const empty = form === 'json' ? null : raw('', form);
    if (serial === 'ca' || serial === 'ca_chain') {
      const issuer = findIssuer(ctx, 'default');
      if (!issuer) {
        if (form === 'json') throw new HttpError(400, 'no default issuer currently configured');
        return empty;
      }
      if (serial === 'ca_chain') {
        const chain = chainPem(issuer);
        return form === 'json' ? { data: { certificate: chain, ca_chain: chain, revocation_time: 0, revocation_time_rfc3339: '' } } : raw(chain, 'pem');
      }
      const der = fromBase64(issuer.certificate);
      if (form !== 'json') return raw(form === 'der' ? der : trimmedPem(der), form);
      return { data: { certificate: trimmedPem(der), revocation_time: 0, revocation_time_rfc3339: '' } };
    }
    const row = queries.certificates.get(normalizeSerial(serial));
    if (!row) return empty;
    const der = fromBase64(row.der);
    if (form !== 'json') return raw(form === 'der' ? der : trimmedPem(der), form);
    const revoked = row.revokedAt ? Date.parse(row.revokedAt) : 0;
    return {
      data: {
        certificate: trimmedPem(der),
        revocation_time: revoked ? unixSeconds(revoked) : 0,
        revocation_time_rfc3339: row.revokedAt ?? '',
        ...(revoked ? { issuer_id: row.issuerId } : {}),
      },
    };
  };

  const issuerCert = (ref: string, form: Form): PkiResult => {
    const issuer = findIssuer(ctx, ref);
    if (!issuer) throw new HttpError(400, `unable to resolve issuer id for reference: ${ref}`);
    const der = fromBase64(issuer.certificate);
    if (form !== 'json') return raw(form === 'der' ? der : trimmedPem(der), form);
    return { data: { certificate: trimmedPem(der), ca_chain: issuerChainDers(issuer).map(trimmedPem), issuer_id: issuer.issuerId, issuer_name: issuer.name } };
  };

  return [
    { pattern: 'ca', operations: { read: () => certificate('ca', 'der') } },
    { pattern: 'ca/pem', operations: { read: () => certificate('ca', 'pem') } },
    { pattern: 'ca_chain', operations: { read: () => certificate('ca_chain', 'pem') } },
    { pattern: 'cert/:serial', accepts: notCrl, operations: { read: ({ params }) => certificate(params.serial, 'json') } },
    { pattern: 'cert/:serial/raw', accepts: notCrl, operations: { read: ({ params }) => certificate(params.serial, 'der') } },
    { pattern: 'cert/:serial/raw/pem', accepts: notCrl, operations: { read: ({ params }) => certificate(params.serial, 'pem') } },
    {
      pattern: 'certs',
      fields: PAGING_FIELDS,
      operations: { list: ({ data }) => listResponse(ctx.queries.listing.serials().map(colonSerial), data) },
    },
    {
      pattern: 'certs/revoked',
      fields: PAGING_FIELDS,
      operations: { list: ({ data }) => listResponse(ctx.queries.listing.revokedSerials().map(colonSerial), data) },
    },
    {
      pattern: 'issuers',
      fields: PAGING_FIELDS,
      operations: {
        list: ({ data }) => {
          const issuers = queries.issuers.list();
          const info = Object.fromEntries(
            issuers.map((i) => [i.issuerId, { issuer_name: i.name, is_default: i.isDefault, serial_number: colonSerial(i.serial), key_id: i.keyId ?? '' }]),
          );
          return listResponse(
            issuers.map((i) => i.issuerId),
            data,
            info,
          );
        },
      },
    },
    { pattern: 'issuer/:issuer_ref/json', operations: { read: ({ params }) => issuerCert(params.issuer_ref, 'json') } },
    { pattern: 'issuer/:issuer_ref/der', operations: { read: ({ params }) => issuerCert(params.issuer_ref, 'der') } },
    { pattern: 'issuer/:issuer_ref/pem', operations: { read: ({ params }) => issuerCert(params.issuer_ref, 'pem') } },
  ];
}
