/** PEM inputs of the OpenBao API (CSRs, certificates, bundles), decoded with OpenBao's error messages. */
import { invalid } from '../../domain/errors.js';
import type { CsrIdentity } from '../../domain/role-issuance.js';
import { parseCertificate, type ParsedCertificate } from '../../crypto/certificate.js';
import { parseCsr, type ParsedCsr } from '../../crypto/csr.js';
import { CryptoInputError } from '../../crypto/errors.js';
import { decodeUtf8OtherName } from '../../crypto/other-name.js';
import { decodePem, type PemBlock } from '../../crypto/pem.js';

function pemBlocks(text: string, field: string): PemBlock[] {
  try {
    return decodePem(text);
  } catch {
    throw invalid('bad_pem', `${field} contains no data`);
  }
}

/** The first PEM block of `csr`, parsed (not yet verified: the signing worker checks the signature). */
export function readCsr(text: string): { der: Uint8Array; parsed: ParsedCsr } {
  if (!text) throw invalid('csr_missing', '"csr" is empty');
  const [block] = pemBlocks(text, 'csr');
  try {
    return { der: block.der, parsed: parseCsr(block.der) };
  } catch (error) {
    if (error instanceof CryptoInputError) throw invalid('bad_csr', `certificate request could not be parsed: ${error.message}`);
    throw error;
  }
}

export interface ReadCertificate {
  der: Uint8Array;
  parsed: ParsedCertificate;
}

export function parseCertificateDer(der: Uint8Array, field = 'certificate'): ReadCertificate {
  try {
    return { der, parsed: parseCertificate(der) };
  } catch (error) {
    if (error instanceof CryptoInputError) throw invalid('bad_certificate', `${field} could not be parsed: ${error.message}`);
    throw error;
  }
}

/** Every CERTIFICATE block of a PEM text, parsed. */
export function readCertificates(text: string, field = 'certificate'): ReadCertificate[] {
  if (!text) throw invalid('certificate_missing', `"${field}" is empty`);
  return pemBlocks(text, field)
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block) => parseCertificateDer(block.der, field));
}

/** What a CSR asks for, in the shape role checks read. */
export function csrIdentity(csr: ParsedCsr): CsrIdentity {
  const first = (type: string) => csr.subject.find((a) => a.type === type)?.value;
  const sans = (type: string) => csr.sans.filter((s) => s.type === type).map((s) => s.value);
  return {
    commonName: first('CN'),
    serialNumber: first('serialNumber'),
    userIds: csr.subject.filter((a) => a.type === 'UID').map((a) => a.value),
    dnsNames: sans('dns'),
    emails: sans('email'),
    ips: sans('ip'),
    uris: sans('uri'),
    otherSans: csr.sans.flatMap((san) => {
      const other = decodeUtf8OtherName(san);
      return other ? [other] : [];
    }),
  };
}

/** Serials as OpenBao writes them: lower-case hex pairs joined by colons. */
export function colonSerial(hex: string): string {
  const even = hex.length % 2 ? `0${hex}` : hex;
  return even.toLowerCase().match(/../g)!.join(':');
}

/** Accepts colon- or hyphen-separated (or bare) hex, as OpenBao does; Signet's index keys are bare lower-case hex. */
export function normalizeSerial(text: string): string {
  return text.replace(/[:-]/g, '').toLowerCase();
}
