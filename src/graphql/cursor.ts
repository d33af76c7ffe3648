/**
 * Opaque cursors: base64url of the page's order, the row's order-key value and its serial. Clients must treat them
 * as opaque; the server refuses one made for another order (or forged) with BAD_USER_INPUT.
 */
import type { CertificateOrderField, OrderKey } from '../../projections/certificate-pages.js';
import { badUserInput } from './errors.js';

type CursorOrder = CertificateOrderField | 'audit';

interface CursorPayload {
  o: CursorOrder;
  k: string | number;
  s: string;
}

export function encodeCursor(order: CursorOrder, key: OrderKey): string {
  const payload: CursorPayload = { o: order, k: key.key, s: key.serial };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

function parse(cursor: string): CursorPayload | undefined {
  try {
    const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorPayload>;
    const keyOk = typeof payload.k === 'string' || (typeof payload.k === 'number' && Number.isSafeInteger(payload.k));
    return typeof payload.o === 'string' && keyOk && typeof payload.s === 'string' ? (payload as CursorPayload) : undefined;
  } catch {
    return undefined;
  }
}

/** The order key inside a cursor made for `order`; BAD_USER_INPUT for anything else. */
export function decodeCursor(cursor: string, order: CursorOrder, argument: string): OrderKey {
  const payload = parse(cursor);
  if (!payload) throw badUserInput(`${argument}: not a cursor returned by this API`, argument);
  if (payload.o !== order) throw badUserInput(`${argument}: the cursor belongs to another ordering (${payload.o}), not ${order}`, argument);
  const numeric = order === 'issued' || order === 'audit';
  if (numeric !== (typeof payload.k === 'number')) throw badUserInput(`${argument}: not a cursor returned by this API`, argument);
  return { key: payload.k, serial: payload.s };
}
