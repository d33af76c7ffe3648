/**
 * OCSP before Koa: a node:http request listener in front of an app that answers the OCSP requests the responder
 * can answer from memory (`OcspResponder.cached`), so the bulk of relying-party traffic skips Koa, the OpenBao
 * dispatcher and the read models. Anything else, and every cache miss, reaches the app unchanged, except a POST
 * with exactly `application/ocsp-request` and a declared length, whose body is read here: a miss is then answered
 * through `respond`, as the app's route would.
 *
 * What a client sees is what the app sends: same status, Content-Type and Content-Length, no other headers;
 * `signet_request_duration_seconds` is observed with the app's route templates, and the responder counts
 * `signet_ocsp_requests_total` as on the slow path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SignetMetrics } from '../../app/metrics.js';
import type { OcspResponder } from '../../app/revocation/ocsp-responder.js';
import type { OcspResponseStatus } from '../../crypto/ocsp.js';
import type { RequestHandler } from '../listeners.js';
import { DEFAULT_BODY_LIMIT } from '../middleware/body.js';
import { OCSP_HTTP_STATUS, OCSP_POST_PATH, OCSP_PREFIX, OCSP_REQUEST, OCSP_RESPONSE, ocspGetKey, ocspPostKey } from '../pki/revocation-routes.js';

const GET_ROUTE = `${OCSP_PREFIX}:request`;

export function withOcspFastPath(app: RequestHandler, ocsp: OcspResponder, metrics: Pick<SignetMetrics, 'requestDuration'>, listener: string): RequestHandler {
  const send = (res: ServerResponse, method: string, route: string, started: number, der: Uint8Array, status: OcspResponseStatus = 'successful') => {
    const code = OCSP_HTTP_STATUS[status] ?? 200;
    res.writeHead(code, { 'Content-Type': OCSP_RESPONSE, 'Content-Length': der.byteLength });
    res.end(der);
    metrics.requestDuration.observe({ listener, method, route, status: String(code) }, (performance.now() - started) / 1000);
  };

  const answerPost = (req: IncomingMessage, res: ServerResponse, started: number) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const key = ocspPostKey(body);
      const cached = ocsp.cached(key);
      if (cached) return send(res, 'POST', OCSP_POST_PATH, started, cached);
      ocsp.respond(body, key).then(
        (response) => send(res, 'POST', OCSP_POST_PATH, started, response.der, response.status),
        () => res.destroy(), // respond never rejects; a failure here is the socket's
      );
    });
  };

  return (req, res) => {
    const url = req.url ?? '';
    if (req.method === 'GET' && url.startsWith(OCSP_PREFIX) && !url.includes('?')) {
      const started = performance.now();
      const cached = ocsp.cached(ocspGetKey(url));
      if (cached) return send(res, 'GET', GET_ROUTE, started, cached);
    } else if (req.method === 'POST' && url === OCSP_POST_PATH && isPlainOcspPost(req)) {
      return answerPost(req, res, performance.now());
    }
    app(req, res);
  };
}

/** A POST the app would accept as is: the exact media type and a declared length within the body limit. */
function isPlainOcspPost(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? NaN);
  return req.headers['content-type']?.toLowerCase() === OCSP_REQUEST && Number.isInteger(length) && length <= DEFAULT_BODY_LIMIT;
}
