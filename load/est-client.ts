/**
 * EST enrollment against a running Signet: the credentials a benchmark needs (an OTP with many uses, a Basic user
 * on a `bench` profile, an mTLS device certificate enrolled first) and a `Send` per auth method that posts the
 * pool's CSRs to simpleenroll as base64 bodies.
 */
import { Agent, type AgentOptions } from 'node:https';
import { decodeCertsOnlyPkcs7 } from '../src/crypto/pkcs7.js';
import { derToPem } from '../src/crypto/pem.js';
import { parseCertificate } from '../src/crypto/certificate.js';
import { makeCsrWithKey, KEY_SPECS } from './csr-pool.js';
import { agentFor, closedLoop, post, type ConnectionMode, type Send } from './load-client.js';
import { measureRun, type LoadResult } from './measure.js';
import type { SignetProcess } from './signet-process.js';

export type EstAuth = 'otp' | 'basic' | 'mtls';
export const EST_AUTHS: readonly EstAuth[] = ['otp', 'basic', 'mtls'];

const BASIC_USER = 'line-1';
const BASIC_PASSWORD = 'bench-password-1';

export interface EstTargets {
  signet: SignetProcess;
  otpToken: string;
  /** PEM client certificate and key for mTLS. */
  device: { cert: string; key: string };
}

/** JSON to the admin API with the root token; throws unless 2xx. */
export async function adminJson(signet: SignetProcess, path: string, body: object): Promise<Record<string, any>> {
  const agent = new Agent({ ca: signet.caPem });
  try {
    const answer = await post(agent, new URL(`${signet.admin}${path}`), { 'content-type': 'application/json', authorization: `Bearer ${signet.rootToken}` }, Buffer.from(JSON.stringify(body)));
    if (answer.status >= 300) throw new Error(`POST ${path}: ${answer.status} ${answer.body}`);
    return JSON.parse(answer.body.toString() || '{}');
  } finally {
    agent.destroy();
  }
}

/** A CSR as simpleenroll's body: base64 DER (RFC 8951). */
export function estBody(csr: Uint8Array): Buffer {
  return Buffer.from(Buffer.from(csr).toString('base64'));
}

/** The certificate in a simpleenroll answer; throws if the answer is not one. */
export function enrolledCertificate(body: Buffer): Uint8Array {
  const certs = decodeCertsOnlyPkcs7(new Uint8Array(Buffer.from(body.toString(), 'base64')));
  if (certs.length !== 1) throw new Error(`expected one certificate, got ${certs.length}`);
  parseCertificate(certs[0]);
  return certs[0];
}

export async function prepareEst(signet: SignetProcess): Promise<EstTargets> {
  const otp = await adminJson(signet, '/admin/otp', { label: 'bench', ttl: '24h', max_uses: 1_000_000 });
  await adminJson(signet, '/admin/est/profiles', { name: 'bench', auth_methods: ['basic'], basic_users: [{ username: BASIC_USER, password: BASIC_PASSWORD }] });
  const device = makeCsrWithKey(KEY_SPECS.p256, 'bench-mtls-device');
  const targets: EstTargets = { signet, otpToken: otp.token as string, device: { cert: '', key: derToPem(device.pkcs8Der, 'PRIVATE KEY') } };
  const agent = agentFor('keep-alive', 1, { ca: signet.caPem });
  const answer = await estSender(targets, 'otp', agent, [estBody(device.csr)])(0);
  agent.destroy();
  if (answer.status !== 200) throw new Error(`enrolling the mTLS device: ${answer.status} ${answer.body}`);
  targets.device.cert = derToPem(enrolledCertificate(answer.body), 'CERTIFICATE');
  return targets;
}

/** TLS options of a device using `auth`: the CA, and for mTLS the device's certificate and key. */
export function estTls(targets: EstTargets, auth: EstAuth): AgentOptions {
  return auth === 'mtls' ? { ca: targets.signet.caPem, cert: targets.device.cert, key: targets.device.key } : { ca: targets.signet.caPem };
}

export function estAgent(targets: EstTargets, auth: EstAuth, mode: ConnectionMode, maxSockets: number): Agent {
  return agentFor(mode, maxSockets, estTls(targets, auth));
}

export function estSender(targets: EstTargets, auth: EstAuth, agent: Agent, bodies: readonly Buffer[]): Send {
  const path = auth === 'basic' ? '/.well-known/est/bench/simpleenroll' : '/.well-known/est/simpleenroll';
  const url = new URL(`${targets.signet.est}${path}`);
  const headers: Record<string, string> = { 'content-type': 'application/pkcs10', 'content-transfer-encoding': 'base64' };
  if (auth === 'otp') headers.authorization = `Basic ${Buffer.from(`:${targets.otpToken}`).toString('base64')}`;
  if (auth === 'basic') headers.authorization = `Basic ${Buffer.from(`${BASIC_USER}:${BASIC_PASSWORD}`).toString('base64')}`;
  return (i) => post(agent, url, headers, bodies[i % bodies.length]);
}

const WARMUP_SECONDS = 0.3;

/** One closed-loop run: a fresh agent (so connection modes share no sockets or sessions), warmed up first. */
export async function estClosedRun(targets: EstTargets, bodies: Buffer[], auth: EstAuth, mode: ConnectionMode, concurrency: number, seconds: number): Promise<LoadResult> {
  const agent = estAgent(targets, auth, mode, concurrency);
  const send = estSender(targets, auth, agent, bodies);
  try {
    await closedLoop(send, concurrency, WARMUP_SECONDS);
    return await measureRun(targets.signet.pid, `EST ${auth}, ${mode}`, concurrency, () => closedLoop(send, concurrency, seconds));
  } finally {
    agent.destroy();
  }
}
