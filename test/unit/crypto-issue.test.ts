import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CsrFacts } from '../../src/domain/x509.js';
import { parseCertificate } from '../../src/crypto/certificate.js';
import { issueFromCsr, type Decision } from '../../src/crypto/issue.js';
import { generateKeyPair } from '../../src/crypto/keygen.js';
import { createSigner } from '../../src/crypto/signer.js';
import { acceptedCsrs, leafContent, loadCsr, makeRootCa } from '../fixtures/crypto/helpers.js';

const ca = makeRootCa();
const issue = (csrDer: Uint8Array, decide: (facts: CsrFacts) => Decision = (facts) => leafContent(facts)) =>
  issueFromCsr({ csrDer, template: ca.template, signer: ca.signer, decide });

describe('issueFromCsr', () => {
  for (const name of acceptedCsrs) {
    it(`issues for ${name}`, () => {
      const result = issue(loadCsr(name));
      assert.ok(result.ok, result.ok ? '' : `${result.code}: ${result.message}`);
      const cert = parseCertificate(result.certDer);
      assert.deepEqual(cert.spkiDer, result.facts.spkiDer);
      assert.equal(cert.serialHex, result.content.serialHex);
      assert.deepEqual(cert.sans, result.facts.sans);
    });
  }

  it('hands the policy plain CsrFacts', () => {
    let seen: CsrFacts | undefined;
    issue(loadCsr('p256-full'), (facts) => {
      seen = facts;
      return leafContent(facts);
    });
    assert.deepEqual(Object.keys(seen!).sort(), ['challengePassword', 'publicKey', 'requestedExtensions', 'sans', 'signatureAlgorithm', 'spkiDer', 'subject', 'subjectDer']);
  });

  it('returns the policy refusal with the facts', () => {
    const result = issue(loadCsr('p384'), () => ({ rejected: { code: 'key_not_allowed', message: 'no P-384 here' } }));
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.code, 'key_not_allowed');
    assert.equal(result.message, 'no P-384 here');
    assert.deepEqual(result.facts?.publicKey, { kind: 'ec', curve: 'P-384' });
  });

  it('turns bad input into typed refusals without calling the policy', () => {
    const cases: [string, Uint8Array][] = [
      ['malformed', Buffer.from('garbage')],
      ['unsupported_key', loadCsr('secp256k1')],
      ['unsupported_key', loadCsr('rsa1024')],
      ['unsupported_algorithm', loadCsr('p256-sha1')],
    ];
    const flipped = new Uint8Array(loadCsr('p256-full'));
    flipped[flipped.length - 3] ^= 1;
    cases.push(['bad_signature', flipped]);
    for (const [code, der] of cases) {
      const result = issue(der, () => assert.fail('policy must not run'));
      assert.ok(!result.ok);
      assert.equal(result.code, code, result.message);
      assert.equal(result.facts, undefined);
    }
  });

  it('reports content the policy decided but that cannot be encoded as invalid_content', () => {
    const result = issue(loadCsr('p256-full'), (facts) => leafContent(facts, { serialHex: '00' }));
    assert.ok(!result.ok);
    assert.equal(result.code, 'invalid_content');
    assert.ok(result.facts);
  });

  it('throws for programming errors', () => {
    const ed = createSigner(generateKeyPair({ kind: 'ed25519' }).pkcs8Der);
    assert.throws(() => issueFromCsr({ csrDer: loadCsr('p384'), template: ca.template, signer: ed, decide: (f) => leafContent(f) }), /template/);
    assert.throws(() => issue(loadCsr('p384'), () => { throw new TypeError('policy bug'); }), /policy bug/);
  });
});
