/**
 * Random mutations of valid inputs must only ever produce CryptoInputError (or success), never another exception,
 * a hang or a crash. Seeded, so a failure names the seed and iteration that reproduce it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCertificate } from '../../src/crypto/certificate.js';
import { parseCsr, verifyCsr } from '../../src/crypto/csr.js';
import { CryptoInputError } from '../../src/crypto/errors.js';
import { issueFromCsr } from '../../src/crypto/issue.js';
import { decodeCertsOnlyPkcs7, encodeCertsOnlyPkcs7 } from '../../src/crypto/pkcs7.js';
import { acceptedCsrs, leafContent, loadCsr, makeRootCa } from '../fixtures/crypto/helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 4000);
const TIME_BUDGET_MS = 8000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(input: Uint8Array, random: () => number): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  const bytes = Buffer.from(input);
  const at = int(bytes.length);
  switch (int(8)) {
    case 0:
      bytes[at] ^= 1 << int(8);
      return bytes;
    case 1:
      bytes[at] = int(256);
      return bytes;
    case 2: // lengths and tags are the interesting bytes: hit the ones right after a plausible tag
      for (let i = at; i < bytes.length - 1; i++) {
        if ([0x02, 0x03, 0x04, 0x06, 0x0c, 0x13, 0x30, 0x31, 0xa0, 0x82, 0x87].includes(bytes[i])) {
          bytes[i + 1] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff, int(256)][int(8)];
          break;
        }
      }
      return bytes;
    case 3:
      return bytes.subarray(0, at);
    case 4:
      return Buffer.concat([bytes.subarray(0, at), Buffer.from([int(256)]), bytes.subarray(at)]);
    case 5:
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + int(8))]);
    case 6: {
      const length = 1 + int(16);
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + length), bytes.subarray(at)]);
    }
    default: {
      const other = int(bytes.length);
      [bytes[at], bytes[other]] = [bytes[other], bytes[at]];
      return bytes;
    }
  }
}

/** `target` rejects an input by throwing CryptoInputError or by returning false. */
function fuzz(name: string, corpus: Uint8Array[], target: (input: Uint8Array) => unknown): void {
  const random = mulberry32(SEED ^ name.length);
  const started = Date.now();
  let rejected = 0;
  let i = 0;
  for (; i < ITERATIONS && Date.now() - started < TIME_BUDGET_MS; i++) {
    let input = corpus[Math.floor(random() * corpus.length)];
    const rounds = 1 + Math.floor(random() * 3);
    for (let r = 0; r < rounds; r++) input = mutate(input, random);
    try {
      if (target(input) === false) rejected++;
    } catch (error) {
      if (!(error instanceof CryptoInputError)) {
        assert.fail(`${name}: seed ${SEED} iteration ${i} threw ${String(error)} for ${Buffer.from(input).toString('base64')}`);
      }
      rejected++;
    }
  }
  assert.ok(i >= Math.min(ITERATIONS, 500), `${name}: only ${i} iterations ran in the time budget`);
  assert.ok(rejected > i / 2, `${name}: mutations were rejected only ${rejected} of ${i} times`);
}

describe('fuzzing', () => {
  const csrs = acceptedCsrs.map(loadCsr);
  const ca = makeRootCa();

  it('parseCsr + verifyCsr throw only CryptoInputError', () => {
    fuzz('csr', csrs, (der) => verifyCsr(parseCsr(der)));
  });

  it('issueFromCsr never throws for mutated requests', () => {
    fuzz('issue', csrs, (der) => {
      const result = issueFromCsr({ csrDer: der, template: ca.template, signer: ca.signer, decide: (facts) => leafContent(facts) });
      if (result.ok) parseCertificate(result.certDer);
      return result.ok;
    });
  });

  it('parseCertificate and the PKCS#7 decoder throw only CryptoInputError', () => {
    const certs = csrs.map((csrDer) => {
      const result = issueFromCsr({ csrDer, template: ca.template, signer: ca.signer, decide: (facts) => leafContent(facts) });
      assert.ok(result.ok);
      return result.certDer;
    });
    fuzz('certificate', [...certs, ca.certDer], parseCertificate);
    fuzz('pkcs7', [encodeCertsOnlyPkcs7([certs[0], ca.certDer])], (der) => decodeCertsOnlyPkcs7(der).map(parseCertificate));
  });
});
