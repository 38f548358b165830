// A tiny stand-in API server for the canary's unit tests: one namespace, get/list/watch and
// create/update/merge-patch with resourceVersion conflicts (409), and 403 injection for writes.
// The project's fake API server (testkit/apiserver) is what the end-to-end tests use.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnection } from '../../src/cluster/kubeconfig.js';
import type { ApiConnection } from '../../src/cluster/connection.js';
import { writeKubeconfig } from '../../testkit/apiserver/kubeconfig.js';

type Obj = {
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; [k: string]: unknown };
  [k: string]: unknown;
};

export interface StandIn {
  url: string;
  conn: ApiConnection;
  objects: Map<string, Obj>;
  requests: { method: string; resource: string; name?: string; status: number }[];
  /** resources whose writes answer 403 */
  forbidWrites: Set<string>;
  /** called after every stored change */
  onChange(fn: (resource: string, obj: Obj) => void): void;
  put(resource: string, obj: Obj): void;
  get(resource: string, name: string): Obj | undefined;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  reason,
  message,
});

export async function startStandIn(): Promise<StandIn> {
  const objects = new Map<string, Obj>();
  let rv = 100;
  const watchers = new Set<{ resource: string; name?: string; res: http.ServerResponse }>();
  const requests: StandIn['requests'] = [];
  const forbidWrites = new Set<string>();
  const changeFns: ((resource: string, obj: Obj) => void)[] = [];
  const store = (resource: string, obj: Obj, type: 'ADDED' | 'MODIFIED') => {
    rv++;
    obj.metadata.resourceVersion = String(rv);
    obj.metadata.uid ??= `uid-${rv}`;
    objects.set(`${resource}/${obj.metadata.name}`, obj);
    for (const w of watchers)
      if (w.resource === resource && (!w.name || w.name === obj.metadata.name)) w.res.write(JSON.stringify({ type, object: obj }) + '\n');
    for (const fn of changeFns) fn(resource, obj);
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    const send = (code: number, body: unknown) => {
      requests.push({ method: req.method ?? '', resource: m?.[2] ?? '', ...(m?.[3] ? { name: m[3] } : {}), status: code });
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!m) return send(404, status(404, 'NotFound', 'no such path'));
    const [, , resource, name] = m as unknown as [string, string, string, string | undefined];
    const sel = /^metadata\.name=(.+)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      if (method !== 'GET' && forbidWrites.has(resource)) return send(403, status(403, 'Forbidden', `${resource} is forbidden: injected`));
      const key = name ? `${resource}/${name}` : '';
      const cur = key ? objects.get(key) : undefined;
      if (method === 'GET' && url.searchParams.get('watch') === 'true') {
        requests.push({ method, resource, status: 200 });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        const w = { resource, ...(sel ? { name: sel } : {}), res };
        watchers.add(w);
        req.socket.on('close', () => watchers.delete(w));
        return;
      }
      if (method === 'GET' && !name) {
        const items = [...objects.entries()]
          .filter(([k, o]) => k.startsWith(`${resource}/`) && (!sel || o.metadata.name === sel))
          .map(([, o]) => o);
        return send(200, { kind: 'List', metadata: { resourceVersion: String(rv) }, items });
      }
      if (method === 'GET') return cur ? send(200, cur) : send(404, status(404, 'NotFound', `${resource} "${name}" not found`));
      const body = text ? (JSON.parse(text) as Obj) : undefined;
      if (method === 'POST') {
        if (!body) return send(400, status(400, 'BadRequest', 'no body'));
        if (objects.has(`${resource}/${body.metadata.name}`)) return send(409, status(409, 'AlreadyExists', 'already exists'));
        store(resource, body, 'ADDED');
        return send(201, body);
      }
      if (!cur) return send(404, status(404, 'NotFound', `${resource} "${name}" not found`));
      const want = body?.metadata?.resourceVersion;
      if (want && want !== cur.metadata.resourceVersion)
        return send(
          409,
          status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again'),
        );
      if (method === 'PUT') {
        store(resource, body!, 'MODIFIED');
        return send(200, body);
      }
      if (method === 'PATCH') {
        const merged = { ...cur, ...body, metadata: { ...cur.metadata, ...(body?.metadata ?? {}) } } as Obj;
        store(resource, merged, 'MODIFIED');
        return send(200, merged);
      }
      send(405, status(405, 'MethodNotAllowed', method));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'spe-standin-'));
  writeKubeconfig(url, join(dir, 'kubeconfig'));
  const conn = await openConnection(join(dir, 'kubeconfig'));
  return {
    url,
    conn,
    objects,
    requests,
    forbidWrites,
    onChange: (fn) => void changeFns.push(fn),
    put: (resource, obj) => store(resource, obj, objects.has(`${resource}/${obj.metadata.name}`) ? 'MODIFIED' : 'ADDED'),
    get: (resource, name) => objects.get(`${resource}/${name}`),
    close: () =>
      new Promise<void>((r) => {
        conn.close();
        rmSync(dir, { recursive: true, force: true });
        for (const w of watchers) w.res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
