// One paginated list call per resource. The request is authenticated and routed exactly as
// client-node does it (kc.applyToHTTPSOptions: credentials, CA, client certs, proxies), but the
// body is parsed with JSON.parse rather than client-node's typed ObjectSerializer: at 5,000 nodes
// that deserialiser cost ~2 s of CPU and doubled the garbage of every 500-item page of ~16 KB
// pods, only for the reflector to slim the result at once (docs/benchmarks.md).
import http from 'node:http';
import https from 'node:https';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { collectionPath, type ResourceRef } from './catalog.js';

export interface ListParams {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  _continue?: string;
}

export interface ListPage {
  items: unknown[];
  resourceVersion: string;
  continueToken?: string;
}

/** Builds the list function for a resource (cluster-wide collection, plain JSON objects). */
export function makeLister(kc: KubeConfig, ref: ResourceRef): (p: ListParams) => Promise<ListPage> {
  return async (p) => {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('No currently active cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + collectionPath(ref));
    if (p.labelSelector) url.searchParams.set('labelSelector', p.labelSelector);
    if (p.fieldSelector) url.searchParams.set('fieldSelector', p.fieldSelector);
    if (p.limit) url.searchParams.set('limit', String(p.limit));
    if (p._continue) url.searchParams.set('continue', p._continue);
    const res = (await getJson(kc, url)) as { items?: unknown[]; metadata?: Record<string, unknown> } | null;
    const md = res?.metadata ?? {};
    const cont = md.continue ?? md._continue;
    return {
      items: Array.isArray(res?.items) ? res.items : [],
      resourceVersion: String(md.resourceVersion ?? ''),
      ...(cont ? { continueToken: String(cont) } : {}),
    };
  };
}

const LIST_TIMEOUT_MS = 60_000;

async function getJson(kc: KubeConfig, url: URL): Promise<unknown> {
  const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(opts);
  const mod = url.protocol === 'http:' ? http : https;
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
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(new Error(`list ${url.pathname}: response is not JSON (${(e as Error).message})`));
        }
      });
    });
    // A list that hangs (half-dead connection, stuck proxy) must fail so the reflector retries.
    req.setTimeout(LIST_TIMEOUT_MS, () => req.destroy(new Error(`list ${url.pathname}: no response in ${LIST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

/** HTTP status of a client-node failure: ApiException `.code`, a failed watch's `.statusCode`. */
export function httpStatusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** One line, no secrets: the status and the API's own message when there is one. */
export function describeError(err: unknown): string {
  const status = httpStatusOf(err);
  const e = err as { body?: unknown; message?: unknown; cause?: { code?: unknown } };
  let message = '';
  if (typeof e?.body === 'string') {
    try {
      message = String(JSON.parse(e.body).message ?? '');
    } catch {
      message = '';
    }
  }
  if (!message && e?.cause && typeof e.cause.code === 'string') message = e.cause.code;
  if (!message) message = String(e?.message ?? err).split('\n')[0] ?? '';
  if (message.length > 300) message = `${message.slice(0, 300)}…`;
  return status ? `HTTP ${status}: ${message}` : message;
}
