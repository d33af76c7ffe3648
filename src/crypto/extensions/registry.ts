/** The extension codecs Signet knows, keyed by OID. */
import { authorityInfoAccess } from './authority-info-access.js';
import { authorityKeyIdentifier } from './authority-key-identifier.js';
import { basicConstraints } from './basic-constraints.js';
import { cRLDistributionPoints } from './crl-distribution-points.js';
import { extKeyUsage } from './ext-key-usage.js';
import type { ExtensionCodec, RawExtension } from './extension.js';
import { keyUsage } from './key-usage.js';
import { subjectAltName } from './subject-alt-name.js';
import { subjectKeyIdentifier } from './subject-key-identifier.js';

export const extensionCodecs: ReadonlyMap<string, ExtensionCodec<unknown>> = new Map(
  [
    basicConstraints,
    keyUsage,
    extKeyUsage,
    subjectAltName,
    subjectKeyIdentifier,
    authorityKeyIdentifier,
    cRLDistributionPoints,
    authorityInfoAccess,
  ].map((codec): [string, ExtensionCodec<unknown>] => [codec.oid, codec as ExtensionCodec<unknown>]),
);

/** The extension decoded by its codec, or undefined for an extension Signet does not know. */
export function decodeKnownExtension(extension: RawExtension): { name: string; value: unknown } | undefined {
  const codec = extensionCodecs.get(extension.oid);
  return codec && { name: codec.name, value: codec.decodeValue(extension.valueDer) };
}
