/**
 * Plain X.509 value types shared by domain policy and the crypto layer.
 * Types only: the crypto layer may `import type` these (erased at run time), it never imports domain logic.
 */

export type KeySpec =
  | { kind: 'ec'; curve: 'P-256' | 'P-384' }
  | { kind: 'ed25519' }
  | { kind: 'rsa'; bits: number };

/** One attribute of a distinguished name, in RDN order. `type` is a short name (CN, O, OU, C, ST, L, serialNumber, emailAddress, DC, UID...) or a dotted OID. */
export interface NameAttribute {
  type: string;
  value: string;
}

export type San =
  | { type: 'dns'; value: string }
  | { type: 'ip'; value: string }
  | { type: 'email'; value: string }
  | { type: 'uri'; value: string }
  /** otherName etc., kept opaque: the GeneralName's DER in base64. */
  | { type: 'other'; value: string };

export type KeyUsage =
  | 'digitalSignature'
  | 'contentCommitment'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

/** Extended key usage by name (serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, OCSPSigning) or dotted OID. */
export type ExtKeyUsage = string;

/** What a verified PKCS#10 request asks for. */
export interface CsrFacts {
  subject: NameAttribute[];
  /** The subject Name exactly as encoded in the CSR. */
  subjectDer: Uint8Array;
  publicKey: KeySpec;
  /** SubjectPublicKeyInfo DER. */
  spkiDer: Uint8Array;
  sans: San[];
  /** Extensions requested through the extensionRequest attribute, SAN included. */
  requestedExtensions: { oid: string; critical: boolean; valueDer: Uint8Array }[];
  challengePassword?: string;
  /** Signature algorithm OID of the CSR. */
  signatureAlgorithm: string;
}

/** Everything the CA decided to put into one certificate. Times are epoch milliseconds. */
export interface CertContent {
  /** Lowercase hex, no separators; a positive DER INTEGER of at most 20 bytes. */
  serialHex: string;
  notBefore: number;
  notAfter: number;
  /** Either attributes to encode, or a Name DER to copy verbatim. */
  subject: NameAttribute[] | { der: Uint8Array };
  spkiDer: Uint8Array;
  sans: San[];
  /** Absent for end-entity certs that omit the extension; {ca:false} encodes it. */
  basicConstraints?: { ca: boolean; pathLen?: number };
  keyUsage: KeyUsage[];
  extKeyUsage: ExtKeyUsage[];
  crlDistributionPoints?: string[];
  ocspServers?: string[];
  issuingCertificateUrls?: string[];
}
