// The exporter's one way to talk to the Kubernetes API: plain data resolved by client-node in a
// worker thread (resolve-worker.ts) and node:http/https here. Every request (lists, watches, and
// writes such as the canary's) goes through `ApiConnection`, which keeps the credential fresh:
//
// - a token file (the in-cluster service account token, which the kubelet rotates about hourly) is
//   re-read at most every minute and at once after a 401, as client-go does;
// - a plugin credential (exec, OIDC, ...) is resolved again, in a new worker, shortly before its
//   expiry (exec `status.expirationTimestamp`, a JWT's `exp`) and after a 401;
// - a failed resolve is retried with backoff; requests meanwhile fail with a one-line error.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Worker } from 'node:worker_threads';
import type { ResolveRequest, ResolveResult, ResolvedConnection } from './connection-types.js';

export type { ResolvedConnection } from './connection-types.js';

/** A kubeconfig the user must fix: one line, exit code 2. */
export class KubeconfigError extends Error {}

/**
 * A non-2xx answer. `.code` and `.body` (the raw text; parse it for `reason`/`message`) are the
 * shape client-node's typed APIs throw; `.statusCode` the shape of its failed watch.
 */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: number,
    readonly body: string,
    message: string,
  ) {
    super(message);
    this.statusCode = code;
  }

  /** The Status object's `reason` (Conflict, NotFound, AlreadyExists, Expired, ...), if any. */
  get reason(): string {
    try {
      return String(JSON.parse(this.body).reason ?? '');
    } catch {
      return '';
    }
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  /** sent as JSON */
  body?: unknown;
  /** Content-Type of the body; default application/json (PATCH: application/merge-patch+json, ...) */
  contentType?: string;
  /** no byte for this long: the request fails (default 60 s) */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ConnectionOptions {
  /** how often a token file is re-read (default 60 s, as client-go) */
  tokenRereadMs?: number;
  /** resolve again this long before a plugin credential expires (default 5 min, at most a tenth of its life) */
  refreshMarginMs?: number;
  /** after a failed resolve, retry after this long, doubling up to 60 s (default 5 s) */
  retryMs?: number;
  now?: () => number;
  /** a resolve failed or a credential was renewed: one line for the log */
  onEvent?: (event: 'resolved' | 'resolve_failed' | 'token_reread', detail: string) => void;
}

export interface ConnectionStats {
  /** worker resolves after the first */
  reresolves: number;
  /** token file reads */
  tokenReads: number;
  /** 401 answers seen */
  unauthorized: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** two 401-driven re-resolves at most this close together */
const MIN_RERESOLVE_GAP_MS = 10_000;

/** Resolve the connection in a worker thread that imports client-node and exits. */
export function resolveInWorker(req: ResolveRequest, env?: NodeJS.ProcessEnv): Promise<ResolveResult> {
  const here = import.meta.url;
  // Compiled, the worker is the .js beside this file. Under tsx (tests, `npm run demo`) it is the .ts
  // source, and Node 20 does not pass tsx's hooks on to workers: register them in the worker first.
  const source = here.endsWith('.ts');
  const file = source
    ? `import('tsx/esm/api').then((m) => m.register()).then(() => import(${JSON.stringify(new URL('./resolve-worker.ts', here).href)}))`
    : new URL('./resolve-worker.js', here);
  const workerEnv = env
    ? Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : undefined;
  return new Promise((resolve, reject) => {
    const w = new Worker(file, {
      ...(source ? { eval: true } : {}),
      workerData: req,
      ...(workerEnv ? { env: workerEnv } : {}),
      // the worker parses a kubeconfig and maybe runs a plugin: a small young generation is plenty
      // and keeps the transient footprint down
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 128 },
    });
    let result: ResolveResult | undefined;
    w.once('message', (m: ResolveResult) => {
      result = m;
      // an OIDC refresh may leave a keep-alive socket: the answer is all we need
      void w.terminate();
    });
    w.once('error', (e) => {
      if (!result) reject(e);
    });
    w.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`the kubeconfig resolver exited (code ${code}) without an answer`));
    });
  });
}

export type Resolver = () => Promise<ResolveResult>;

export class ApiConnection {
  readonly stats: ConnectionStats = { reresolves: 0, tokenReads: 0, unauthorized: 0 };
  private resolved: ResolvedConnection;
  private agent: http.Agent;
  private token?: { value: string; readAt: number };
  private timer?: NodeJS.Timeout;
  private resolving?: Promise<void>;
  private lastResolveAt: number;
  private retryMs: number;
  private closed = false;
  private agentReady = false;
  private readonly opts: Required<Omit<ConnectionOptions, 'onEvent'>> & Pick<ConnectionOptions, 'onEvent'>;

  /** Resolve once (a kubeconfig mistake throws KubeconfigError) and keep the credential fresh. */
  static async open(resolver: Resolver, opts: ConnectionOptions = {}): Promise<ApiConnection> {
    const r = await resolver();
    if (!r.ok) throw r.config ? new KubeconfigError(r.message) : new Error(r.message);
    const conn = new ApiConnection(r.connection, resolver, opts);
    await conn.applyResolved(r.connection);
    return conn;
  }

  private constructor(
    resolved: ResolvedConnection,
    private readonly resolver: Resolver,
    opts: ConnectionOptions,
  ) {
    this.opts = {
      tokenRereadMs: opts.tokenRereadMs ?? 60_000,
      refreshMarginMs: opts.refreshMarginMs ?? 5 * 60_000,
      retryMs: opts.retryMs ?? 5_000,
      now: opts.now ?? Date.now,
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
    };
    this.resolved = resolved;
    this.agent = new http.Agent();
    this.lastResolveAt = this.opts.now();
    this.retryMs = this.opts.retryMs;
  }

  /** The API server's base URL. */
  get server(): string {
    return this.resolved.server;
  }

  /** Where the configuration came from (a path, or "in-cluster service account"). */
  get origin(): string {
    return this.resolved.origin;
  }

  url(path: string, query: Query = {}): URL {
    const u = new URL(this.resolved.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  /** A JSON request; resolves with the parsed body of a 2xx answer, else throws ApiError. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await readBody(res, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new Error(`${method} ${path}: response is not JSON (${(e as Error).message})`, { cause: e });
    }
  }

  /**
   * A streaming GET (a watch): resolves with the response once it answered 200 — the caller reads
   * it and destroys it to stop — or throws ApiError with the status and body.
   */
  async stream(path: string, query: Query, signal?: AbortSignal): Promise<http.IncomingMessage> {
    return this.send('GET', path, { query, ...(signal ? { signal } : {}), timeoutMs: 0 });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.agent.destroy();
  }

  /** Sends, and on a 401 renews the credential and sends once more. */
  private async send(method: string, path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.sendOnce(method, path, opts);
      const code = res.statusCode ?? 0;
      if (code >= 200 && code < 300) return res;
      const body = await readBody(res, DEFAULT_TIMEOUT_MS).catch(() => '');
      if (code === 401) {
        this.stats.unauthorized++;
        if (attempt === 0 && (await this.renewAfterUnauthorized())) continue;
      }
      throw new ApiError(code, body, `${method} ${path}: HTTP ${code} ${res.statusMessage ?? ''}`.trim());
    }
  }

  private async sendOnce(method: string, path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    const headers = await this.headers();
    const url = this.url(path, opts.query);
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent: this.agent, ...(opts.signal ? { signal: opts.signal } : {}) }, resolve);
      const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      // a request that hangs (half-dead connection, stuck proxy) must fail so the caller retries
      if (timeoutMs > 0)
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url.pathname}: no response in ${timeoutMs / 1000} s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  private async headers(): Promise<Record<string, string>> {
    if (this.resolving) await this.resolving;
    const r = this.resolved;
    if (r.expiresAt !== undefined && r.expiresAt <= this.opts.now()) await this.reresolve('credential expired');
    if (this.resolved.credentialError) throw new Error(`no credentials for the Kubernetes API: ${this.resolved.credentialError}`);
    const headers: Record<string, string> = { Accept: 'application/json', ...this.resolved.headers };
    if (this.resolved.tokenFile) {
      if (!this.token || this.opts.now() - this.token.readAt >= this.opts.tokenRereadMs) this.readToken();
      if (this.token?.value) headers.Authorization = `Bearer ${this.token.value}`;
    }
    return headers;
  }

  private readToken(): void {
    const file = this.resolved.tokenFile!;
    this.stats.tokenReads++;
    try {
      const value = readFileSync(file, 'utf8').trim();
      const changed = this.token !== undefined && this.token.value !== value;
      this.token = { value, readAt: this.opts.now() };
      if (changed) this.opts.onEvent?.('token_reread', `${file}: new token`);
    } catch (e) {
      // the kubelet swaps the file atomically, so this is rare: keep the token we have
      if (this.token) this.token.readAt = this.opts.now();
      this.opts.onEvent?.('resolve_failed', `cannot read token file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  /** true when a renewed credential is worth one more try */
  private async renewAfterUnauthorized(): Promise<boolean> {
    if (this.resolved.tokenFile) {
      const before = this.token?.value;
      this.readToken();
      return this.token?.value !== before;
    }
    if (!this.resolved.pluginCredential || this.opts.now() - this.lastResolveAt < MIN_RERESOLVE_GAP_MS) return false;
    await this.reresolve('the API server answered 401');
    return !this.resolved.credentialError;
  }

  private reresolve(why: string): Promise<void> {
    this.resolving ??= this.doResolve(why).finally(() => {
      this.resolving = undefined;
    });
    return this.resolving;
  }

  private async doResolve(why: string): Promise<void> {
    this.lastResolveAt = this.opts.now();
    this.stats.reresolves++;
    let r: ResolveResult;
    try {
      r = await this.resolver();
    } catch (e) {
      r = { ok: false, config: false, message: String((e as Error)?.message ?? e) };
    }
    if (this.closed) return;
    if (!r.ok) {
      // keep what we had: the old credential may still be accepted
      this.opts.onEvent?.('resolve_failed', `${why}; resolving the kubeconfig again failed: ${r.message}`);
      this.arm(this.retryMs);
      this.retryMs = Math.min(60_000, this.retryMs * 2);
      return;
    }
    this.opts.onEvent?.('resolved', why);
    await this.applyResolved(r.connection);
  }

  private async applyResolved(next: ResolvedConnection): Promise<void> {
    const prev = this.resolved;
    const tlsChanged =
      prev.ca !== next.ca ||
      prev.cert !== next.cert ||
      prev.key !== next.key ||
      prev.servername !== next.servername ||
      prev.rejectUnauthorized !== next.rejectUnauthorized ||
      prev.proxyUrl !== next.proxyUrl;
    this.resolved = next;
    if (!this.agentReady || tlsChanged) {
      const old = this.agentReady ? this.agent : undefined;
      this.agent = await makeAgent(next);
      this.agentReady = true;
      // new TLS material: the old agent's sockets close (open watches resume from their resourceVersion)
      if (old) setImmediate(() => old.destroy());
    }
    if (next.credentialError) {
      this.opts.onEvent?.('resolve_failed', `credential plugin failed: ${next.credentialError}`);
      this.arm(this.retryMs);
      this.retryMs = Math.min(60_000, this.retryMs * 2);
      return;
    }
    this.retryMs = this.opts.retryMs;
    if (next.expiresAt !== undefined) {
      const life = next.expiresAt - this.opts.now();
      this.arm(Math.max(1000, life - Math.min(this.opts.refreshMarginMs, life / 10)));
    } else if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private arm(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reresolve('the credential is about to expire'), Math.min(ms, 2 ** 31 - 1));
    this.timer.unref();
  }
}

async function makeAgent(r: ResolvedConnection): Promise<http.Agent> {
  const tls: https.AgentOptions = {
    keepAlive: true,
    ...(r.ca ? { ca: r.ca } : {}),
    ...(r.cert ? { cert: r.cert } : {}),
    ...(r.key ? { key: r.key } : {}),
    ...(r.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    ...(r.servername ? { servername: r.servername } : {}),
  };
  if (r.proxyUrl) {
    // the same agents client-node uses for a cluster's proxy-url, loaded only when one is set
    if (r.proxyUrl.startsWith('socks')) {
      const { SocksProxyAgent } = await import('socks-proxy-agent' as string);
      return new SocksProxyAgent(r.proxyUrl, tls) as http.Agent;
    }
    const { HttpsProxyAgent, HttpProxyAgent } = await import('hpagent' as string);
    return r.server.startsWith('https:')
      ? new HttpsProxyAgent({ ...tls, proxy: r.proxyUrl })
      : new HttpProxyAgent({ keepAlive: true, proxy: r.proxyUrl });
  }
  return r.server.startsWith('http:') ? new http.Agent({ keepAlive: true }) : new https.Agent(tls);
}

function readBody(res: http.IncomingMessage, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer =
      timeoutMs > 0
        ? setTimeout(() => res.destroy(new Error(`response body not complete in ${timeoutMs / 1000} s`)), timeoutMs)
        : undefined;
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    res.on('end', () => {
      if (timer) clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/**
 * One authenticated JSON request: what a writer (POST/PUT/PATCH of an EndpointSlice or Lease) needs.
 * Resolves with the parsed answer; a non-2xx answer throws ApiError (`.code`, `.reason`: 409
 * Conflict on a stale resourceVersion, 404 NotFound, ...).
 */
export function request<T = unknown>(
  conn: ApiConnection,
  method: string,
  path: string,
  body?: unknown,
  opts: Omit<RequestOptions, 'body'> = {},
): Promise<T> {
  return conn.request<T>(method, path, { ...opts, ...(body !== undefined ? { body } : {}) });
}
