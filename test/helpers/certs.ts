// Test certificates, made at test time with the openssl CLI (no private key is committed): a CA, server
// certificates for 127.0.0.1/localhost signed by it, and client certificates. Skips locally without
// openssl; fails under CI=true.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: KeyPair;
  /** a certificate signed by this CA: server (SANs 127.0.0.1, localhost) or client */
  issue(name: string, kind: 'server' | 'client'): KeyPair;
  close(): void;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

/** true when openssl is there; otherwise skips the test locally and fails it under CI=true. */
export function requireOpenssl(t: TestContext): boolean {
  if (opensslAvailable()) return true;
  const msg = 'openssl not found: install the Debian package "openssl" to run this test';
  if (process.env.CI === 'true') assert.fail(`${msg} (required under CI=true)`);
  t.skip(msg);
  return false;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makePki(name = 'test-ca'): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'spx-pki-'));
  const ca = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  openssl(['req', '-x509', ...EC, '-keyout', ca.key, '-out', ca.cert, '-days', '2', '-subj', `/CN=${name}`]);
  let serial = 1;
  return {
    dir,
    ca,
    issue(certName, kind) {
      const out = { cert: join(dir, `${certName}.crt`), key: join(dir, `${certName}.key`) };
      const csr = join(dir, `${certName}.csr`);
      const ext = join(dir, `${certName}.ext`);
      writeFileSync(
        ext,
        kind === 'server'
          ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
          : `subjectAltName=DNS:${certName}\nextendedKeyUsage=clientAuth\n`,
      );
      openssl(['req', ...EC, '-keyout', out.key, '-out', csr, '-subj', `/CN=${certName}`]);
      openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca.cert,
        '-CAkey',
        ca.key,
        '-set_serial',
        String(serial++),
        '-days',
        '2',
        '-extfile',
        ext,
        '-out',
        out.cert,
      ]);
      return out;
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
