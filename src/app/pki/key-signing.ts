/**
 * Signing with a stored (wrapped) key: the bytes are encoded here and signed in the worker pool, so CA private
 * keys are only ever unwrapped inside signing workers. Used for CA certificates and CA CSRs; leaf issuance goes
 * through IssuanceService and the worker's own pipeline.
 */
import type { CertContent, NameAttribute } from '../../domain/x509.js';
import { algorithmIdentifierDer, defaultSignatureAlgorithm } from '../../crypto/algorithms.js';
import { issuerTemplateFromCertificate } from '../../crypto/ca.js';
import { assembleCertificate } from '../../crypto/certificate.js';
import { assembleCsr, encodeCsrInfo, type CsrContent } from '../../crypto/csr-builder.js';
import { encodeName } from '../../crypto/name.js';
import { createIssuerTemplate, encodeTbs } from '../../crypto/tbs.js';
import type { KeyRow } from '../../../projections/issuers.js';
import type { SigningPool } from '../signing-pool.js';

const keyRef = (key: KeyRow) => ({ keyId: key.keyId, wrapped: key.wrapped });

/**
 * A certificate signed by `key`: issued by the CA certificate `issuerCertDer`, or self-signed (a root) when that
 * is undefined, in which case the content's subject must be attributes.
 */
export async function signCertificateWithKey(pool: SigningPool, key: KeyRow, issuerCertDer: Uint8Array | undefined, content: CertContent): Promise<Uint8Array> {
  const algorithm = defaultSignatureAlgorithm(key.spec);
  const template = issuerCertDer
    ? issuerTemplateFromCertificate(issuerCertDer, algorithm)
    : createIssuerTemplate({
        issuerNameDer: 'der' in content.subject ? content.subject.der : encodeName(content.subject as NameAttribute[]),
        issuerSpkiDer: Buffer.from(key.spki, 'base64'),
        signatureAlgorithm: algorithm,
      });
  const tbs = encodeTbs(template, content);
  return assembleCertificate(tbs, algorithmIdentifierDer(algorithm), await pool.sign(keyRef(key), tbs));
}

/** A PKCS#10 request for the stored key, signed by it. */
export async function signCsrWithKey(pool: SigningPool, key: KeyRow, content: CsrContent): Promise<Uint8Array> {
  const info = encodeCsrInfo(Buffer.from(key.spki, 'base64'), content);
  return assembleCsr(info, algorithmIdentifierDer(defaultSignatureAlgorithm(key.spec)), await pool.sign(keyRef(key), info));
}
