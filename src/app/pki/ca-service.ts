/**
 * CA lifecycle (OpenBao path_root / path_intermediate / path_sign_issuers): generate a root, generate an
 * intermediate CSR (or a cross-sign CSR for an existing key), sign an intermediate CSR, re-sign a self-issued CA
 * certificate, rotate and replace the root, delete everything. Names and lifetimes go through the same request
 * resolution as leaves, with OpenBao's implicit "any name" generation role; every signature is made in the pool.
 */
import { randomUUID } from 'node:crypto';
import { invalid } from '../../domain/errors.js';
import { caGenerationRole, resolveCertRequest, type CertRequestInput, type ResolvedCertificate } from '../../domain/role-issuance.js';
import { keySpecFor, type RoleDefinition } from '../../domain/role.js';
import type { CertContent, KeySpec, San } from '../../domain/x509.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { caContent } from '../../crypto/ca.js';
import { isSelfIssued } from '../../crypto/chain.js';
import { parseCertificate } from '../../crypto/certificate.js';
import { verifyCsr } from '../../crypto/csr.js';
import { encodeUtf8OtherName } from '../../crypto/other-name.js';
import { parseSpki } from '../../crypto/public-key.js';
import { randomSerialHex } from '../../crypto/serial.js';
import type { IssuerRow, KeyRow } from '../../../projections/issuers.js';
import { issuerCanIssue } from '../issuance.js';
import { aiaUrls, caTtls, findIssuer, pkiKeys, resolveIssuer, resolveKey, type PkiContext } from './context.js';
import { IssuerAdmin } from './issuer-admin.js';
import { generationType, KeyAdmin } from './key-admin.js';
import { signCertificateWithKey, signCsrWithKey } from './key-signing.js';
import { readCertificates, readCsr } from './pem-input.js';

export type SubjectFields = Pick<RoleDefinition, 'ou' | 'organization' | 'country' | 'locality' | 'province' | 'streetAddress' | 'postalCode'>;

export interface KeyChoice {
  /** The path's type: internal, exported, existing or kms. */
  type: string;
  keyType: string;
  keyBits: number;
  /** Whether the request itself named key_type or key_bits (refused with `existing`). */
  keyParamsGiven: boolean;
  keyRef: string;
  keyName: string;
}

export interface CaRequest {
  input: CertRequestInput;
  subject: SubjectFields;
  notBeforeDuration: number;
  /** -1: unlimited (or one less than the signer's). */
  maxPathLength: number;
  metadata: EventMetadata;
}

export interface GeneratedRoot {
  issuer: IssuerRow;
  key: KeyRow;
  certDer: Uint8Array;
  privateKey?: { pkcs8Der: Uint8Array; spec: KeySpec };
  warnings: string[];
}

export interface SignedCa {
  certDer: Uint8Array;
  caChain: Uint8Array[];
  warnings: string[];
}

const NO_AIA_WARNING =
  "This mount hasn't configured any authority information access (AIA) fields; this may make it harder for systems to find missing certificates in the chain or to validate revocation status of certificates. Consider updating /config/urls or the newly generated issuer with this information.";
const ZERO_PATH_WARNING = 'Max path length of the generated certificate is zero. This certificate cannot be used to issue intermediate CA certificates.';

function sansOf(resolved: ResolvedCertificate): San[] {
  return [...resolved.sans, ...resolved.otherSans.map((o) => encodeUtf8OtherName(o.oid, o.value))];
}

function withSans(content: CertContent, sans: San[]): CertContent {
  return { ...content, sans };
}

export class CaService {
  private readonly keys: KeyAdmin;
  private readonly issuers: IssuerAdmin;

  constructor(private readonly ctx: PkiContext) {
    this.keys = new KeyAdmin(ctx);
    this.issuers = new IssuerAdmin(ctx);
  }

  /** A new key (generated in the pool) or the referenced existing one. */
  private async keyFor(choice: KeyChoice, metadata: EventMetadata): Promise<{ key: KeyRow; pkcs8Der?: Uint8Array }> {
    const type = generationType(choice.type, ['internal', 'exported', 'existing', 'kms']);
    if (type === 'existing') {
      if (choice.keyParamsGiven) throw invalid('key_params_with_existing', 'invalid parameter for the kms/existing path parameter, key_type nor key_bits arguments can be set in this mode');
      return { key: resolveKey(this.ctx, choice.keyRef) };
    }
    const generated = await this.keys.generate(keySpecFor(choice.keyType, choice.keyBits), choice.keyName, metadata);
    return { key: generated.key, ...(type === 'exported' ? { pkcs8Der: generated.pkcs8Der } : {}) };
  }

  private resolve(request: CaRequest, kind: 'root' | 'intermediate'): ResolvedCertificate {
    const role = caGenerationRole({ ...request.subject, notBeforeDuration: request.notBeforeDuration });
    return resolveCertRequest(role, request.input, caTtls(this.ctx, kind));
  }

  private aiaWarnings(): string[] {
    const urls = this.ctx.queries.config.urls();
    return urls.issuingCertificates.length || urls.crlDistributionPoints.length || urls.ocspServers.length ? [] : [NO_AIA_WARNING];
  }

  /** root/generate/:type, issuers/generate/root/:type and (with `rotate`) root/rotate/:type. */
  async generateRoot(request: CaRequest & { key: KeyChoice; issuerName: string; rotate?: boolean }, now = new Date()): Promise<GeneratedRoot> {
    const resolved = this.resolve(request, 'root');
    let issuerName = request.issuerName;
    if (request.rotate && !issuerName && !findIssuer(this.ctx, 'next')) issuerName = 'next';
    const { key, pkcs8Der } = await this.keyFor(request.key, request.metadata);
    const issuerId = randomUUID();
    const notAfter = resolved.notAfter ?? now.getTime() + resolved.ttlSeconds! * 1000;
    const options = {
      subject: resolved.subject,
      serialHex: randomSerialHex(),
      notBefore: now.getTime() - request.notBeforeDuration * 1000,
      notAfter,
      ...(request.maxPathLength >= 0 ? { pathLen: request.maxPathLength } : {}),
      // OpenBao puts config/urls into roots too; a self-signed root gets no default URLs of its own.
      ...aiaUrls(this.ctx, { issuerId, urls: null }, false),
    };
    const content = withSans(caContent(options, resolved.subject, Buffer.from(key.spki, 'base64')), sansOf(resolved));
    const certDer = await signCertificateWithKey(this.ctx.pool, key, undefined, content);
    const issuer = await this.issuers.create({ issuerId, certDer, chain: [], keyId: key.keyId, name: issuerName, kind: 'root' }, request.metadata, now);
    await this.issuers.recordSigned(certDer, issuer.issuerId, { ...request.metadata, action: 'root_generate' }, now);
    const warnings = [...resolved.warnings, ...this.aiaWarnings()];
    if (resolved.subject.length === 0) warnings.push('This issuer certificate was generated without a Subject; this makes it likely that issuing leaf certs with this certificate will cause TLS validation libraries to reject this certificate.');
    if (request.maxPathLength === 0) warnings.push(ZERO_PATH_WARNING);
    return { issuer, key, certDer, ...(pkcs8Der ? { privateKey: { pkcs8Der, spec: key.spec } } : {}), warnings };
  }

  /** intermediate/generate/:type and intermediate/cross-sign (always an existing key): a CSR; the issuer comes with set-signed. */
  async generateIntermediateCsr(request: CaRequest & { key: KeyChoice; addBasicConstraints: boolean }): Promise<{ csrDer: Uint8Array; key: KeyRow; privateKey?: { pkcs8Der: Uint8Array; spec: KeySpec }; warnings: string[] }> {
    const resolved = this.resolve(request, 'intermediate');
    const { key, pkcs8Der } = await this.keyFor(request.key, request.metadata);
    const csrDer = await signCsrWithKey(this.ctx.pool, key, { subject: resolved.subject, sans: sansOf(resolved), requestCa: request.addBasicConstraints });
    return { csrDer, key, ...(pkcs8Der ? { privateKey: { pkcs8Der, spec: key.spec } } : {}), warnings: [...resolved.warnings, ...this.aiaWarnings()] };
  }

  private signer(issuerRef: string): { issuer: IssuerRow; key: KeyRow; certDer: Uint8Array } {
    const issuer = resolveIssuer(this.ctx, issuerRef);
    if (!issuerCanIssue(issuer)) throw invalid('issuer_cannot_issue', `issuer ${issuer.name} is not permitted to issue certificates (usage, revocation or missing key)`);
    const key = this.ctx.core.queries.issuers.key(issuer.keyId!);
    if (!key) throw invalid('issuer_key_missing', `unable to fetch corresponding key for issuer ${issuer.issuerId}; unable to use this issuer for signing`);
    return { issuer, key, certDer: Buffer.from(issuer.certificate, 'base64') };
  }

  /** OpenBao: -1 means one less than the signer's limit (unlimited if it has none); a signer limited to 0 signs no CA. */
  private static pathLength(signerCert: Uint8Array, requested: number): number | undefined {
    const signerLimit = parseCertificate(signerCert).basicConstraints?.pathLen;
    if (signerLimit === 0) throw invalid('path_length_zero', 'signing certificate has a max path length of zero, and cannot issue further CA certificates');
    if (requested >= 0) return requested;
    return signerLimit === undefined ? undefined : signerLimit - 1;
  }

  /** The notAfter of a CA certificate under the signer's leaf_not_after_behavior. */
  private static caNotAfter(issuer: IssuerRow, notAfter: number, warnings: string[]): number {
    const limit = Date.parse(issuer.notAfter);
    if (notAfter <= limit) return notAfter;
    switch (issuer.leafNotAfterBehavior) {
      case 'permit':
        warnings.push("The expiration time for the signed certificate is after the CA's expiration time. If the new certificate is not treated as a root, validation paths with the certificate past the issuing CA's expiration time will fail.");
        return notAfter;
      case 'truncate':
        return limit;
      case 'err':
        throw invalid('exceeds_issuer_validity', `cannot satisfy request, as TTL would result in notAfter of ${new Date(notAfter).toISOString()} that is beyond the expiration of the CA certificate at ${new Date(limit).toISOString()}`);
    }
  }

  private async signCa(issuerRef: string, build: (signer: { issuer: IssuerRow; certDer: Uint8Array }, warnings: string[]) => CertContent, metadata: EventMetadata, action: string): Promise<SignedCa> {
    const signer = this.signer(issuerRef);
    const warnings: string[] = [];
    const content = { ...build(signer, warnings), ...aiaUrls(this.ctx, signer.issuer) };
    const certDer = await signCertificateWithKey(this.ctx.pool, signer.key, signer.certDer, content);
    await this.issuers.recordSigned(certDer, signer.issuer.issuerId, { ...metadata, action });
    const caChain = [signer.issuer.certificate, ...signer.issuer.chain].map((b64) => new Uint8Array(Buffer.from(b64, 'base64')));
    return { certDer, caChain, warnings };
  }

  /** root/sign-intermediate and issuer/:ref/sign-intermediate: a CA certificate for the CSR's key. */
  signIntermediate(request: CaRequest & { issuerRef: string; csr: string; useCsrValues: boolean }, now = new Date()): Promise<SignedCa> {
    const csr = readCsr(request.csr);
    verifyCsr(csr.parsed);
    return this.signCa(
      request.issuerRef,
      (signer, warnings) => {
        const resolved = this.resolve(request, 'intermediate');
        warnings.push(...resolved.warnings);
        const subject = request.useCsrValues ? { der: csr.parsed.subjectDer } : resolved.subject;
        const sans = request.useCsrValues ? csr.parsed.sans : sansOf(resolved);
        const notAfter = CaService.caNotAfter(signer.issuer, resolved.notAfter ?? now.getTime() + resolved.ttlSeconds! * 1000, warnings);
        const pathLen = CaService.pathLength(signer.certDer, request.maxPathLength);
        if (pathLen === 0) warnings.push(ZERO_PATH_WARNING.replace('generated', 'signed'));
        const options = { subject: resolved.subject, serialHex: randomSerialHex(), notBefore: now.getTime() - request.notBeforeDuration * 1000, notAfter, ...(pathLen !== undefined ? { pathLen } : {}) };
        return withSans(caContent(options, subject, csr.parsed.spkiDer), sans);
      },
      request.metadata,
      'sign-intermediate',
    );
  }

  /**
   * root/sign-self-issued and issuer/:ref/sign-self-issued: the submitted self-issued CA certificate re-signed by the
   * issuer, keeping its subject, key, validity and extensions Signet knows. Unlike OpenBao it gets a fresh serial, so
   * every certificate this mount signs is recorded under a serial of its own.
   */
  signSelfIssued(request: { issuerRef: string; certificate: string; requireMatchingAlgorithms: boolean; metadata: EventMetadata }): Promise<SignedCa> {
    const certs = readCertificates(request.certificate);
    if (certs.length !== 1) throw invalid('one_certificate', `${certs.length} certificates found in PEM file, expected 1`);
    const [{ parsed }] = certs;
    if (!parsed.basicConstraints?.ca) throw invalid('not_ca', 'given certificate is not a CA certificate');
    if (!isSelfIssued(parsed)) throw invalid('not_self_issued', 'given certificate is not self-issued');
    return this.signCa(
      request.issuerRef,
      (signer) => {
        const signerKind = parseSpki(parseCertificate(signer.certDer).spkiDer).spec.kind;
        const kind = parseSpki(parsed.spkiDer).spec.kind;
        if (request.requireMatchingAlgorithms && signerKind !== kind) {
          throw invalid('algorithm_mismatch', `signing certificate's public key algorithm (${signerKind}) does not match submitted certificate's (${kind}), and require_matching_certificate_algorithms is set`);
        }
        return {
          serialHex: randomSerialHex(),
          notBefore: parsed.notBefore,
          notAfter: parsed.notAfter,
          subject: { der: parsed.subjectDer },
          spkiDer: parsed.spkiDer,
          sans: parsed.sans,
          basicConstraints: parsed.basicConstraints!,
          keyUsage: parsed.keyUsage ?? [],
          extKeyUsage: parsed.extKeyUsage ?? [],
        };
      },
      request.metadata,
      'sign-self-issued',
    );
  }

  /** root/replace: the named issuer (default "next") becomes the default. */
  async replaceRoot(ref: string, metadata: EventMetadata): Promise<IssuerRow> {
    const issuer = resolveIssuer(this.ctx, ref || 'next');
    await this.issuers.setDefault(issuer.issuerId, metadata);
    return this.ctx.core.queries.issuers.resolve(issuer.issuerId)!;
  }

  /** DELETE root: every issuer, then every key. The events stay; the mount has no CA until one is generated or imported. */
  async deleteAll(metadata: EventMetadata): Promise<void> {
    for (const issuer of this.ctx.core.queries.issuers.list()) await this.issuers.delete(issuer.issuerId, metadata);
    for (const key of pkiKeys(this.ctx)) await this.keys.delete(key.keyId, metadata);
  }
}
