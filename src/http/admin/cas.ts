/** /admin/ca: the CAs (issuers) Signet signs with, their health and issuance counts, and their chains as PEM. */
import Router from '@koa/router';
import type { Core } from '../../core.js';
import { describeKey } from '../../domain/issuance-policy.js';
import { dersToPem } from '../../crypto/pem.js';
import type { IssuerRow } from '../../../projections/issuers.js';
import { HttpError } from '../errors.js';
import { caHealth } from './health.js';
import { timestamp } from './params.js';

export function caSummary(core: Core, issuer: IssuerRow, now: Date, health = caHealth(core, issuer, now)) {
  const counts = core.queries.issuers.issuedCounts(issuer.issuerId, now.toISOString().slice(0, 10));
  return {
    id: issuer.issuerId,
    name: issuer.name,
    status: health.status,
    last_check: timestamp(now),
    cert_not_after: timestamp(issuer.notAfter),
    certs_issued_today: counts.today,
    certs_issued_total: counts.total,
  };
}

function caDetail(core: Core, issuer: IssuerRow, now: Date) {
  const health = caHealth(core, issuer, now);
  const key = issuer.keyId ? core.queries.issuers.key(issuer.keyId) : undefined;
  return {
    ...caSummary(core, issuer, now, health),
    subject: issuer.subject,
    serial: issuer.serial,
    kind: issuer.kind,
    default: issuer.isDefault,
    usage: issuer.usage,
    cert_not_before: timestamp(issuer.notBefore),
    days_until_expiry: Math.floor((Date.parse(issuer.notAfter) - now.getTime()) / 86_400_000),
    key: key ? { id: key.keyId, name: key.name, type: describeKey(key.spec), origin: key.origin } : null,
    checks: health.checks,
  };
}

/** The issuer id a `ca` filter means: "default", an id or a name resolve; anything else matches nothing. */
export function caIdFilter(core: Core, ref: string | undefined): string | undefined {
  return ref === undefined ? undefined : (core.queries.issuers.resolve(ref)?.issuerId ?? ref);
}

/** "default", an issuer id or an issuer name; 404 otherwise. */
function findIssuer(core: Core, ref: string): IssuerRow {
  const issuer = core.queries.issuers.resolve(ref);
  if (!issuer) throw new HttpError(404, `no CA "${ref}"`);
  return issuer;
}

export function caRoutes(core: Core): Router {
  const router = new Router();
  router.get('/ca', (ctx) => {
    const now = new Date();
    ctx.body = core.queries.issuers.list().map((issuer) => caSummary(core, issuer, now));
  });
  router.get('/ca/:id', (ctx) => {
    ctx.body = caDetail(core, findIssuer(core, ctx.params.id), new Date());
  });
  router.get('/ca/:id/chain', (ctx) => {
    const issuer = findIssuer(core, ctx.params.id);
    ctx.type = 'application/pem-certificate-chain';
    ctx.body = dersToPem([issuer.certificate, ...issuer.chain].map((b64) => Buffer.from(b64, 'base64')), 'CERTIFICATE');
  });
  return router;
}
