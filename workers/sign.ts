/**
 * Piscina worker: the only place private keys are used. Stateless apart from caches of unwrapped signers and
 * issuer templates, keyed by id, so every task can go to any worker.
 */
import { workerData } from 'node:worker_threads';
import { decideCertContent, describeKey, type IssuanceContext, type IssuancePolicy } from '../src/domain/issuance-policy.js';
import type { KeySpec, San } from '../src/domain/x509.js';
import { issuerTemplateFromCertificate } from '../src/crypto/ca.js';
import { issueFromCsr } from '../src/crypto/issue.js';
import { generateKeyPair } from '../src/crypto/keygen.js';
import { unwrapPrivateKey } from '../src/crypto/keywrap.js';
import { formatName } from '../src/crypto/name.js';
import { createSigner, type Signer } from '../src/crypto/signer.js';
import type { IssuerTemplate } from '../src/crypto/tbs.js';

export interface WrappedKeyRef {
  keyId: string;
  /** keywrap blob of the PKCS#8 private key. */
  wrapped: string;
}

export interface IssuerRef extends WrappedKeyRef {
  issuerId: string;
  /** The issuer's certificate DER. */
  certificate: Uint8Array;
}

export interface IssueItem {
  csr: Uint8Array;
  policy: IssuancePolicy;
  ctx: IssuanceContext;
  issuer: IssuerRef;
}

export type IssueOutcome =
  | { ok: true; certDer: Uint8Array; subject: string; sans: San[]; keyType: string; notBefore: number; notAfter: number }
  | { ok: false; code: string; message: string };

export interface GeneratedKey {
  pkcs8Der: Uint8Array;
  spkiDer: Uint8Array;
}

export type SignTask = { kind: 'sign'; key: WrappedKeyRef; data: Uint8Array } | { kind: 'keygen'; spec: KeySpec } | { kind: 'ping' };
export type WorkerTask = SignTask | { kind: 'issue'; items: IssueItem[] };

const kek: Uint8Array = (workerData as { kek: Uint8Array }).kek;
const signers = new Map<string, Signer>();
const templates = new Map<string, IssuerTemplate>();

function signerFor(key: WrappedKeyRef): Signer {
  let signer = signers.get(key.keyId);
  if (!signer) {
    signer = createSigner(unwrapPrivateKey(key.wrapped, kek, key.keyId));
    signers.set(key.keyId, signer);
  }
  return signer;
}

function templateFor(issuer: IssuerRef, signer: Signer): IssuerTemplate {
  let template = templates.get(issuer.issuerId);
  if (!template) {
    template = issuerTemplateFromCertificate(issuer.certificate, signer.algorithm);
    templates.set(issuer.issuerId, template);
  }
  return template;
}

function issueOne(item: IssueItem): IssueOutcome {
  const signer = signerFor(item.issuer);
  const result = issueFromCsr({
    csrDer: item.csr,
    template: templateFor(item.issuer, signer),
    signer,
    decide: (facts) => decideCertContent(facts, item.policy, item.ctx),
  });
  if (!result.ok) return { ok: false, code: result.code, message: result.message };
  const { content, facts } = result;
  return {
    ok: true,
    certDer: result.certDer,
    subject: formatName('der' in content.subject ? facts.subject : content.subject),
    sans: content.sans,
    keyType: describeKey(facts.publicKey),
    notBefore: content.notBefore,
    notAfter: content.notAfter,
  };
}

export default function handle(task: WorkerTask): unknown {
  switch (task.kind) {
    case 'issue':
      return task.items.map(issueOne);
    case 'sign':
      return signerFor(task.key).sign(task.data);
    case 'keygen':
      return generateKeyPair(task.spec);
    case 'ping':
      return 'pong';
  }
}
