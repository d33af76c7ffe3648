/** RFC 5280 5.3.1 CRLReason, by name and code (7 is unused). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

const BY_LOOSE_NAME = new Map<string, RevocationReason>(
  (Object.keys(REVOCATION_REASONS) as RevocationReason[]).map((name) => [name.toLowerCase(), name]),
);

/** Accepts `keyCompromise`, `key_compromise`, `KEY-COMPROMISE` or a numeric code; undefined when unknown. */
export function parseRevocationReason(input: string | number): RevocationReason | undefined {
  if (typeof input === 'number' || /^\d+$/.test(input)) {
    const code = Number(input);
    return (Object.keys(REVOCATION_REASONS) as RevocationReason[]).find((name) => REVOCATION_REASONS[name] === code);
  }
  return BY_LOOSE_NAME.get(input.replace(/[_\-\s]/g, '').toLowerCase());
}

/** snake_case spelling used by the admin API (key_compromise, ca_compromise...). */
export function revocationReasonSnakeCase(reason: RevocationReason): string {
  return reason.replace(/^cA/, 'ca').replace(/^aA/, 'aa').replace(/CRL/, 'Crl').replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
