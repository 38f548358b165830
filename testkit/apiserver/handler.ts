// The HTTP front of the fake API server: parses a request, records it, applies RBAC and injected
// faults, then answers a get, a (paginated) list, a watch or a write (create, update, patch, delete).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceRef } from '../../src/cluster/catalog.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { discoveryBody, isNonResourcePath } from './discovery.js';
import type { Faults, Verb } from './faults.js';
import { authorize, forbiddenMessage, type NamespacedRules, type PolicyRule, type RequestAttributes } from './rbac.js';
import { apiVersionOf, parseResourcePath } from './resources.js';
import { matchesFieldRequirements, matchesLabelRequirements, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { statusBody } from './status.js';
import type { K8sObject, ObjectStore } from './store.js';
import type { WatchHub } from './watch-hub.js';
import { createObject, deleteObject, notFound, patchObject, updateObject, type WriteResult } from './writes.js';

export interface RecordedRequest {
  /** ms since the epoch, when the request arrived */
  time: number;
  method: string;
  /** path without the query string */
  path: string;
  /** get/list/watch/create/update/patch/delete for resource requests; the lower-case method for non-resource ones */
  verb: string;
  group: string;
  /** plural resource name; "" for non-resource paths */
  resource: string;
  namespace?: string;
  name?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** the resourceVersion parameter, when given (a resumed watch carries the last one it saw) */
  resourceVersion?: string;
  watch: boolean;
  /** HTTP status sent (200 for a watch, whatever its events) */
  status: number;
  /** body size of a plain (not streamed) answer */
  bytes?: number;
}

export interface HandlerContext {
  store: ObjectStore;
  faults: Faults;
  hub: WatchHub;
  requests: RecordedRequest[];
  rbac: () => readonly PolicyRule[] | null;
  /** namespaced Roles, on top of rbac() */
  roles?: () => readonly NamespacedRules[];
  /** the server sends BOOKMARK events to watches that allow them */
  bookmarks: boolean;
  /** bearer tokens accepted; null: no authentication */
  tokens?: () => ReadonlySet<string> | null;
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendStatus(
  res: ServerResponse,
  code: number,
  message: string,
  reason?: string,
  details?: { name?: string; group?: string; kind?: string },
): void {
  sendJson(res, code, statusBody(code, message, reason, details));
}

const NOT_FOUND = 'the server could not find the requested resource';

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function createHandler(ctx: HandlerContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendStatus(res, 500, err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  };
}

async function handle(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const q = url.searchParams;
  const watch = isTrue(q.get('watch'));
  const target = parseResourcePath(url.pathname);
  const labelSelector = q.get('labelSelector') ?? undefined;
  const fieldSelector = q.get('fieldSelector') ?? undefined;
  const resourceVersion = q.get('resourceVersion') ?? undefined;
  const verb: string =
    !target || isNonResourcePath(url.pathname)
      ? (req.method ?? 'GET').toLowerCase()
      : resourceVerb(req.method ?? 'GET', watch, target.name !== undefined);
  const record: RecordedRequest = {
    time: Date.now(),
    method: req.method ?? 'GET',
    path: url.pathname,
    verb,
    group: target?.group ?? '',
    resource: isNonResourcePath(url.pathname) ? '' : (target?.resource ?? ''),
    ...(target?.namespace !== undefined ? { namespace: target.namespace } : {}),
    ...(target?.name !== undefined ? { name: target.name } : {}),
    ...(labelSelector !== undefined ? { labelSelector } : {}),
    ...(fieldSelector !== undefined ? { fieldSelector } : {}),
    ...(resourceVersion ? { resourceVersion } : {}),
    watch,
    status: 0,
  };
  ctx.requests.push(record);
  // writeHead is where every response (plain or streamed) commits its status
  const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
  res.writeHead = ((code: number, ...rest: unknown[]) => {
    record.status = code;
    const headers = rest.find((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);
    if (headers && headers['Content-Length'] !== undefined) record.bytes = Number(headers['Content-Length']);
    return writeHead(code, ...rest);
  }) as typeof res.writeHead;

  const accepted = ctx.tokens?.() ?? null;
  if (accepted) {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    // what a real server answers a missing, expired or rotated-away token
    if (!m || !accepted.has(m[1]!)) return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
  }

  if (isNonResourcePath(url.pathname) || !target) {
    const body = discoveryBody(url.pathname, ctx.store);
    if (body === undefined) return sendStatus(res, 404, NOT_FOUND);
    return sendJson(res, 200, body);
  }

  const ref = ctx.store.registry.lookup(target.group, target.version, target.resource);
  if (!ref || !ctx.store.isInstalled(ref) || (target.namespace !== undefined && !ref.namespaced)) {
    // the answer a real server gives for a resource (or CRD) it does not serve
    return sendStatus(res, 404, NOT_FOUND, 'NotFound', {});
  }
  if (!WRITE_VERBS.has(verb) && verb !== 'get' && verb !== 'list' && verb !== 'watch') {
    return sendStatus(res, 405, `the server does not allow this method on the requested resource`, 'MethodNotAllowed');
  }

  const attrs: RequestAttributes = {
    verb: verb as Verb,
    group: ref.group,
    resource: ref.resource,
    ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
    ...(target.name !== undefined ? { name: target.name } : {}),
    ...(fieldSelector !== undefined ? { fieldSelector } : {}),
  };
  if (!authorize(ctx.rbac(), attrs, ctx.roles?.() ?? [])) {
    return sendStatus(res, 403, forbiddenMessage(attrs), 'Forbidden', {
      ...(target.name ? { name: target.name } : {}),
      group: ref.group,
      kind: ref.resource,
    });
  }

  // Read the body before deciding on faults: a client gets its answer only after sending it anyway.
  let body: unknown;
  if (WRITE_VERBS.has(verb)) {
    const raw = await readBody(req);
    if (raw === undefined) return sendStatus(res, 413, 'Request entity too large: limit is 3145728', 'RequestEntityTooLarge');
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch (err) {
        return sendStatus(res, 400, `the body of the request was in an unknown format: ${(err as Error).message}`, 'BadRequest');
      }
    } else if (verb !== 'delete') {
      return sendStatus(res, 400, 'the body of the request is empty', 'BadRequest');
    }
  }

  const fault = ctx.faults.decide({
    resource: ref.resource,
    verb: attrs.verb,
    ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
    ...(target.name !== undefined ? { name: target.name } : {}),
  });
  if (fault.delayMs > 0) await delay(fault.delayMs);
  if (fault.error) {
    const { status, reason } = fault.error;
    const message =
      fault.error.message ?? (status === 403 ? forbiddenMessage(attrs) : status === 404 ? NOT_FOUND : `injected fault: HTTP ${status}`);
    return sendStatus(res, status, message, reason);
  }

  if (WRITE_VERBS.has(verb)) return sendWrite(res, serveWrite(ctx, req, verb, ref, target.namespace, target.name, body));

  let matches: (obj: K8sObject) => boolean;
  try {
    const labels = parseLabelSelector(labelSelector ?? '');
    const fields = parseFieldSelector(fieldSelector ?? '');
    matches = (obj) => matchesLabelRequirements(labels, obj.metadata?.labels) && matchesFieldRequirements(fields, obj);
  } catch (err) {
    return sendStatus(res, 400, (err as Error).message, 'BadRequest');
  }

  if (watch) return serveWatch(ctx, res, ref, target.namespace, target.name, matches, q);
  if (target.name !== undefined) return serveGet(ctx, res, ref, target.namespace, target.name);
  return serveList(ctx, res, ref, target.namespace, matches, q);
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete']);

/** The verb of a resource request, as the API server's request-info resolver names it. */
function resourceVerb(method: string, watch: boolean, named: boolean): string {
  switch (method.toUpperCase()) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return named ? 'post' : 'create';
    case 'PUT':
      return named ? 'update' : 'put';
    case 'PATCH':
      return named ? 'patch' : 'patch-collection';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

const BODY_LIMIT = 3 * 1024 * 1024;

/** The request body as text; undefined when it is larger than the server accepts. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function serveWrite(
  ctx: HandlerContext,
  req: IncomingMessage,
  verb: string,
  ref: ResourceRef,
  namespace: string | undefined,
  name: string | undefined,
  body: unknown,
): WriteResult {
  if (verb === 'create') return createObject(ctx.store, ref, namespace, body);
  if (name === undefined) return notFound(ref, '');
  if (verb === 'update') return updateObject(ctx.store, ref, namespace, name, body);
  if (verb === 'patch') return patchObject(ctx.store, ref, namespace, name, req.headers['content-type'], body);
  return deleteObject(ctx.store, ref, namespace, name, body);
}

function sendWrite(res: ServerResponse, r: WriteResult): void {
  sendJson(res, r.code, r.body);
}

function serveGet(ctx: HandlerContext, res: ServerResponse, ref: ResourceRef, namespace: string | undefined, name: string): void {
  const obj = ctx.store.get(ref, namespace, name);
  if (!obj)
    return sendStatus(res, 404, `${ref.resource}${ref.group ? '.' + ref.group : ''} "${name}" not found`, 'NotFound', {
      name,
      group: ref.group,
      kind: ref.resource,
    });
  sendJson(res, 200, obj);
}

function serveList(
  ctx: HandlerContext,
  res: ServerResponse,
  ref: ResourceRef,
  namespace: string | undefined,
  matches: (o: K8sObject) => boolean,
  q: URLSearchParams,
): void {
  const limit = Number(q.get('limit') ?? 0);
  const cont = q.get('continue');
  let rv = ctx.store.resourceVersion;
  let startKey: string | undefined;
  if (cont) {
    let token;
    try {
      token = decodeContinue(cont);
    } catch (err) {
      return sendStatus(res, 400, (err as Error).message, 'BadRequest');
    }
    if (token.rv < ctx.store.oldestResourceVersion) {
      return sendStatus(
        res,
        410,
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        'Expired',
      );
    }
    // Later pages report the first page's rv, so a watch started from it covers everything.
    rv = token.rv;
    startKey = token.start;
  }
  const page = ctx.store.page(ref, {
    ...(namespace ? { namespace } : {}),
    ...(startKey !== undefined ? { startKey } : {}),
    ...(Number.isFinite(limit) && limit > 0 ? { limit } : {}),
    filter: matches,
  });
  sendJson(res, 200, {
    kind: `${ref.kind}List`,
    apiVersion: apiVersionOf(ref),
    metadata: {
      resourceVersion: String(rv),
      ...(page.nextKey !== undefined ? { continue: encodeContinue({ rv, start: page.nextKey }) } : {}),
    },
    items: page.items,
  });
}

function serveWatch(
  ctx: HandlerContext,
  res: ServerResponse,
  ref: ResourceRef,
  namespace: string | undefined,
  name: string | undefined,
  matches: (o: K8sObject) => boolean,
  q: URLSearchParams,
): void {
  const rvParam = q.get('resourceVersion');
  const sinceRv = rvParam && rvParam !== '0' ? Number(rvParam) : undefined;
  if (sinceRv !== undefined && !Number.isInteger(sinceRv))
    return sendStatus(res, 400, `invalid resource version: ${rvParam}`, 'BadRequest');
  const timeout = Number(q.get('timeoutSeconds') ?? NaN);
  ctx.hub.open(
    {
      ref,
      ...(namespace ? { namespace } : {}),
      matches: name === undefined ? matches : (o) => o.metadata?.name === name && matches(o),
      ...(sinceRv !== undefined ? { sinceRv } : {}),
      bookmarks: ctx.bookmarks && isTrue(q.get('allowWatchBookmarks')),
      ...(Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout * 1000 } : {}),
    },
    res,
  );
}
