// --web-config-file as a user meets it: exporter-toolkit's format read the same way (relative paths
// against the file's directory, no cert and no key meaning plain HTTP), and every mistake one line that
// names the field and the fix, exit code 2 from the real CLI.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import request from 'supertest';
import { startFakeApiServer, writeKubeconfig } from '../../testkit/apiserver/index.js';
import { ciliumConfig, ciliumDs, ciliumPod, twoNodes } from '../../testkit/objects/minimal.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { parseWebConfig, WebConfigError } from '../../src/config/web-config.js';
import { makePki, requireOpenssl } from '../helpers/certs.js';

const HASH = bcrypt.hashSync('s3cret', 4);
const htpasswdHash = HASH.replace(/^\$2b\$/, '$2y$'); // what `htpasswd -nBC` writes

function parseError(text: string): string {
  try {
    parseWebConfig(text, '/etc/spx/web-config.yml');
  } catch (e) {
    assert.ok(e instanceof WebConfigError, String(e));
    assert.equal(e.message.split('\n').length, 1, 'one line');
    return e.message;
  }
  assert.fail(`accepted: ${text}`);
}

describe('web config file', () => {
  it('reads the exporter-toolkit format: paths relative to the file, defaults as exporter-toolkit', () => {
    const c = parseWebConfig(
      `tls_server_config:\n  cert_file: tls/tls.crt\n  key_file: /abs/tls.key\nbasic_auth_users:\n  prometheus: "${htpasswdHash}"\n`,
      '/etc/spx/web-config.yml',
    );
    assert.deepEqual(c.tls, {
      certFile: '/etc/spx/tls/tls.crt',
      keyFile: '/abs/tls.key',
      clientAuthType: 'NoClientCert',
      minVersion: 'TLS12',
      maxVersion: 'TLS13',
    });
    assert.deepEqual(c.basicAuthUsers, { prometheus: htpasswdHash });
  });

  it('basic auth alone (no cert_file, no key_file) is plain HTTP with authentication, as exporter-toolkit', () => {
    const c = parseWebConfig(`basic_auth_users:\n  prometheus: "${HASH}"\n`, '/x/web.yml');
    assert.equal(c.tls, undefined);
    assert.equal(Object.keys(c.basicAuthUsers).length, 1);
    assert.equal(parseWebConfig('', '/x/web.yml').tls, undefined);
  });

  const bad: [string, string, RegExp][] = [
    ['an unknown top-level key', 'basic_auth_user: {}', /basic_auth_user: unknown field; known: tls_server_config, basic_auth_users/],
    ['an unknown TLS key', 'tls_server_config: {cert_file: a, key_file: b, certfile: c}', /tls_server_config\.certfile: unknown field/],
    [
      'an exporter-toolkit key this exporter does not implement',
      'tls_server_config: {cert_file: a, key_file: b, cipher_suites: [TLS_AES_128_GCM_SHA256]}',
      /tls_server_config\.cipher_suites: not supported by service-proxy-exporter; remove it/,
    ],
    ['a cert without key', 'tls_server_config: {cert_file: a}', /tls_server_config\.key_file: missing/],
    ['a key without cert', 'tls_server_config: {key_file: a}', /tls_server_config\.cert_file: missing/],
    [
      'a misspelt client auth type',
      'tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireClientCert}',
      /client_auth_type: "RequireClientCert" is not a client auth type; use one of .*RequireAndVerifyClientCert/,
    ],
    [
      'a verifying client auth type without a CA',
      'tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireAndVerifyClientCert}',
      /client_ca_file: required with client_auth_type RequireAndVerifyClientCert/,
    ],
    [
      'a CA without a client auth type (exporter-toolkit refuses it too)',
      'tls_server_config: {cert_file: a, key_file: b, client_ca_file: ca}',
      /client_ca_file: set without client_auth_type; add client_auth_type: RequireAndVerifyClientCert/,
    ],
    [
      'an unknown TLS version',
      'tls_server_config: {cert_file: a, key_file: b, min_version: TLS1.2}',
      /min_version: "TLS1.2" is not a TLS version; use one of TLS10, TLS11, TLS12, TLS13/,
    ],
    [
      'min above max',
      'tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, max_version: TLS12}',
      /min_version: TLS13 is above max_version TLS12/,
    ],
    [
      'a plain-text password',
      'basic_auth_users: {prometheus: s3cret}',
      /basic_auth_users\.prometheus: not a bcrypt hash; make one with htpasswd -nBC 10/,
    ],
    ['users as a list', 'basic_auth_users: [prometheus]', /basic_auth_users: expected a mapping/],
    ['a list for a file', '- a', /must be a mapping/],
    ['broken YAML', 'tls_server_config: [', /is not valid YAML/],
  ];
  for (const [what, text, pattern] of bad) {
    it(`refuses ${what} with one line naming the field`, () => {
      const msg = parseError(text);
      assert.match(msg, pattern);
      assert.ok(msg.startsWith('/etc/spx/web-config.yml'), msg);
      assert.ok(!msg.includes('s3cret'), 'a password is not echoed');
    });
  }
});

describe('the real CLI with a bad web config', () => {
  const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'spx-webcfg-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const serve = (webConfig: string, env: Record<string, string> = {}) => {
    // the web config is checked before the exporter connects anywhere: no kubeconfig is needed to see the error
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', MAIN, 'serve', '--listen=127.0.0.1:0', ...(webConfig ? [`--web-config-file=${webConfig}`] : [])],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
        timeout: 30_000,
      },
    );
    return { code: r.status, stderr: r.stderr.trim() };
  };
  const assertOneLine = (r: { code: number | null; stderr: string }, pattern: RegExp) => {
    assert.equal(r.code, 2, `exit code 2, got ${r.code}: ${r.stderr}`);
    assert.equal(r.stderr.split('\n').length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  };

  it('exits 2 with one line for an invalid file, from the flag and from the environment', () => {
    const f = join(dir, 'bad.yml');
    writeFileSync(f, 'tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: Verify\n');
    assertOneLine(
      serve(f),
      /^service-proxy-exporter: --web-config-file: .*bad\.yml: tls_server_config\.client_auth_type: "Verify" is not a client auth type/,
    );
    assertOneLine(serve('', { SERVICE_PROXY_EXPORTER_WEB_CONFIG_FILE: f }), /--web-config-file: .*tls_server_config\.client_auth_type/);
    assertOneLine(
      serve(join(dir, 'missing.yml')),
      /--web-config-file: cannot read .*missing\.yml \(ENOENT\); pass an existing web config file/,
    );
  });

  it('exits 2 with one line when the certificate files are missing or the key does not belong to the certificate', (t) => {
    if (!requireOpenssl(t)) return;
    const pki = makePki();
    try {
      const a = pki.issue('server-a', 'server');
      const b = pki.issue('server-b', 'server');
      const missing = join(dir, 'missing-cert.yml');
      writeFileSync(missing, `tls_server_config:\n  cert_file: ${join(dir, 'nope.crt')}\n  key_file: ${a.key}\n`);
      assertOneLine(serve(missing), /--web-config-file: tls_server_config\.cert_file: cannot read .*nope\.crt \(ENOENT\)/);
      const mismatch = join(dir, 'mismatch.yml');
      writeFileSync(mismatch, `tls_server_config:\n  cert_file: ${a.cert}\n  key_file: ${b.key}\n`);
      assertOneLine(
        serve(mismatch),
        /--web-config-file: tls_server_config: .*server-a\.crt with .*server-b\.key: .*key values mismatch; check that .* key belongs to the certificate/,
      );
    } finally {
      pki.close();
    }
  });
});

describe('the real CLI with a good web config', () => {
  const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

  it('serve answers /metrics over HTTPS to the right password only, /healthz to anyone, and logs the web config in effect', async (t) => {
    if (!requireOpenssl(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'spx-webcfg-serve-'));
    const pki = makePki();
    const api = await startFakeApiServer();
    for (const o of [
      ...twoNodes(),
      ciliumDs('v1.18.3'),
      ciliumPod('node-aaaa1', 'v1.18.3'),
      ciliumConfig({ 'kube-proxy-replacement': 'true' }),
    ]) {
      api.store.apply(o as never);
    }
    const kubeconfig = join(dir, 'kubeconfig');
    writeKubeconfig(api.url, kubeconfig);
    const server = pki.issue('server', 'server');
    const web = join(dir, 'web.yml');
    writeFileSync(
      web,
      `tls_server_config:\n  cert_file: ${server.cert}\n  key_file: ${server.key}\nbasic_auth_users:\n  prometheus: "${HASH}"\n`,
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, 'serve', '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0', '--log-format', 'json', '--canary', 'off'],
      {
        env: { PATH: process.env.PATH ?? '', HOME: dir, SERVICE_PROXY_EXPORTER_WEB_CONFIG_FILE: web },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    try {
      let listening: Record<string, unknown> | undefined;
      for await (const line of createInterface({ input: child.stderr! })) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.message === 'listening') listening = entry;
        if (entry.message === 'service proxy detected') break;
      }
      assert.ok(listening, 'logged its URL');
      assert.match(String(listening.url), /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(listening.webConfig, web);
      assert.equal(listening.basicAuthUsers, 1);
      const url = String(listening.url);
      const ca = readFileSync(pki.ca.cert);
      const ok = await request(url).get('/metrics').ca(ca).auth('prometheus', 's3cret');
      assert.equal(ok.status, 200);
      assert.match(ok.text, /^proxy_provider\{type="cilium-kpr"\} 1$/m);
      assert.equal((await request(url).get('/metrics').ca(ca).auth('prometheus', 'wrong')).status, 401);
      assert.equal((await request(url).get('/healthz').ca(ca)).status, 200);
    } finally {
      child.kill('SIGKILL');
      await api.close();
      pki.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
