#!/usr/bin/env python3
"""Independent check of a Signet audit proof, as printed by `signet audit prove`.

    verify-audit-proof.py PROOF.json [--key AUDIT-KEY.pem]

Written from the RFCs, sharing no code with Signet: python3's standard library plus `cryptography` for the
Ed25519 signature. It checks

  inclusion proofs:   the leaf is RFC 8785 (JCS) canonical JSON of the event's covered fields
                      {created, data, id, metadata, revision, stream, type}; SHA-256(0x00 || leaf) is the leaf
                      hash; the audit path leads to the signed root (RFC 9162 2.1.3.2);
  consistency proofs: the second signed tree extends the first (RFC 9162 2.1.4.2);
  every tree head's signature over the RFC 6962 TreeHeadSignature structure (version 0, signature type 1,
  uint64 timestamp, uint64 tree size, 32-byte root), with the audit public key: the one given with --key
  (pin it: keep the PEM from `signet audit key`), else the one the proof carries.

Exit status 0 when everything checks out, 1 with the reason otherwise.
"""
import base64
import hashlib
import json
import math
from decimal import Decimal
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class ProofFailure(Exception):
    pass


# --- RFC 8785 canonical JSON ---------------------------------------------------------------------------------

def _number(value):
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ProofFailure('RFC 8785 has no encoding for NaN or Infinity')
    if value == 0:
        return '0'
    # ECMAScript Number::toString over the shortest round-trip digits (Python's repr finds the same digits).
    _, digit_tuple, exponent = Decimal(repr(abs(value))).as_tuple()
    digits = ''.join(map(str, digit_tuple))
    stripped = digits.rstrip('0')
    exponent += len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = k + exponent
    sign = '-' if value < 0 else ''
    if k <= n <= 21:
        return sign + digits + '0' * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + '.' + digits[n:]
    if -6 < n <= 0:
        return sign + '0.' + '0' * (-n) + digits
    mantissa = digits[0] + ('.' + digits[1:] if k > 1 else '')
    return sign + mantissa + 'e' + ('+' if n - 1 >= 0 else '-') + str(abs(n - 1))


def _string(value):
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif ch in '\b\f\n\r\t':
            out.append({'\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'}[ch])
        elif code < 0x20 or 0xD800 <= code <= 0xDFFF:
            out.append('\\u%04x' % code)
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def canonical_json(value):
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return '[' + ','.join(canonical_json(item) for item in value) + ']'
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode('utf-16-be', 'surrogatepass'))
        return '{' + ','.join(_string(k) + ':' + canonical_json(value[k]) for k in keys) + '}'
    raise ProofFailure('unexpected JSON value %r' % (value,))


# --- RFC 6962 / 9162 Merkle tree -----------------------------------------------------------------------------

def leaf_hash(leaf):
    return hashlib.sha256(b'\x00' + leaf).digest()


def node_hash(left, right):
    return hashlib.sha256(b'\x01' + left + right).digest()


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, path):
    """RFC 9162 2.1.4.2."""
    if first < 1 or first > second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root] + list(path)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# --- signed tree heads ---------------------------------------------------------------------------------------

def check_head(head, key):
    if head.get('algorithm') != 'ed25519':
        raise ProofFailure('tree head algorithm %r is not ed25519' % head.get('algorithm'))
    signed = struct.pack('>BBQQ', 0, 1, head['timestamp'], head['tree_size']) + bytes.fromhex(head['root_hash'])
    try:
        key.verify(base64.b64decode(head['signature']), signed)
    except InvalidSignature:
        raise ProofFailure('the signature of the tree head of size %d does not verify' % head['tree_size'])


def load_key(proof, pinned_file):
    pem = open(pinned_file, 'rb').read() if pinned_file else proof['public_key'].encode()
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ProofFailure('the audit key is not an Ed25519 key')
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if pinned_file and hashlib.sha256(spki).hexdigest() != proof.get('key_fingerprint'):
        raise ProofFailure('the proof was made for key %s, not the pinned one' % proof.get('key_fingerprint'))
    return key


def check_inclusion(proof, key):
    head = proof['tree_head']
    check_head(head, key)
    leaf = base64.b64decode(proof['leaf'])
    event = proof['event']
    covered = {name: event[name] for name in ('created', 'data', 'id', 'metadata', 'revision', 'stream', 'type')}
    if canonical_json(covered).encode('utf-8', 'surrogatepass') != leaf:
        raise ProofFailure('the leaf is not the canonical form of the event')
    hashed = leaf_hash(leaf)
    if hashed.hex() != proof['leaf_hash']:
        raise ProofFailure('the leaf hash does not match the leaf')
    if proof['tree_size'] != head['tree_size'] or proof['root_hash'] != head['root_hash']:
        raise ProofFailure('the proof is not against the signed tree head it carries')
    path = [bytes.fromhex(h) for h in proof['audit_path']]
    if not verify_inclusion(proof['leaf_index'], head['tree_size'], hashed, path, bytes.fromhex(head['root_hash'])):
        raise ProofFailure('the audit path does not lead from the leaf to the signed root')
    return 'event at position %d (leaf %d) is included in the signed tree of %d events' % (proof['position'], proof['leaf_index'], head['tree_size'])


def check_consistency(proof, key):
    first, second = proof['first'], proof['second']
    check_head(first, key)
    check_head(second, key)
    path = [bytes.fromhex(h) for h in proof['consistency_path']]
    if not verify_consistency(first['tree_size'], second['tree_size'], bytes.fromhex(first['root_hash']), bytes.fromhex(second['root_hash']), path):
        raise ProofFailure('the tree of %d events is not consistent with the tree of %d' % (first['tree_size'], second['tree_size']))
    return 'the signed tree of %d events extends the signed tree of %d' % (second['tree_size'], first['tree_size'])


def main(argv):
    args = [a for a in argv if a != '--key']
    pinned = argv[argv.index('--key') + 1] if '--key' in argv else None
    if pinned:
        args.remove(pinned)
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    with open(args[0], encoding='utf-8') as handle:
        proof = json.load(handle)
    try:
        key = load_key(proof, pinned)
        kind = proof.get('proof')
        if kind == 'inclusion':
            message = check_inclusion(proof, key)
        elif kind == 'consistency':
            message = check_consistency(proof, key)
        else:
            raise ProofFailure('unknown proof kind %r' % kind)
    except (ProofFailure, KeyError, ValueError, TypeError) as failure:
        print('FAIL: %s' % failure)
        return 1
    print('OK: %s' % message)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
