/**
 * Test certificates made with the openssl CLI (nothing is fetched): a self-signed certificate for
 * localhost (the nginx test), and a private CA with a localhost server certificate it signed (the
 * platform sandbox over https, as a department's platform behind a private CA would be).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findExecutable } from './child.ts';

export const OPENSSL = findExecutable('openssl');

/** `skip` value for tests that need openssl: false when installed, else the reason. */
export const skipWithoutOpenssl: string | false = OPENSSL ? false : 'openssl is not installed: apt-get install openssl';

const run = promisify(execFile);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
const SERVER_NAMES = 'subjectAltName=DNS:localhost,IP:127.0.0.1';

/** A fresh self-signed certificate for localhost and 127.0.0.1 (one day). */
export async function selfSignedCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'localhost.crt');
  const key = join(dir, 'localhost.key');
  await run(OPENSSL!, ['req', '-x509', '-nodes', '-days', '1', ...EC, '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-addext', SERVER_NAMES]);
  return { cert, key };
}

export interface TestCa {
  dir: string;
  /** The private CA's certificate (PEM file): what the BFF and the check are told to trust. */
  caFile: string;
  /** The server certificate for localhost and 127.0.0.1, signed by the CA, and its key (PEM files). */
  certFile: string;
  keyFile: string;
  /** The same, as PEM text. */
  ca: string;
  cert: string;
  key: string;
  /** Removes the directory. */
  remove(): Promise<void>;
}

/** A private CA (one day) and a server certificate for localhost and 127.0.0.1 that it signed. */
export async function privateCa(): Promise<TestCa> {
  if (!OPENSSL) throw new Error(skipWithoutOpenssl as string);
  const dir = await mkdtemp(join(tmpdir(), 'gdsl-tls-'));
  const caFile = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const certFile = join(dir, 'platform.crt');
  const keyFile = join(dir, 'platform.key');
  const csr = join(dir, 'platform.csr');
  const ext = join(dir, 'platform.ext');
  await run(OPENSSL, [
    'req', '-x509', '-nodes', '-days', '1', ...EC, '-keyout', caKey, '-out', caFile,
    '-subj', '/O=gd-staff-login tests/CN=gd-staff-login test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run(OPENSSL, ['req', '-new', '-nodes', ...EC, '-keyout', keyFile, '-out', csr, '-subj', '/CN=localhost']);
  await writeFile(ext, `${SERVER_NAMES}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
  await run(OPENSSL, ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-set_serial', `0x${Date.now().toString(16)}`, '-days', '1', '-extfile', ext, '-out', certFile]);
  const [ca, cert, key] = await Promise.all([caFile, certFile, keyFile].map((f) => readFile(f, 'utf8')));
  return { dir, caFile, certFile, keyFile, ca: ca!, cert: cert!, key: key!, remove: () => rm(dir, { recursive: true, force: true }) };
}
