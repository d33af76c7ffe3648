/**
 * One CSR in, one certificate (or a typed refusal) out: what a signing worker runs per request.
 * parse -> verify proof of possession -> policy decides -> encodeTbs -> sign -> assemble.
 */
import type { CertContent, CsrFacts } from '../domain/x509.js';
import { signCertificate } from './certificate.js';
import { csrFacts, parseCsr, verifyCsr } from './csr.js';
import { CryptoInputError } from './errors.js';
import type { Signer } from './signer.js';
import type { IssuerTemplate } from './tbs.js';

export type Decision = CertContent | { rejected: { code: string; message: string } };

export interface IssueFromCsrInput {
  csrDer: Uint8Array;
  template: IssuerTemplate;
  signer: Signer;
  /** Pure policy: the verified request's facts become certificate content or a refusal. */
  decide(facts: CsrFacts): Decision;
}

export type IssueResult =
  | { ok: true; certDer: Uint8Array; facts: CsrFacts; content: CertContent }
  /** `code` is a CryptoInputErrorCode or the policy's own code; `facts` is present once the CSR verified. */
  | { ok: false; code: string; message: string; facts?: CsrFacts };

/**
 * Never throws for bad input (a garbage CSR, a bad signature, content the policy decided but that cannot be encoded);
 * throws only for programming errors, such as a signer whose algorithm differs from the template's.
 */
export function issueFromCsr({ csrDer, template, signer, decide }: IssueFromCsrInput): IssueResult {
  let facts: CsrFacts | undefined;
  try {
    const parsed = parseCsr(csrDer);
    verifyCsr(parsed);
    facts = csrFacts(parsed);
    const decision = decide(facts);
    if ('rejected' in decision) return { ok: false, ...decision.rejected, facts };
    return { ok: true, certDer: signCertificate(template, signer, decision), facts, content: decision };
  } catch (error) {
    if (!(error instanceof CryptoInputError)) throw error;
    return facts ? { ok: false, code: error.code, message: error.message, facts } : { ok: false, code: error.code, message: error.message };
  }
}
