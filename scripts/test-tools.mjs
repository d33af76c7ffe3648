// Finds (and if missing, installs with apt-get) the independent tools end-to-end tests check our output with:
// the openssl CLI and a python3 that can import `cryptography`.
import { execFileSync, spawnSync } from 'node:child_process';

const works = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

function findPython() {
  return ['python3', '/usr/bin/python3', 'python'].find((p) => works(p, ['-c', 'import cryptography']));
}

function aptInstall(packages) {
  if (process.getuid?.() !== 0) return false;
  console.log(`> installing ${packages.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  return spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env }).status === 0;
}

export function ensureTestTools() {
  const missing = [];
  if (!works('openssl', ['version'])) missing.push('openssl');
  if (!findPython()) missing.push('python3-cryptography');
  if (missing.length) aptInstall(missing);
  const python = findPython();
  if (!works('openssl', ['version']) || !python) {
    throw new Error(`end-to-end tests need the openssl CLI and python3 with the cryptography package; install: apt-get install ${missing.join(' ')}`);
  }
  return { openssl: execFileSync('openssl', ['version']).toString().trim(), python };
}
