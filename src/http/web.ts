// TLS and basic authentication in front of the HTTP handlers, from --web-config-file
// (src/config/web-config.ts, exporter-toolkit's format). Certificates and users are re-read while
// running: cert-manager (and the kubelet's Secret volume updates) replace the files behind symlinks,
// and a scrape must not need a restart to see the new certificate.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import https from 'node:https';
import tls, { type TLSSocket } from 'node:tls';
import bcrypt from 'bcryptjs';
import { TLS_VERSIONS, WebConfigError, readWebConfig, type TlsServerConfig, type WebConfig } from '../config/web-config.js';
import type { Logger } from '../log.js';

/**
 * Reachable without credentials: the kubelet's liveness and readiness probes send no Authorization
 * header (and skip certificate verification with `scheme: HTTPS`). They reveal nothing but "ok".
 */
export const UNAUTHENTICATED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

export const DEFAULT_RELOAD_INTERVAL_MS = 5_000;

interface Material {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  fingerprint: string;
}

function readMaterial(t: TlsServerConfig): Material {
  const read = (file: string, field: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new WebConfigError(`tls_server_config.${field}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const cert = read(t.certFile, 'cert_file');
  const key = read(t.keyFile, 'key_file');
  const ca = t.clientCaFile ? read(t.clientCaFile, 'client_ca_file') : undefined;
  const h = createHash('sha256').update(cert).update('\0').update(key);
  if (ca) h.update('\0').update(ca);
  return { cert, key, ...(ca ? { ca } : {}), fingerprint: h.digest('hex') };
}

/** Secure context options, checked: a certificate that does not parse or does not match its key throws. */
function contextOptions(t: TlsServerConfig, m: Material): tls.SecureContextOptions {
  const opts: tls.SecureContextOptions = {
    cert: m.cert,
    key: m.key,
    ...(m.ca ? { ca: m.ca } : {}),
    minVersion: TLS_VERSIONS[t.minVersion],
    maxVersion: TLS_VERSIONS[t.maxVersion],
  };
  try {
    tls.createSecureContext(opts);
  } catch (e) {
    throw new WebConfigError(
      `tls_server_config: ${t.certFile} with ${t.keyFile}${t.clientCaFile ? ` and ${t.clientCaFile}` : ''}: ${(e as Error).message}; check that the files are PEM and that the key belongs to the certificate`,
    );
  }
  return opts;
}

/** The certificate files usable (readable, PEM, key matching)? Throws WebConfigError otherwise. */
export function checkTlsFiles(web: WebConfig): void {
  if (web.tls) contextOptions(web.tls, readMaterial(web.tls));
}

function notAfter(cert: Buffer): string | undefined {
  try {
    return new X509Certificate(cert).validTo;
  } catch {
    return undefined;
  }
}

/** exporter-toolkit's client_auth_type on Node's TLS server: what the handshake enforces. */
function clientAuthOptions(t: TlsServerConfig): { requestCert: boolean; rejectUnauthorized: boolean } {
  switch (t.clientAuthType) {
    case 'NoClientCert':
      return { requestCert: false, rejectUnauthorized: false };
    case 'RequireAndVerifyClientCert':
      return { requestCert: true, rejectUnauthorized: true };
    default:
      // the rest are checked per connection once the handshake is done (secureConnection below)
      return { requestCert: true, rejectUnauthorized: false };
  }
}

function hasPeerCert(s: TLSSocket): boolean {
  const c = s.getPeerCertificate();
  return !!c && Object.keys(c).length > 0;
}

// Compared against when the user is unknown, so an unknown user costs the same as a wrong password.
const DUMMY_HASH = '$2b$10$I4Vly20h9tRH1BL.YXXDyeK4eBzV.4CN6sPQjThsD8Q7Gsvyemw7i';
// bcrypt is slow by design (~100 ms at cost 10 in JavaScript); exporter-toolkit caches verdicts too.
const CACHE_LIMIT = 256;

/** basic_auth_users: verdicts cached per (user, password, hash), so a scrape every few seconds costs one bcrypt. */
export class BasicAuth {
  private cache = new Map<string, boolean>();

  constructor(private users: Record<string, string>) {}

  get enabled(): boolean {
    return Object.keys(this.users).length > 0;
  }

  replace(users: Record<string, string>): void {
    this.users = users;
    this.cache.clear();
  }

  async check(header: string | undefined): Promise<boolean> {
    if (!this.enabled) return true;
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = Object.hasOwn(this.users, user) ? this.users[user] : undefined;
    const key = createHash('sha256')
      .update(`${user}\0${password}\0${hash ?? ''}`)
      .digest('hex');
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const ok = (await bcrypt.compare(password, hash ?? DUMMY_HASH)) && hash !== undefined;
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, ok);
    return ok;
  }
}

function guard(handler: RequestListener, auth: BasicAuth): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!auth.enabled || UNAUTHENTICATED_PATHS.has(path)) return void handler(req, res);
    auth.check(req.headers.authorization).then(
      (ok) => {
        if (ok) return void handler(req, res);
        res.writeHead(401, { 'WWW-Authenticate': 'Basic', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Unauthorized\n');
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('authentication failed\n');
      },
    );
  };
}

function sameTlsSettings(a: TlsServerConfig | undefined, b: TlsServerConfig | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export interface WebServer {
  server: http.Server | https.Server;
  scheme: 'http' | 'https';
  /** re-read the web config and the certificate files now (also runs on the interval) */
  reload(): void;
  stop(): void;
}

/**
 * An HTTP server, or an HTTPS one when the web config has tls_server_config, with basic auth in front
 * of every path but the probes'. Throws WebConfigError when the certificate files are unusable at start.
 */
export function createWebServer(
  handler: RequestListener,
  web: WebConfig | undefined,
  opts: { log: Logger; reloadIntervalMs?: number },
): WebServer {
  const auth = new BasicAuth(web?.basicAuthUsers ?? {});
  const listener = guard(handler, auth);
  if (!web) return { server: http.createServer(handler), scheme: 'http', reload: () => {}, stop: () => {} };
  const t = web.tls;
  let server: http.Server | https.Server;
  let material: Material | undefined;
  if (t) {
    material = readMaterial(t);
    server = https.createServer({ ...contextOptions(t, material), ...clientAuthOptions(t) }, listener);
    if (t.clientAuthType === 'RequireAnyClientCert' || t.clientAuthType === 'VerifyClientCertIfGiven') {
      const requireCert = t.clientAuthType === 'RequireAnyClientCert';
      server.on('secureConnection', (s: TLSSocket) => {
        const given = hasPeerCert(s);
        if ((requireCert && !given) || (t.clientAuthType === 'VerifyClientCertIfGiven' && given && !s.authorized)) s.destroy();
      });
    }
  } else {
    server = http.createServer(listener);
  }

  // tls_server_config as started: a reload swaps certificates and users, never HTTP for HTTPS or the client policy
  const appliedTls = t;
  let configText = readFileSafe(web.file);
  const configIssue = new Complaint(opts.log);
  const certIssue = new Complaint(opts.log);

  const reload = () => {
    const text = readFileSafe(web.file);
    if (text !== configText) {
      let next: WebConfig;
      try {
        if (text === undefined) throw new WebConfigError(`cannot read ${web.file}`);
        next = readWebConfig(web.file);
      } catch (e) {
        configIssue.confirmed(`config:${text ?? ''}`, 'web config not reloaded; keeping the previous one', { error: (e as Error).message });
        return;
      }
      // basic_auth_users apply at once, with or without a TLS change
      auth.replace(next.basicAuthUsers);
      configText = text;
      if (sameTlsSettings(appliedTls, next.tls)) {
        configIssue.clear();
        opts.log.info('web config reloaded', { file: web.file, users: Object.keys(next.basicAuthUsers).length });
      } else {
        configIssue.now(`tls:${text}`, 'web config reloaded, but tls_server_config changed: restart the exporter to apply it', {
          file: web.file,
          users: Object.keys(next.basicAuthUsers).length,
        });
      }
    }
    if (!appliedTls || !material) return;
    let next: Material;
    try {
      next = readMaterial(appliedTls);
    } catch (e) {
      certIssue.confirmed(`read:${(e as Error).message}`, 'TLS certificate not reloaded; keeping the previous one', {
        error: (e as Error).message,
      });
      return;
    }
    if (next.fingerprint === material.fingerprint) return void certIssue.clear();
    try {
      (server as https.Server).setSecureContext(contextOptions(appliedTls, next));
    } catch (e) {
      certIssue.confirmed(`cert:${next.fingerprint}`, 'TLS certificate not reloaded; keeping the previous one', {
        error: (e as Error).message,
      });
      return;
    }
    material = next;
    certIssue.clear();
    opts.log.info('TLS certificate reloaded', { certFile: appliedTls.certFile, notAfter: notAfter(next.cert) });
  };

  const timer = setInterval(() => {
    try {
      reload();
    } catch (e) {
      opts.log.error('web config reload failed', { error: (e as Error).message });
    }
  }, opts.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS);
  timer.unref();
  return { server, scheme: t ? 'https' : 'http', reload, stop: () => clearInterval(timer) };
}

/**
 * One warning per problem, not one per check. `confirmed` waits for the same problem on two checks in a
 * row: files replaced one by one (not behind a symlink swap) can be read half-rotated for an instant.
 */
class Complaint {
  private pending: string | undefined;
  private logged: string | undefined;

  constructor(private readonly log: Logger) {}

  confirmed(id: string, message: string, fields: Record<string, unknown>): void {
    if (id === this.logged) return;
    if (id !== this.pending) {
      this.pending = id;
      return;
    }
    this.now(id, message, fields);
  }

  now(id: string, message: string, fields: Record<string, unknown>): void {
    if (id === this.logged) return;
    this.pending = id;
    this.logged = id;
    this.log.warn(message, fields);
  }

  clear(): void {
    this.pending = undefined;
    this.logged = undefined;
  }
}

function readFileSafe(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
