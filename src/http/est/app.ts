/**
 * The EST listener (RFC 7030 3.2.2): `/.well-known/est/<operation>` and `/.well-known/est/<label>/<operation>`,
 * the label selecting an EST profile. Errors are one line of text/plain; 401s carry a Basic challenge; every
 * refused enrollment is recorded (EnrollmentRejected) before it is answered.
 */
import Koa from 'koa';
import type { Core } from '../../core.js';
import { DEFAULT_EST_PROFILE } from '../../domain/est-profile.js';
import { IssuanceRejectedError } from '../../app/issuance.js';
import { EstService, type EstTarget } from '../../app/est/est-service.js';
import type { EnrollmentAttempt, EstAction } from '../../app/est/rejections.js';
import { encodeCertsOnlyPkcs7 } from '../../crypto/pkcs7.js';
import { CryptoInputError } from '../../crypto/errors.js';
import { mapError, type MappedError } from '../errors.js';
import { readBody, requireMediaType } from '../middleware/body.js';
import { requestMetrics } from '../middleware/metrics.js';
import { estCredentials } from './credentials.js';
import { base64Lines, decodeCsrBody, MediaType, multipartMixed } from './wire.js';

export interface EstAppDeps {
  core: Core;
}

const PATH = /^\/\.well-known\/est(?:\/([^/]+))?\/([^/]+)$/;
const BODY_LIMIT = 64 * 1024;
const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="estrealm"' };

const RESULT_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'too_large',
  415: 'unsupported_media_type',
  503: 'unavailable',
};

/** EST's statuses: policy refusals of a well-formed request are 403, unusable requests 400. */
export function estError(error: unknown): MappedError {
  if (error instanceof IssuanceRejectedError) return { status: error.malformed ? 400 : 403, message: error.message, headers: {}, expected: true };
  if (error instanceof CryptoInputError) return { status: 400, message: error.message, headers: {}, expected: true };
  const mapped = mapError(error);
  return mapped.status === 401 ? { ...mapped, headers: { ...mapped.headers, ...CHALLENGE } } : mapped;
}

function send(ctx: Koa.Context, contentType: string, body: string): void {
  ctx.status = 200;
  ctx.set('Content-Type', contentType);
  ctx.set('Content-Transfer-Encoding', 'base64');
  ctx.body = body;
}

type Operation =
  | { method: 'GET'; handle(ctx: Koa.Context, target: EstTarget): void }
  | { method: 'POST'; action: EstAction; handle(ctx: Koa.Context, target: EstTarget, attempt: EnrollmentAttempt): Promise<void> };

export function buildEstApp({ core }: EstAppDeps): Koa {
  const est = new EstService(core);
  /** Base64 of DER that the service caches (cacerts), so it is encoded once. */
  const encoded = new WeakMap<Uint8Array, string>();
  const cachedBase64 = (der: Uint8Array) => {
    let text = encoded.get(der);
    if (text === undefined) encoded.set(der, (text = base64Lines(der)));
    return text;
  };

  /** Called once the client is authenticated: only then is the body read, and it must be a PKCS#10 request. */
  async function csrBody(ctx: Koa.Context, attempt: EnrollmentAttempt): Promise<Uint8Array> {
    requireMediaType(ctx, [MediaType.pkcs10]);
    attempt.csrDer = decodeCsrBody(await readBody(ctx, BODY_LIMIT));
    return attempt.csrDer;
  }

  const sendCertificate = (ctx: Koa.Context, certDer: Uint8Array) => send(ctx, MediaType.certsOnly, base64Lines(encodeCertsOnlyPkcs7([certDer])));

  const operations: Record<string, Operation> = {
    cacerts: {
      method: 'GET',
      handle: (ctx, target) => send(ctx, MediaType.pkcs7, cachedBase64(est.caCerts(target))),
    },
    csrattrs: {
      method: 'GET',
      handle(ctx, target) {
        const der = est.csrAttributes(target);
        if (der) send(ctx, MediaType.csrattrs, base64Lines(der));
        else ctx.status = 204;
      },
    },
    simpleenroll: {
      method: 'POST',
      action: 'enroll',
      async handle(ctx, target, attempt) {
        const client = await est.authenticate(target, estCredentials(ctx), attempt);
        sendCertificate(ctx, (await est.enroll(target, client, await csrBody(ctx, attempt), attempt)).certDer);
      },
    },
    simplereenroll: {
      method: 'POST',
      action: 'reenroll',
      async handle(ctx, target, attempt) {
        const client = await est.authenticateRenewal(target, estCredentials(ctx), attempt);
        sendCertificate(ctx, (await est.reenroll(target, client, await csrBody(ctx, attempt), attempt)).certDer);
      },
    },
    serverkeygen: {
      method: 'POST',
      action: 'serverkeygen',
      async handle(ctx, target, attempt) {
        const credentials = estCredentials(ctx);
        const client = await est.authenticate(target, credentials, attempt);
        const { certificate, key } = await est.serverKeygen(target, client, await csrBody(ctx, attempt), credentials, attempt);
        const { contentType, body } = multipartMixed([
          { contentType: key.encrypted ? MediaType.serverGeneratedKey : MediaType.pkcs8, der: key.der },
          { contentType: MediaType.certsOnly, der: encodeCertsOnlyPkcs7([certificate.certDer]) },
        ]);
        ctx.status = 200;
        ctx.set('Content-Type', contentType);
        ctx.body = body;
      },
    },
  };

  const app = new Koa();
  app.use(requestMetrics(core.metrics, 'est'));
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const mapped = estError(error);
      // 503 is backpressure (queue or in-flight limit), counted in the metrics: logging each one would add to the load.
      if (!mapped.expected || (mapped.status >= 500 && mapped.status !== 503)) core.logger.error({ err: error, path: ctx.path, method: ctx.method }, 'EST request failed');
      const message = mapped.message.replace(/[\r\n]+/g, ' ');
      const attempt = ctx.state.attempt as EnrollmentAttempt | undefined;
      if (attempt) await est.rejected(attempt, RESULT_BY_STATUS[mapped.status] ?? (mapped.status >= 500 ? 'error' : 'refused'), message);
      ctx.status = mapped.status;
      ctx.set(mapped.headers);
      ctx.type = 'text/plain';
      ctx.body = `${message}\n`;
    }
  });
  app.use(async (ctx) => {
    const match = PATH.exec(ctx.path);
    const operation = match ? operations[match[2]] : undefined;
    if (!match || !operation) {
      ctx.status = match?.[2] === 'fullcmc' ? 501 : 404;
      ctx.type = 'text/plain';
      ctx.body = ctx.status === 501 ? 'fullcmc is not supported\n' : `no such EST endpoint: ${ctx.path}\n`;
      return;
    }
    ctx.state.routeTemplate = match[1] === undefined ? `/.well-known/est/${match[2]}` : `/.well-known/est/:aps/${match[2]}`;
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
    if (method !== operation.method) {
      ctx.status = 405;
      ctx.set('Allow', operation.method === 'GET' ? 'GET, HEAD' : 'POST');
      ctx.type = 'text/plain';
      ctx.body = `${ctx.method} is not allowed here; use ${operation.method}\n`;
      return;
    }
    let label: string | undefined;
    try {
      label = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
    } catch {
      label = match[1];
    }
    if (operation.method === 'GET') return operation.handle(ctx, est.target(label));
    const attempt: EnrollmentAttempt = { action: operation.action, profile: label ?? DEFAULT_EST_PROFILE, ...(ctx.ip ? { clientIp: ctx.ip } : {}) };
    ctx.state.attempt = attempt;
    core.admission.assertRoom();
    await operation.handle(ctx, est.target(label), attempt);
  });
  return app;
}
