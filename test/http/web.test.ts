// The HTTP server behind --web-config-file, as Prometheus and the kubelet meet it: basic auth on every
// path but /healthz and /readyz, TLS with the configured certificate, client certificates enforced in
// the handshake, and certificates rotated the way cert-manager and the kubelet do it (a new directory
// behind the `..data` symlink) without a restart and without a failed scrape.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import bcrypt from 'bcryptjs';
import request from 'supertest';
import { createApp, listen, type RunningServer } from '../../src/http/server.js';
import { createWebServer } from '../../src/http/web.js';
import { readWebConfig } from '../../src/config/web-config.js';
import type { Logger } from '../../src/log.js';
import { makePki, opensslAvailable, type KeyPair, type Pki } from '../helpers/certs.js';

const PASSWORD = 'correct horse';
const HASH = bcrypt.hashSync(PASSWORD, 4);
const METRICS = '# TYPE spx_test gauge\nspx_test 1\n';

const NO_OPENSSL = opensslAvailable()
  ? undefined
  : process.env.CI === 'true'
    ? (() => {
        throw new Error('openssl not found (required under CI=true)');
      })()
    : 'openssl not found: install the Debian package "openssl" to run the TLS tests';

function app() {
  return createApp({
    metrics: { contentType: 'text/plain; version=0.0.4', render: async () => METRICS },
    readiness: () => ({ ready: true, waitingFor: [] }),
    statusPage: () => '<html>status</html>',
    diagnose: () => ({ ok: true }),
  });
}

/** Log lines, awaitable. */
function recordingLogger() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const events = new EventEmitter();
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, message, fields });
      events.emit('line', message);
    };
  const log = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as Logger;
  const next = (message: string) =>
    new Promise<void>((resolve) => {
      const on = (m: string) => {
        if (m !== message) return;
        events.off('line', on);
        resolve();
      };
      events.on('line', on);
    });
  return { log, lines, next };
}

/** A directory laid out like a mounted Secret: files are symlinks into `..data`, swapped atomically. */
class SecretDir {
  private n = 0;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  write(files: Record<string, string | Buffer>): void {
    const version = `..2026_${++this.n}`;
    mkdirSync(join(this.dir, version));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.dir, version, name), content);
    symlinkSync(version, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    for (const name of Object.keys(files)) {
      try {
        symlinkSync(join('..data', name), join(this.dir, name));
      } catch {
        // already linked through ..data
      }
    }
  }
  path(name: string): string {
    return join(this.dir, name);
  }
}

function fingerprint(certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).fingerprint256;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  served: string;
}

/** One request on a fresh connection, verifying the server against the CA. */
function get(url: string, o: { ca: string; client?: KeyPair; auth?: string; path?: string; agent?: https.Agent }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      `${url}${o.path ?? '/metrics'}`,
      {
        ca: readFileSync(o.ca),
        servername: 'localhost',
        ...(o.client ? { cert: readFileSync(o.client.cert), key: readFileSync(o.client.key) } : {}),
        ...(o.auth ? { auth: o.auth } : {}),
        agent: o.agent ?? false,
        timeout: 10_000,
      },
      (res) => {
        const served = (res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '';
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, served }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('web config: TLS and basic auth', { skip: NO_OPENSSL }, () => {
  let pki: Pki;
  let dir: string;
  let serverA: KeyPair;
  let serverB: KeyPair;
  let client: KeyPair;
  let foreignClient: KeyPair;
  let foreign: Pki;
  const servers: RunningServer[] = [];

  before(() => {
    pki = makePki('spx-test-ca');
    foreign = makePki('other-ca');
    serverA = pki.issue('server-a', 'server');
    serverB = pki.issue('server-b', 'server');
    client = pki.issue('prometheus', 'client');
    foreignClient = foreign.issue('intruder', 'client');
    dir = mkdtempSync(join(tmpdir(), 'spx-web-'));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    pki.close();
    foreign.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(name: string, yaml: string, o: { log?: Logger; reloadIntervalMs?: number } = {}): Promise<RunningServer> {
    const file = join(dir, `${name}.yml`);
    writeFileSync(file, yaml);
    const s = await listen(app(), { host: '127.0.0.1', port: 0 }, { web: readWebConfig(file), ...o });
    servers.push(s);
    return s;
  }

  describe('basic auth over TLS', () => {
    let s: RunningServer;
    before(async () => {
      s = await start(
        'auth',
        `tls_server_config:\n  cert_file: ${serverA.cert}\n  key_file: ${serverA.key}\nbasic_auth_users:\n  prometheus: "${HASH}"\n`,
      );
    });

    it('serves /metrics over HTTPS with the right password', async () => {
      assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await request(s.url).get('/metrics').ca(readFileSync(pki.ca.cert)).auth('prometheus', PASSWORD);
      assert.equal(res.status, 200);
      assert.equal(res.text, METRICS);
    });

    it('answers 401 with WWW-Authenticate: Basic to a wrong password, an unknown user and no credentials', async () => {
      const ca = readFileSync(pki.ca.cert);
      for (const [user, pass] of [
        ['prometheus', 'wrong'],
        ['nobody', PASSWORD],
      ] as const) {
        const res = await request(s.url).get('/metrics').ca(ca).auth(user, pass);
        assert.equal(res.status, 401, `${user}`);
        assert.equal(res.headers['www-authenticate'], 'Basic');
        assert.doesNotMatch(res.text, /spx_test/);
      }
      const anonymous = await request(s.url).get('/metrics').ca(ca);
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.headers['www-authenticate'], 'Basic');
    });

    it('every path but /healthz and /readyz needs the password; those two answer without (the kubelet sends none)', async () => {
      const ca = readFileSync(pki.ca.cert);
      for (const path of ['/', '/diagnose', '/metrics?x=1', '/no-such-page']) {
        assert.equal((await request(s.url).get(path).ca(ca)).status, 401, path);
      }
      for (const path of ['/healthz', '/readyz', '/healthz?verbose']) {
        const res = await request(s.url).get(path).ca(ca);
        assert.equal(res.status, 200, path);
        assert.equal(res.text, 'ok\n');
      }
      // the kubelet's HTTPS probe does not verify the certificate
      const res = await request(s.url).get('/readyz').disableTLSCerts();
      assert.equal(res.status, 200);
    });

    it('refuses plain HTTP on the TLS port', async () => {
      const plain = s.url.replace('https://', 'http://');
      await assert.rejects(fetch(`${plain}/healthz`));
    });
  });

  it('min_version TLS13 refuses a TLS 1.2 client', async () => {
    const s = await start('tls13', `tls_server_config:\n  cert_file: ${serverA.cert}\n  key_file: ${serverA.key}\n  min_version: TLS13\n`);
    const ok = await get(s.url, { ca: pki.ca.cert, path: '/healthz' });
    assert.equal(ok.status, 200);
    const old = new https.Agent({ maxVersion: 'TLSv1.2' });
    await assert.rejects(get(s.url, { ca: pki.ca.cert, path: '/healthz', agent: old }), /version|protocol/i);
    old.destroy();
  });

  describe('client_auth_type RequireAndVerifyClientCert', () => {
    let s: RunningServer;
    before(async () => {
      s = await start(
        'mtls',
        `tls_server_config:\n  cert_file: ${serverA.cert}\n  key_file: ${serverA.key}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${pki.ca.cert}\n`,
      );
    });

    it('refuses the handshake without a client certificate, and with one from another CA', async () => {
      await assert.rejects(get(s.url, { ca: pki.ca.cert }), /certificate|alert|socket hang up|ECONNRESET/i);
      await assert.rejects(get(s.url, { ca: pki.ca.cert, client: foreignClient }), /certificate|alert|socket hang up|ECONNRESET/i);
      // /healthz too: the handshake comes before any path (docs: kubelet probes need another way then)
      await assert.rejects(get(s.url, { ca: pki.ca.cert, path: '/healthz' }));
    });

    it('serves a client whose certificate the CA signed', async () => {
      const res = await get(s.url, { ca: pki.ca.cert, client });
      assert.equal(res.status, 200);
      assert.equal(res.body, METRICS);
    });
  });

  it('RequireAnyClientCert refuses a client without a certificate and accepts any certificate', async () => {
    const s = await start(
      'any',
      `tls_server_config:\n  cert_file: ${serverA.cert}\n  key_file: ${serverA.key}\n  client_auth_type: RequireAnyClientCert\n`,
    );
    await assert.rejects(get(s.url, { ca: pki.ca.cert }));
    assert.equal((await get(s.url, { ca: pki.ca.cert, client: foreignClient })).status, 200);
  });

  it('VerifyClientCertIfGiven accepts no certificate, refuses an unverifiable one', async () => {
    const s = await start(
      'ifgiven',
      `tls_server_config:\n  cert_file: ${serverA.cert}\n  key_file: ${serverA.key}\n  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ${pki.ca.cert}\n`,
    );
    assert.equal((await get(s.url, { ca: pki.ca.cert })).status, 200);
    assert.equal((await get(s.url, { ca: pki.ca.cert, client })).status, 200);
    await assert.rejects(get(s.url, { ca: pki.ca.cert, client: foreignClient }));
  });

  it(
    'rotating the certificate while Prometheus-like clients scrape loses no scrape, and the new certificate is served',
    { timeout: 60_000 },
    async () => {
      const secret = new SecretDir(join(dir, 'rotating'));
      secret.write({ 'tls.crt': readFileSync(serverA.cert), 'tls.key': readFileSync(serverA.key) });
      const rec = recordingLogger();
      const s = await start(
        'rotating',
        `tls_server_config:\n  cert_file: rotating/tls.crt\n  key_file: rotating/tls.key\nbasic_auth_users:\n  prometheus: "${HASH}"\n`,
        { log: rec.log, reloadIntervalMs: 50 },
      );
      const [a, b] = [fingerprint(serverA.cert), fingerprint(serverB.cert)];
      const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
      const progress = new EventEmitter();
      const results: { loop: string; served: string; status: number }[] = [];
      const failures: string[] = [];
      let stop = false;
      // one loop opens a connection per scrape (it sees the new certificate), one keeps its connection (it must not break)
      const loop = async (name: string, agent?: https.Agent) => {
        while (!stop) {
          try {
            const r = await get(s.url, { ca: pki.ca.cert, auth: `prometheus:${PASSWORD}`, ...(agent ? { agent } : {}) });
            results.push({ loop: name, served: r.served, status: r.status });
            if (r.status !== 200) failures.push(`${name}: HTTP ${r.status}`);
          } catch (e) {
            failures.push(`${name}: ${(e as Error).message}`);
          }
          progress.emit('scrape');
        }
      };
      const until = async (pred: () => boolean) => {
        while (!pred()) await once(progress, 'scrape');
      };
      const loops = [loop('fresh'), loop('keep-alive', keepAlive)];
      try {
        await until(() => results.filter((r) => r.loop === 'fresh').length >= 5);
        const reloaded = rec.next('TLS certificate reloaded');
        secret.write({ 'tls.crt': readFileSync(serverB.cert), 'tls.key': readFileSync(serverB.key) });
        await reloaded;
        await until(() => results.some((r) => r.loop === 'fresh' && r.served === b));
        const seen = results.length;
        await until(() => results.length >= seen + 5);
      } finally {
        stop = true;
        await Promise.all(loops);
        keepAlive.destroy();
      }
      assert.deepEqual(failures, [], 'every scrape succeeded');
      const fresh = results.filter((r) => r.loop === 'fresh').map((r) => r.served);
      assert.equal(fresh[0], a, 'the first certificate was served first');
      const firstB = fresh.indexOf(b);
      assert.ok(firstB > 0, 'the rotated certificate is served');
      assert.ok(
        fresh.slice(firstB).every((f) => f === b),
        'after the rotation, new connections only see the new certificate',
      );
      assert.ok(results.filter((r) => r.loop === 'keep-alive').length > 5, 'the kept-alive connection went on scraping');
      assert.equal(rec.lines.filter((l) => l.level === 'warn').length, 0, 'no warnings for a clean rotation');
    },
  );

  it('a bad rotated certificate keeps the old one and is logged once; a good one afterwards is taken', async () => {
    const secret = new SecretDir(join(dir, 'bad-rotation'));
    secret.write({ 'tls.crt': readFileSync(serverA.cert), 'tls.key': readFileSync(serverA.key) });
    const file = join(dir, 'bad-rotation.yml');
    writeFileSync(file, `tls_server_config:\n  cert_file: bad-rotation/tls.crt\n  key_file: bad-rotation/tls.key\n`);
    const rec = recordingLogger();
    // the interval is long: the test drives the checks itself
    const web = createWebServer(app(), readWebConfig(file), { log: rec.log, reloadIntervalMs: 3_600_000 });
    web.server.listen(0, '127.0.0.1');
    await once(web.server, 'listening');
    const url = `https://127.0.0.1:${(web.server.address() as { port: number }).port}`;
    try {
      // a certificate that does not belong to the key
      secret.write({ 'tls.crt': readFileSync(serverB.cert), 'tls.key': readFileSync(serverA.key) });
      for (let i = 0; i < 5; i++) web.reload();
      const warnings = rec.lines.filter((l) => l.level === 'warn');
      assert.equal(warnings.length, 1, `one line: ${JSON.stringify(rec.lines)}`);
      assert.equal(warnings[0]!.message, 'TLS certificate not reloaded; keeping the previous one');
      assert.match(String(warnings[0]!.fields.error), /key values mismatch/);
      assert.equal(
        (await get(url, { ca: pki.ca.cert, path: '/healthz' })).served,
        fingerprint(serverA.cert),
        'the old certificate is still served',
      );
      // not PEM at all: another event, another line
      secret.write({ 'tls.crt': 'not a certificate', 'tls.key': readFileSync(serverA.key) });
      for (let i = 0; i < 3; i++) web.reload();
      assert.equal(rec.lines.filter((l) => l.level === 'warn').length, 2);
      secret.write({ 'tls.crt': readFileSync(serverB.cert), 'tls.key': readFileSync(serverB.key) });
      web.reload();
      assert.equal(rec.lines.at(-1)!.message, 'TLS certificate reloaded');
      assert.equal((await get(url, { ca: pki.ca.cert, path: '/healthz' })).served, fingerprint(serverB.cert));
    } finally {
      web.stop();
      await new Promise((r) => web.server.close(r));
    }
  });

  it('an edited web config that does not parse keeps the previous one and is logged once; a TLS change asks for a restart once', async () => {
    const file = join(dir, 'edited.yml');
    const tlsPart = `tls_server_config:\n  cert_file: ${serverA.cert}\n  key_file: ${serverA.key}\n`;
    writeFileSync(file, `${tlsPart}basic_auth_users:\n  prometheus: "${HASH}"\n`);
    const rec = recordingLogger();
    const web = createWebServer(app(), readWebConfig(file), { log: rec.log, reloadIntervalMs: 3_600_000 });
    web.server.listen(0, '127.0.0.1');
    await once(web.server, 'listening');
    const url = `https://127.0.0.1:${(web.server.address() as { port: number }).port}`;
    const ca = readFileSync(pki.ca.cert);
    try {
      writeFileSync(file, `${tlsPart}basic_auth_users:\n  prometheus: plain-text\n`);
      for (let i = 0; i < 4; i++) web.reload();
      assert.deepEqual(
        rec.lines.map((l) => `${l.level} ${l.message}`),
        ['warn web config not reloaded; keeping the previous one'],
      );
      assert.match(String(rec.lines[0]!.fields.error), /basic_auth_users\.prometheus: not a bcrypt hash/);
      assert.equal((await request(url).get('/metrics').ca(ca).auth('prometheus', PASSWORD)).status, 200, 'the previous users still apply');

      // min_version changes: that needs a restart; the new user applies at once
      writeFileSync(file, `${tlsPart}  min_version: TLS13\nbasic_auth_users:\n  grafana: "${HASH}"\n`);
      for (let i = 0; i < 3; i++) web.reload();
      assert.deepEqual(
        rec.lines.slice(1).map((l) => `${l.level} ${l.message}`),
        ['warn web config reloaded, but tls_server_config changed: restart the exporter to apply it'],
      );
      assert.equal((await request(url).get('/metrics').ca(ca).auth('grafana', PASSWORD)).status, 200);
      assert.equal((await request(url).get('/metrics').ca(ca).auth('prometheus', PASSWORD)).status, 401);
    } finally {
      web.stop();
      await new Promise((r) => web.server.close(r));
    }
  });

  it('basic_auth_users edited in the mounted file apply without a restart', { timeout: 30_000 }, async () => {
    const file = join(dir, 'users.yml');
    const rec = recordingLogger();
    const s = await start('users', `basic_auth_users:\n  prometheus: "${HASH}"\n`, { log: rec.log, reloadIntervalMs: 50 });
    assert.match(s.url, /^http:/, 'no tls_server_config: plain HTTP with basic auth');
    assert.equal((await request(s.url).get('/metrics').auth('grafana', PASSWORD)).status, 401);
    const reloaded = rec.next('web config reloaded');
    writeFileSync(file, `basic_auth_users:\n  prometheus: "${HASH}"\n  grafana: "${HASH}"\n`);
    await reloaded;
    assert.equal((await request(s.url).get('/metrics').auth('grafana', PASSWORD)).status, 200);
  });
});
