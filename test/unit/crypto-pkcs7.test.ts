import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { signCertificate } from '../../src/crypto/certificate.js';
import { csrFacts, parseCsr } from '../../src/crypto/csr.js';
import { CryptoInputError } from '../../src/crypto/errors.js';
import { decodeCertsOnlyPkcs7, encodeCertsOnlyPkcs7 } from '../../src/crypto/pkcs7.js';
import { hex, leafContent, loadCsr, makeRootCa } from '../fixtures/crypto/helpers.js';

const root = makeRootCa();
const leaves = ['p256-full', 'ed25519', 'rsa2048'].map((name) =>
  signCertificate(root.template, root.signer, leafContent(csrFacts(parseCsr(loadCsr(name))))),
);

describe('certs-only PKCS#7', () => {
  it('round-trips the certificates in order', () => {
    for (const certs of [[leaves[0]], [leaves[0], root.certDer], [...leaves, root.certDer], []]) {
      assert.deepEqual(decodeCertsOnlyPkcs7(encodeCertsOnlyPkcs7(certs)).map(hex), certs.map(hex));
    }
  });

  it('is read by pkijs as SignedData v1 with no signers', () => {
    const der = encodeCertsOnlyPkcs7([leaves[0], root.certDer]);
    const contentInfo = pkijs.ContentInfo.fromBER(new Uint8Array(der));
    assert.equal(contentInfo.contentType, pkijs.ContentInfo.SIGNED_DATA);
    const signedData = new pkijs.SignedData({ schema: contentInfo.content });
    assert.equal(signedData.version, 1);
    assert.equal(signedData.signerInfos.length, 0);
    assert.equal(signedData.digestAlgorithms.length, 0);
    assert.equal(signedData.encapContentInfo.eContentType, '1.2.840.113549.1.7.1');
    assert.deepEqual(
      signedData.certificates!.map((c) => hex((c as pkijs.Certificate).toSchema().toBER())),
      [hex(leaves[0]), hex(root.certDer)],
    );
  });

  it('decodes a SignedData written by pkijs', () => {
    const signedData = new pkijs.SignedData({
      version: 1,
      encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1' }),
      certificates: [pkijs.Certificate.fromBER(new Uint8Array(root.certDer))],
    });
    const der = new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: signedData.toSchema(true) }).toSchema().toBER();
    assert.deepEqual(decodeCertsOnlyPkcs7(new Uint8Array(der)).map(hex), [hex(root.certDer)]);
  });

  it('rejects other content types and trailing data', () => {
    const data = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })] }).toBER();
    assert.throws(() => decodeCertsOnlyPkcs7(new Uint8Array(data)), (e: unknown) => e instanceof CryptoInputError && /not signedData/.test(e.message));
    const der = encodeCertsOnlyPkcs7([root.certDer]);
    assert.throws(() => decodeCertsOnlyPkcs7(Buffer.concat([der, Buffer.from([0])])), CryptoInputError);
  });
});
