// The one way the exporter talks to the API server outside watches: an authenticated JSON request
// (list pages, the canary's lease and EndpointSlice writes). Authentication and routing are exactly
// client-node's (kc.applyToHTTPSOptions: credentials, CA, client certs, proxies); the body is plain
// JSON, so client-node's generated typed APIs never need to be loaded.
import http from 'node:http';
import https from 'node:https';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRequest {
  method: ApiMethod;
  /** path under the server URL, e.g. /apis/coordination.k8s.io/v1/namespaces/x/leases/y */
  path: string;
  query?: Record<string, string>;
  /** sent as JSON */
  body?: unknown;
  /** default application/json; PATCH callers say which patch (e.g. application/merge-patch+json) */
  contentType?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Sends the request; resolves with the parsed JSON body of a 2xx answer, rejects with an ApiException (`.code`, `.body`) otherwise. */
export async function requestJson(kc: KubeConfig, r: ApiRequest): Promise<unknown> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No currently active cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + r.path);
  for (const [k, v] of Object.entries(r.query ?? {})) url.searchParams.set(k, v);
  return sendJson(kc, url, r);
}

/** Like requestJson for a full URL (the lister builds its own query string). */
export async function sendJson(kc: KubeConfig, url: URL, r: Pick<ApiRequest, 'method' | 'body' | 'contentType' | 'timeoutMs'>): Promise<unknown> {
  const payload = r.body === undefined ? undefined : Buffer.from(JSON.stringify(r.body));
  const headers: Record<string, string | number> = { Accept: 'application/json' };
  if (payload) {
    headers['Content-Type'] = r.contentType ?? 'application/json';
    headers['Content-Length'] = payload.length;
  }
  const opts: https.RequestOptions = { method: r.method, headers };
  await kc.applyToHTTPSOptions(opts);
  const mod = url.protocol === 'http:' ? http : https;
  const timeoutMs = r.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const what = `${r.method === 'GET' ? 'get' : r.method.toLowerCase()} ${url.pathname}`;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const code = res.statusCode ?? 0;
        if (code < 200 || code > 299) {
          // The same shape client-node's typed APIs throw: `.code` the status, `.body` the raw text.
          reject(new ApiException(code, res.statusMessage ?? 'error', text, res.headers as Record<string, string>));
          return;
        }
        if (text === '') return resolve(null);
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(new Error(`${what}: response is not JSON (${(e as Error).message})`));
        }
      });
    });
    // A request that hangs (half-dead connection, stuck proxy) must fail so the caller retries.
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${what}: no response in ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
