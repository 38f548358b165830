// One paginated list call per resource. The request is authenticated and routed exactly as
// client-node does it (kc.applyToHTTPSOptions: credentials, CA, client certs, proxies), but the
// body is parsed with JSON.parse rather than client-node's typed ObjectSerializer: at 5,000 nodes
// that deserialiser cost ~2 s of CPU and doubled the garbage of every 500-item page of ~16 KB
// pods, only for the reflector to slim the result at once (docs/benchmarks.md).
import type { KubeConfig } from '@kubernetes/client-node';
import { sendJson } from './request.js';
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

/** Builds the list function for a resource (cluster-wide collection unless a namespace is given; plain JSON objects). */
export function makeLister(kc: KubeConfig, ref: ResourceRef, namespace?: string): (p: ListParams) => Promise<ListPage> {
  return async (p) => {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('No currently active cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + collectionPath(ref, namespace));
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

function getJson(kc: KubeConfig, url: URL): Promise<unknown> {
  return sendJson(kc, url, { method: 'GET', timeoutMs: LIST_TIMEOUT_MS });
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
