/** The independent tools end-to-end tests check Signet's output with: openssl CLI and python `cryptography`. */
import { execFileSync, spawnSync } from 'node:child_process';

export const PYTHON = process.env.SIGNET_TEST_PYTHON ?? 'python3';

export function openssl(args: string[], input?: Uint8Array | string): string {
  const result = spawnSync('openssl', args, { input, encoding: 'buffer' });
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr.toString()}`);
  return result.stdout.toString();
}

/** Runs a python snippet with `cryptography` available; stdin carries data, stdout is returned. */
export function python(script: string, input?: Uint8Array | string): string {
  return execFileSync(PYTHON, ['-c', script], { input, encoding: 'utf8' });
}

/** Parses every PEM certificate in `pem` with python cryptography; returns subject, issuer, serial, SANs, CA flag. */
export function pythonCertSummary(pem: string): { subject: string; issuer: string; serial: string; ca: boolean; sans: string[] }[] {
  const script = `
import sys, json
from cryptography import x509
certs = x509.load_pem_x509_certificates(sys.stdin.buffer.read())
out = []
for c in certs:
    try:
        san = [str(n.value) for n in c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value]
    except x509.ExtensionNotFound:
        san = []
    try:
        ca = c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        ca = False
    out.append({"subject": c.subject.rfc4514_string(), "issuer": c.issuer.rfc4514_string(), "serial": format(c.serial_number, "x"), "ca": ca, "sans": san})
print(json.dumps(out))
`;
  return JSON.parse(python(script, pem)) as { subject: string; issuer: string; serial: string; ca: boolean; sans: string[] }[];
}
