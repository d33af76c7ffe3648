/**
 * First start: a P-256 root and issuing intermediate (as events), the root API token, and the listeners' TLS
 * certificate. Every later start finds them and reuses them; the files in the data dir are rewritten from the
 * read models so they always match the log.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { certificateDecider, certificateStream } from '../domain/certificate.js';
import { ISSUER_CONFIG_STREAM, issuerConfigDecider, issuerDecider, issuerStream, type IssuerCreatedData } from '../domain/issuer.js';
import { keyDecider, keyStream } from '../domain/key.js';
import { describeKey } from '../domain/issuance-policy.js';
import { ROOT_TOKEN_ACCESSOR, tokenDecider, tokenStream } from '../domain/token.js';
import type { CertContent, KeySpec, NameAttribute, San } from '../domain/x509.js';
import { DomainError } from '../domain/errors.js';
import type { EventMetadata } from '../eventstore/port.js';
import { createIntermediateCa, createSelfSignedCa, issuerTemplateFromCertificate } from '../crypto/ca.js';
import { parseCertificate, signCertificate } from '../crypto/certificate.js';
import { unwrapPrivateKey, wrapPrivateKey } from '../crypto/keywrap.js';
import { formatName } from '../crypto/name.js';
import { decodePem, derToPem, dersToPem } from '../crypto/pem.js';
import { randomSerialHex } from '../crypto/serial.js';
import { createSigner, type Signer } from '../crypto/signer.js';
import type { IssuerRow } from '../../projections/issuers.js';
import type { Core } from '../core.js';
import { hashSecret, newSecret, readIfExists, writeSecretFile } from './secrets.js';
import { ensureDefaultEstProfile } from './est/profile-service.js';

const DAY_MS = 86_400_000;
const CA_KEY: KeySpec = { kind: 'ec', curve: 'P-256' };
const META: EventMetadata = { actor: 'bootstrap', auth_method: 'local' };

export interface BootstrapResult {
  /** `present` is false only after an operator removed every issuer; the ids and fingerprint are then empty. */
  ca: { present: boolean; rootIssuerId: string; issuingIssuerId: string; rootFingerprint: string; created: boolean; rootPem: string; chainPem: string };
  /** The root API token's secret (also in `<data>/root-token`, mode 0600). */
  rootToken: string;
  tls: { certPem: string; keyPem: string; created: boolean; certFile: string; keyFile: string };
}

export function fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

async function waitForProjections(core: Core): Promise<void> {
  await core.runner.waitFor(await core.store.headPosition());
}

/** In the signing pool when the core has one (the server), inline otherwise (CLI commands run without a pool). */
async function generateKey(core: Core, spec: KeySpec): Promise<{ pkcs8Der: Uint8Array; spkiDer: Uint8Array }> {
  return core.pool ? core.pool.generateKey(spec) : (await import('../crypto/keygen.js')).generateKeyPair(spec);
}

async function newKey(core: Core, name: string, spec: KeySpec, now: Date): Promise<{ keyId: string; signer: Signer }> {
  const keyId = randomUUID();
  const pair = await generateKey(core, spec);
  const wrapped = wrapPrivateKey(pair.pkcs8Der, core.kek, keyId);
  await core.commands.handle(
    keyStream(keyId),
    keyDecider,
    { type: 'RegisterKey', origin: 'generated', data: { keyId, name, spec, spki: Buffer.from(pair.spkiDer).toString('base64'), wrapped }, now },
    { metadata: META },
  );
  return { keyId, signer: createSigner(pair.pkcs8Der) };
}

async function recordIssuer(core: Core, data: Omit<IssuerCreatedData, 'at'>, now: Date): Promise<void> {
  await core.commands.handle(issuerStream(data.issuerId), issuerDecider, { type: 'CreateIssuer', data, now }, { metadata: META });
}

function issuerFacts(certDer: Uint8Array) {
  const cert = parseCertificate(certDer);
  return {
    certificate: Buffer.from(certDer).toString('base64'),
    subject: formatName(cert.subject),
    serial: cert.serialHex,
    notBefore: new Date(cert.notBefore).toISOString(),
    notAfter: new Date(cert.notAfter).toISOString(),
  };
}

/** Claims the bootstrap for this node; false when another node (or an earlier start) already did. */
async function claimBootstrap(core: Core, now: Date): Promise<boolean> {
  try {
    await core.commands.handle(ISSUER_CONFIG_STREAM, issuerConfigDecider, { type: 'ClaimBootstrap', data: { node: hostname() }, now }, { metadata: META });
    return true;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'bootstrap_claimed') return false;
    throw error;
  }
}

async function waitForDefaultIssuer(core: Core, timeoutMs = 60_000): Promise<IssuerRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await waitForProjections(core);
    const issuer = core.queries.issuers.resolve('default');
    if (issuer) return issuer;
    if (Date.now() > deadline) throw new Error('another node claimed the CA bootstrap but no default issuer appeared');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function createCa(core: Core, now: Date): Promise<void> {
  const { ca } = core.config;
  const org: NameAttribute[] = [{ type: 'O', value: ca.organization }];
  const root = await newKey(core, 'root-key', CA_KEY, now);
  const rootCert = createSelfSignedCa(root.signer, {
    subject: [...org, { type: 'CN', value: ca.rootCommonName }],
    serialHex: randomSerialHex(),
    notBefore: now.getTime() - 60_000,
    notAfter: now.getTime() + ca.rootValidityDays * DAY_MS,
  });
  const rootIssuerId = randomUUID();
  await recordIssuer(
    core,
    { issuerId: rootIssuerId, name: 'root', kind: 'root', chain: [], keyId: root.keyId, usage: ['issuing-certificates', 'crl-signing', 'ocsp-signing'], leafNotAfterBehavior: 'err', ...issuerFacts(rootCert.certDer) },
    now,
  );
  const issuing = await newKey(core, 'issuing-key', CA_KEY, now);
  const issuingDer = createIntermediateCa({ template: rootCert.template, signer: root.signer }, issuing.signer.spkiDer, {
    subject: [...org, { type: 'CN', value: ca.issuingCommonName }],
    serialHex: randomSerialHex(),
    notBefore: now.getTime() - 60_000,
    notAfter: Math.min(now.getTime() + ca.issuingValidityDays * DAY_MS, now.getTime() + ca.rootValidityDays * DAY_MS),
    pathLen: 0,
  });
  const issuingIssuerId = randomUUID();
  await recordIssuer(
    core,
    {
      issuerId: issuingIssuerId,
      name: 'issuing',
      kind: 'intermediate',
      chain: [Buffer.from(rootCert.certDer).toString('base64')],
      keyId: issuing.keyId,
      usage: ['issuing-certificates', 'crl-signing', 'ocsp-signing'],
      leafNotAfterBehavior: 'truncate',
      ...issuerFacts(issuingDer),
    },
    now,
  );
  await core.commands.handle(
    ISSUER_CONFIG_STREAM,
    issuerConfigDecider,
    { type: 'SetDefaultIssuer', data: { issuerId: issuingIssuerId }, now },
    { metadata: META },
  );
}

/**
 * Whether this CA had a default issuer and no longer has one: then its absence is an operator's choice (DELETE
 * /v1/pki/root), not a bootstrap in progress. The read models are first brought up to the configuration stream
 * read here, so that another node's bootstrap, finished a moment ago, is never taken for a deletion.
 */
async function defaultIssuerRemoved(core: Core): Promise<boolean> {
  const config = await core.store.readStream(ISSUER_CONFIG_STREAM);
  if (!config.some((event) => event.type === 'DefaultIssuerSet')) return false;
  await core.runner.waitFor(config[config.length - 1].position);
  return !core.queries.issuers.resolve('default');
}

type CaState = { issuing: IssuerRow; root: IssuerRow; created: boolean } | { issuing: undefined; root: undefined; created: false };

async function ensureCa(core: Core, now: Date): Promise<CaState> {
  await waitForProjections(core);
  let created = false;
  if (!core.queries.issuers.resolve('default')) {
    if (await claimBootstrap(core, now)) {
      await createCa(core, now);
      created = true;
    } else if (await defaultIssuerRemoved(core)) {
      core.logger.warn('this CA has no default issuer (it was deleted): generate or import one through /v1/pki before issuing');
      return { issuing: undefined, root: undefined, created: false };
    }
  }
  const issuing = await waitForDefaultIssuer(core);
  const rootDer = issuing.chain.length ? issuing.chain[issuing.chain.length - 1] : issuing.certificate;
  const root = core.queries.issuers.list().find((i) => i.certificate === rootDer) ?? issuing;
  return { issuing, root, created };
}

async function ensureRootToken(core: Core, now: Date): Promise<string> {
  const file = core.paths.rootToken;
  const existing = core.config.rootToken ?? readIfExists(file)?.trim();
  for (let attempt = 0; ; attempt++) {
    // Up to the head first: another node starting at the same time may have just created this very token.
    await waitForProjections(core);
    if (existing && core.queries.credentials.apiTokenByHash(hashSecret(existing))?.status === 'active') return existing;
    const token = existing || newSecret('sgn_');
    // The first root token takes the well-known accessor; a replacement (lost file) gets a fresh one.
    const taken = core.queries.credentials.apiToken(ROOT_TOKEN_ACCESSOR) !== undefined;
    const accessor = taken ? `${ROOT_TOKEN_ACCESSOR}-${randomUUID()}` : ROOT_TOKEN_ACCESSOR;
    try {
      const result = await core.commands.handle(
        tokenStream(accessor),
        tokenDecider,
        { type: 'CreateToken', data: { accessor, hash: hashSecret(token), displayName: 'root', policies: ['root'] }, now },
        { metadata: META },
      );
      writeSecretFile(file, `${token}\n`);
      if (result.position) await core.runner.waitFor(result.position);
      return token;
    } catch (error) {
      // Another node created the root token between our look and our append: look again.
      if (attempt < 3 && error instanceof DomainError && error.code === 'token_exists') continue;
      throw error;
    }
  }
}

function wantedSans(core: Core): San[] {
  return [...core.config.tls.serverNames.map((value): San => ({ type: 'dns', value })), ...core.config.tls.serverIps.map((value): San => ({ type: 'ip', value }))];
}

function sameSans(a: San[], b: San[]): boolean {
  const key = (sans: San[]) => sans.map((s) => `${s.type}:${s.value.toLowerCase()}`).sort().join(',');
  return key(a) === key(b);
}

/**
 * Reuse the TLS certificate while it is issued by the current issuing CA (any, when there is none), names what is
 * configured and has 30+ days left.
 */
function reusableTls(core: Core, issuing: IssuerRow | undefined, now: Date): { certPem: string; keyPem: string } | undefined {
  const { serverCertPem, serverKeyPem } = core.paths;
  if (!existsSync(serverCertPem) || !existsSync(serverKeyPem)) return undefined;
  try {
    const certPem = readFileSync(serverCertPem, 'utf8');
    const [leaf] = decodePem(certPem).filter((block) => block.label === 'CERTIFICATE');
    const cert = parseCertificate(leaf.der);
    const fresh = cert.notAfter - now.getTime() > 30 * DAY_MS;
    const issuedByCurrent = !issuing || Buffer.compare(Buffer.from(cert.issuerDer), Buffer.from(parseCertificate(Buffer.from(issuing.certificate, 'base64')).subjectDer)) === 0;
    if (!fresh || !issuedByCurrent || !sameSans(cert.sans, wantedSans(core))) return undefined;
    return { certPem, keyPem: readFileSync(serverKeyPem, 'utf8') };
  } catch {
    return undefined;
  }
}

async function issueServerTls(core: Core, issuing: IssuerRow, now: Date): Promise<{ certPem: string; keyPem: string }> {
  const key = core.queries.issuers.key(issuing.keyId ?? '');
  if (!key) throw new Error(`issuing CA ${issuing.name} has no usable key`);
  const issuerSigner = createSigner(unwrapPrivateKey(key.wrapped, core.kek, key.keyId));
  const template = issuerTemplateFromCertificate(Buffer.from(issuing.certificate, 'base64'), issuerSigner.algorithm);
  const spec: KeySpec = { kind: 'ec', curve: 'P-256' };
  const pair = await generateKey(core, spec);
  const subject: NameAttribute[] = [
    { type: 'O', value: core.config.ca.organization },
    { type: 'CN', value: core.config.tls.serverNames[0] ?? 'localhost' },
  ];
  const content: CertContent = {
    serialHex: randomSerialHex(),
    notBefore: now.getTime() - 60_000,
    notAfter: Math.min(now.getTime() + core.config.ca.leafValidityDays * DAY_MS, Date.parse(issuing.notAfter)),
    subject,
    spkiDer: pair.spkiDer,
    sans: wantedSans(core),
    basicConstraints: { ca: false },
    keyUsage: ['digitalSignature'],
    extKeyUsage: ['serverAuth'],
  };
  const certDer = signCertificate(template, issuerSigner, content);
  await core.commands.handle(
    certificateStream(content.serialHex),
    certificateDecider,
    {
      type: 'RecordIssuedCertificate',
      data: {
        serial: content.serialHex,
        issuerId: issuing.issuerId,
        subject: formatName(subject),
        sans: content.sans,
        notBefore: new Date(content.notBefore).toISOString(),
        notAfter: new Date(content.notAfter).toISOString(),
        der: Buffer.from(certDer).toString('base64'),
        keyType: describeKey(spec),
        profile: 'signet-tls',
      },
      now,
    },
    { metadata: { ...META, action: 'issue' } },
  );
  const chain = [certDer, Buffer.from(issuing.certificate, 'base64')];
  const certPem = dersToPem(chain, 'CERTIFICATE');
  const keyPem = derToPem(pair.pkcs8Der, 'PRIVATE KEY');
  mkdirSync(core.paths.tlsDir, { recursive: true, mode: 0o700 });
  writeFileSync(core.paths.serverCertPem, certPem);
  writeSecretFile(core.paths.serverKeyPem, keyPem);
  return { certPem, keyPem };
}

export async function bootstrap(core: Core, now = new Date()): Promise<BootstrapResult> {
  const { issuing, root, created } = await ensureCa(core, now);
  let ca: BootstrapResult['ca'] = { present: false, rootIssuerId: '', issuingIssuerId: '', rootFingerprint: '', created, rootPem: core.paths.rootPem, chainPem: core.paths.chainPem };
  if (issuing && root) {
    const rootDer = Buffer.from(root.certificate, 'base64');
    mkdirSync(core.paths.caDir, { recursive: true });
    writeFileSync(core.paths.rootPem, derToPem(rootDer, 'CERTIFICATE'));
    writeFileSync(core.paths.chainPem, dersToPem([issuing.certificate, ...issuing.chain].map((b64) => Buffer.from(b64, 'base64')), 'CERTIFICATE'));
    ca = { ...ca, present: true, rootIssuerId: root.issuerId, issuingIssuerId: issuing.issuerId, rootFingerprint: fingerprint(rootDer) };
  }
  const rootToken = await ensureRootToken(core, now);
  await ensureDefaultEstProfile(core, now);
  const reused = reusableTls(core, issuing, now);
  if (!reused && !issuing) throw new Error('no issuing CA to issue the listeners\' TLS certificate, and no usable one in the data dir: restore the CA from a backup of the event log');
  const tls = reused ?? (await issueServerTls(core, issuing!, now));
  await waitForProjections(core);
  return {
    ca,
    rootToken,
    tls: { ...tls, created: !reused, certFile: core.paths.serverCertPem, keyFile: core.paths.serverKeyPem },
  };
}
