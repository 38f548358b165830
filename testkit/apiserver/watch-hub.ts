// Open watch streams. Each watch gets the store's changes for its resource, filtered by its
// selectors the way a real API server filters them: an object that leaves the selection arrives as
// DELETED, one that enters it as ADDED.
import type { ServerResponse } from 'node:http';
import type { ResourceRef } from '../../src/cluster/catalog.js';
import { apiVersionOf, resourceKey } from './resources.js';
import { statusBody } from './status.js';
import type { K8sObject, ObjectStore, StoreEvent } from './store.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchSpec {
  ref: ResourceRef;
  namespace?: string;
  /** selector check (labels, fields) on top of the namespace */
  matches: (obj: K8sObject) => boolean;
  /** send changes after this rv; undefined: first an ADDED for every current object */
  sinceRv?: number;
  /** the client asked for bookmarks and the server sends them */
  bookmarks: boolean;
  timeoutMs?: number;
}

export interface OpenWatch {
  resource: string;
  namespace?: string;
}

interface Stream extends OpenWatch {
  key: string;
  spec: WatchSpec;
  res: ServerResponse;
  timers: NodeJS.Timeout[];
}

export class WatchHub {
  private readonly streams = new Set<Stream>();
  private readonly unsubscribe: Array<() => void>;

  constructor(
    private readonly store: ObjectStore,
    private readonly bookmarkIntervalMs: number,
  ) {
    this.unsubscribe = [
      store.subscribe((e) => this.dispatch(e)),
      // a real server ends watches on a resource whose CRD is removed
      store.onUninstall((key) => {
        for (const s of [...this.streams]) if (s.key === key) this.end(s);
      }),
    ];
  }

  count(): number {
    return this.streams.size;
  }

  /** Start streaming to `res`. Replay and registration happen in one tick, so no change falls between them. */
  open(spec: WatchSpec, res: ServerResponse): void {
    const key = resourceKey(spec.ref);
    const history = spec.sinceRv === undefined ? [] : this.store.eventsSince(spec.sinceRv, key);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    if (history === undefined) {
      // What a real server does for a watch from a compacted rv: 200, one ERROR event, end of stream.
      const status = statusBody(410, `too old resource version: ${spec.sinceRv} (${this.store.oldestResourceVersion})`, 'Expired');
      res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
      return;
    }
    const stream: Stream = {
      key,
      resource: spec.ref.resource,
      spec,
      res,
      timers: [],
      ...(spec.namespace ? { namespace: spec.namespace } : {}),
    };
    if (spec.sinceRv === undefined) {
      const current = this.store.page(spec.ref, spec.namespace ? { namespace: spec.namespace } : {}).items;
      for (const obj of current) if (this.selects(stream, obj)) this.write(stream, 'ADDED', obj);
    }
    for (const e of history) this.send(stream, e);
    this.streams.add(stream);
    res.on('close', () => this.forget(stream));
    if (spec.bookmarks) {
      stream.timers.push(setInterval(() => this.bookmark(stream), this.bookmarkIntervalMs));
    }
    if (spec.timeoutMs !== undefined) stream.timers.push(setTimeout(() => this.end(stream), spec.timeoutMs));
  }

  /** Destroy matching watch sockets without ending the chunked stream, as a lost connection would. */
  drop(filter?: (w: OpenWatch) => boolean): number {
    let n = 0;
    for (const s of [...this.streams]) {
      if (filter && !filter({ resource: s.resource, ...(s.namespace ? { namespace: s.namespace } : {}) })) continue;
      this.forget(s);
      s.res.socket?.destroy();
      s.res.destroy();
      n++;
    }
    return n;
  }

  /** End every stream cleanly and stop listening to the store. */
  close(): void {
    for (const s of [...this.streams]) this.end(s);
    for (const u of this.unsubscribe) u();
  }

  private selects(s: Stream, obj: K8sObject): boolean {
    if (s.spec.namespace && obj.metadata?.namespace !== s.spec.namespace) return false;
    return s.spec.matches(obj);
  }

  private dispatch(e: StoreEvent): void {
    for (const s of this.streams) if (s.key === e.resource) this.send(s, e);
  }

  private send(s: Stream, e: StoreEvent): void {
    const now = this.selects(s, e.object);
    const before = e.previous !== undefined && this.selects(s, e.previous);
    if (e.type === 'DELETED') {
      if (before) this.write(s, 'DELETED', e.object);
    } else if (e.type === 'ADDED') {
      if (now) this.write(s, 'ADDED', e.object);
    } else if (now && before) {
      this.write(s, 'MODIFIED', e.object);
    } else if (now) {
      this.write(s, 'ADDED', e.object);
    } else if (before) {
      // left the selection: the watcher last saw the old state, delivered at the new rv
      this.write(s, 'DELETED', { ...e.previous, metadata: { ...e.previous!.metadata, resourceVersion: String(e.rv) } });
    }
  }

  private bookmark(s: Stream): void {
    const { ref } = s.spec;
    this.write(s, 'BOOKMARK', {
      kind: ref.kind,
      apiVersion: apiVersionOf(ref),
      metadata: { resourceVersion: String(this.store.resourceVersion) },
    });
  }

  private write(s: Stream, type: WatchEventType, object: unknown): void {
    if (!s.res.writableEnded && !s.res.destroyed) s.res.write(JSON.stringify({ type, object }) + '\n');
  }

  private end(s: Stream): void {
    this.forget(s);
    if (!s.res.writableEnded) s.res.end();
  }

  private forget(s: Stream): void {
    for (const t of s.timers) clearTimeout(t);
    s.timers = [];
    this.streams.delete(s);
  }
}
