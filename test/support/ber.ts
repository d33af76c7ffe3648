/**
 * BER PKCS#7 as other EST servers send it, made by independent tools: `openssl cms -sign -stream` (indefinite
 * lengths, eContent as a constructed OCTET STRING) and a python builder of a certs-only SignedData with indefinite
 * lengths everywhere and a non-minimal long-form length.
 */
import { openssl, python } from './tools.js';

/** `openssl cms -sign -stream` over a short text, signed by certFile/keyFile: BER SignedData, DER bytes out. */
export function opensslStreamedSignedData(certFile: string, keyFile: string): Buffer {
  return Buffer.from(openssl(['cms', '-sign', '-stream', '-nodetach', '-binary', '-signer', certFile, '-inkey', keyFile, '-outform', 'PEM'], Buffer.from('streamed content\n')).replace(/-----[^-]+-----|\s+/g, ''), 'base64');
}

/** A certs-only SignedData in BER holding the PEM certificates of `pem`, in order (python `cryptography` parses them). */
export function pythonBerCertsOnly(pem: string): Buffer {
  const script = `
import sys, base64
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
certs = [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(sys.stdin.buffer.read())]
def indefinite(tag, *parts):
    return bytes([tag, 0x80]) + b"".join(parts) + b"\\0\\0"
signed_data = bytes.fromhex("06092a864886f70d010702")
data = bytes.fromhex("06092a864886f70d010701")
version = bytes.fromhex("02810101")  # INTEGER 1 with a non-minimal long-form length
ber = indefinite(0x30, signed_data, indefinite(0xa0, indefinite(0x30, version, indefinite(0x31), indefinite(0x30, data), indefinite(0xa0, *certs), indefinite(0x31))))
sys.stdout.write(base64.b64encode(ber).decode())
`;
  return Buffer.from(python(script, pem), 'base64');
}
