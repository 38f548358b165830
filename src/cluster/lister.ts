// One paginated list call per resource, over the exporter's ApiConnection (credentials, CA, client
// certs as client-node resolved them). The body is parsed with JSON.parse rather than client-node's
// typed ObjectSerializer: at 5,000 nodes that deserialiser cost ~2 s of CPU and doubled the garbage
// of every page, only for the reflector to slim the result at once (docs/benchmarks.md).
import type { ApiConnection } from './connection.js';
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
export function makeLister(conn: ApiConnection, ref: ResourceRef, namespace?: string): (p: ListParams) => Promise<ListPage> {
  return async (p) => {
    const res = await conn.request<{ items?: unknown[]; metadata?: Record<string, unknown> } | null>(
      'GET',
      collectionPath(ref, namespace),
      {
        query: {
          labelSelector: p.labelSelector || undefined,
          fieldSelector: p.fieldSelector || undefined,
          limit: p.limit || undefined,
          continue: p._continue || undefined,
        },
      },
    );
    const md = res?.metadata ?? {};
    const cont = md.continue ?? md._continue;
    return {
      items: Array.isArray(res?.items) ? res.items : [],
      resourceVersion: String(md.resourceVersion ?? ''),
      ...(cont ? { continueToken: String(cont) } : {}),
    };
  };
}

/** HTTP status of a failed request: ApiError `.code` (also client-node's ApiException), a failed watch's `.statusCode`. */
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
