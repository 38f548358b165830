// The test bed's own small REST client for the kubelet and the daemon: plain HTTPS with the cluster's client
// certificate, JSON in and out, and a watch that reconnects. (The exporter's client stack is what is under test; the
// test bed talks to the API server with as little of its own as it can.)
import { request as httpsRequest, Agent } from 'node:https';
import { readFileSync } from 'node:fs';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly path: string,
  ) {
    super(`${status} ${path}: ${body.slice(0, 300)}`);
  }
}

export interface ApiClientOptions {
  server: string;
  ca: string;
  cert: string;
  key: string;
  userAgent: string;
}

export class ApiClient {
  private agent: Agent;
  private url: URL;

  constructor(private readonly opts: ApiClientOptions) {
    this.url = new URL(opts.server);
    this.agent = new Agent({ keepAlive: true, ca: readFileSync(opts.ca), cert: readFileSync(opts.cert), key: readFileSync(opts.key) });
  }

  async request<T = any>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = httpsRequest(
        {
          agent: this.agent,
          hostname: this.url.hostname,
          port: this.url.port,
          path,
          method,
          timeout: 30_000,
          headers: {
            accept: 'application/json',
            'user-agent': this.opts.userAgent,
            ...(payload !== undefined ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if ((res.statusCode ?? 0) >= 300) return reject(new ApiError(res.statusCode ?? 0, text, path));
            try {
              resolve(text ? JSON.parse(text) : undefined);
            } catch {
              resolve(text as T);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  get<T = any>(path: string): Promise<T> {
    return this.request('GET', path);
  }

  /** A JSON merge patch (RFC 7386): lists are replaced whole, which is what status writers want. */
  mergePatch<T = any>(path: string, body: unknown): Promise<T> {
    return this.request('PATCH', path, body, 'application/merge-patch+json');
  }

  /**
   * List then watch `path` (a collection, with its query) for as long as `signal` is not aborted, calling `onEvent` for
   * the list's items (as ADDED) and every watch event; on 410 or any error it lists again after a pause.
   */
  async listWatch(path: string, onEvent: (type: string, obj: any) => void, signal: AbortSignal): Promise<void> {
    const sep = path.includes('?') ? '&' : '?';
    while (!signal.aborted) {
      try {
        const list = await this.get<{ metadata: { resourceVersion: string }; items: any[] }>(path);
        onEvent('SYNC', list.items);
        let rv = list.metadata.resourceVersion;
        for (;;) {
          rv = await this.watchOnce(
            `${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${rv}&timeoutSeconds=300`,
            onEvent,
            signal,
          );
          if (signal.aborted) return;
        }
      } catch (err) {
        if (signal.aborted) return;
        void err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** One watch request; resolves with the last resourceVersion seen, rejects on 410 or a broken stream. */
  private watchOnce(path: string, onEvent: (type: string, obj: any) => void, signal: AbortSignal): Promise<string> {
    let rv = new URL(path, 'https://x').searchParams.get('resourceVersion') ?? '';
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          agent: this.agent,
          hostname: this.url.hostname,
          port: this.url.port,
          path,
          method: 'GET',
          headers: { 'user-agent': this.opts.userAgent },
          signal,
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            return reject(new ApiError(res.statusCode ?? 0, '', path));
          }
          let buf = '';
          res.on('data', (c: Buffer) => {
            buf += c.toString();
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (!line.trim()) continue;
              const ev = JSON.parse(line) as { type: string; object: any };
              if (ev.type === 'ERROR') return req.destroy(new ApiError(ev.object?.code ?? 500, JSON.stringify(ev.object), path));
              rv = ev.object?.metadata?.resourceVersion ?? rv;
              if (ev.type !== 'BOOKMARK') onEvent(ev.type, ev.object);
            }
          });
          res.on('end', () => resolve(rv));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
