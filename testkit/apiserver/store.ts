// The fake server's object store: objects per resource, one global resourceVersion counter, and a
// bounded history of changes that watches replay from. Keys are kept sorted per resource (as etcd
// keeps them), so a namespace or a page is a binary search away rather than a scan of everything.
import { randomUUID } from 'node:crypto';
import type { ResourceRef } from '../../src/cluster/catalog.js';
import { apiVersionOf, isBuiltIn, ResourceRegistry, resourceKey } from './resources.js';

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: ChangeType;
  rv: number;
  /** resourceKey() of the object's resource */
  resource: string;
  /** the object after the change (for DELETED: the last state, stamped with the delete's rv) */
  object: K8sObject;
  /** the object before the change (MODIFIED and DELETED) */
  previous?: K8sObject;
}

export interface PageRequest {
  namespace?: string;
  /** resume at the first key >= this (a continue token's start) */
  startKey?: string;
  limit?: number;
  filter?: (obj: K8sObject) => boolean;
}

export interface Page {
  items: K8sObject[];
  /** set when keys remain after the page: where the next page starts */
  nextKey?: string;
}

export interface ObjectStoreOptions {
  historyLimit?: number;
  /** resources served; default: every built-in one, no CRD-backed one */
  installed?: readonly ResourceRef[];
}

function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Objects of one resource. The sorted key list is rebuilt lazily: appends in order and deletes keep
 * it, an out-of-order insert drops it, so bulk loads cost one sort rather than a splice per object.
 */
class Table {
  readonly objects = new Map<string, K8sObject>();
  private sorted: string[] | null = [];

  set(key: string, obj: K8sObject): void {
    if (!this.objects.has(key) && this.sorted) {
      const last = this.sorted[this.sorted.length - 1];
      if (last === undefined || key > last) this.sorted.push(key);
      else this.sorted = null;
    }
    this.objects.set(key, obj);
  }

  delete(key: string): void {
    if (!this.objects.delete(key) || !this.sorted) return;
    this.sorted.splice(lowerBound(this.sorted, key), 1);
  }

  get keys(): string[] {
    return (this.sorted ??= [...this.objects.keys()].sort());
  }
}

export class ObjectStore {
  readonly registry: ResourceRegistry;
  private readonly tables = new Map<string, Table>();
  private readonly installedKeys = new Set<string>();
  private readonly historyLimit: number;
  // History is events[head..]; head advances instead of shifting so trimming stays O(1).
  private events: StoreEvent[] = [];
  private head = 0;
  private rv = 0;
  /** events at or below this rv are gone: watching or continuing from before it is "expired" */
  private compactedRv = 0;
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  private readonly uninstallListeners = new Set<(resource: string) => void>();

  constructor(opts: ObjectStoreOptions = {}) {
    this.registry = new ResourceRegistry(opts.installed ?? []);
    this.historyLimit = Math.max(1, opts.historyLimit ?? 10_000);
    const installed = opts.installed ?? this.registry.all().filter(isBuiltIn);
    for (const ref of installed) this.installedKeys.add(resourceKey(this.registry.resolve(ref)));
  }

  /** Current global resourceVersion. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Oldest resourceVersion a watch or continue token may still start from. */
  get oldestResourceVersion(): number {
    return this.compactedRv;
  }

  install(ref: ResourceRef | string): void {
    this.installedKeys.add(resourceKey(this.registry.resolve(ref)));
  }

  /** Stop serving a resource (its objects are kept, invisible); open watches on it end. */
  uninstall(ref: ResourceRef | string): void {
    const key = resourceKey(this.registry.resolve(ref));
    if (this.installedKeys.delete(key)) for (const l of this.uninstallListeners) l(key);
  }

  isInstalled(ref: ResourceRef | string): boolean {
    return this.installedKeys.has(resourceKey(this.registry.resolve(ref)));
  }

  /** Create or replace an object; returns the stored copy with uid and resourceVersion set. */
  apply(input: K8sObject): K8sObject {
    if (!input.apiVersion || !input.kind) throw new Error('apply: object needs apiVersion and kind');
    const ref = this.registry.forObject(input.apiVersion, input.kind);
    // A JSON round trip stores exactly what will be served (Dates become strings) and detaches the caller's copy.
    const obj = JSON.parse(JSON.stringify(input)) as K8sObject;
    const meta: ObjectMeta = (obj.metadata ??= {});
    if (!meta.name) throw new Error(`apply: ${input.kind} without metadata.name`);
    if (ref.namespaced) meta.namespace ||= 'default';
    else delete meta.namespace;
    const table = this.table(ref);
    const key = this.objectKey(ref, meta.namespace, meta.name);
    const previous = table.objects.get(key);
    // An update keeps the identity of what it replaces, as a real PUT does.
    meta.uid = previous?.metadata?.uid ?? meta.uid ?? randomUUID();
    meta.creationTimestamp =
      previous?.metadata?.creationTimestamp ?? meta.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    meta.resourceVersion = String(++this.rv);
    table.set(key, obj);
    this.record({
      type: previous ? 'MODIFIED' : 'ADDED',
      rv: this.rv,
      resource: resourceKey(ref),
      object: obj,
      ...(previous ? { previous } : {}),
    });
    return obj;
  }

  loadObjects(objs: readonly K8sObject[]): void {
    for (const o of objs) this.apply(o);
  }

  /** Delete by kind ("Pod") or resource ("pods"); namespace is ignored for cluster-scoped ones. Returns the deleted object. */
  delete(kindOrResource: string | ResourceRef, namespace: string | undefined, name: string): K8sObject | undefined {
    const ref = this.registry.resolve(kindOrResource);
    const table = this.table(ref);
    const key = this.objectKey(ref, namespace, name);
    const previous = table.objects.get(key);
    if (!previous) return undefined;
    table.delete(key);
    const object: K8sObject = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(++this.rv) } };
    this.record({ type: 'DELETED', rv: this.rv, resource: resourceKey(ref), object, previous });
    return object;
  }

  get(kindOrResource: string | ResourceRef, namespace: string | undefined, name: string): K8sObject | undefined {
    const ref = this.registry.resolve(kindOrResource);
    return this.table(ref).objects.get(this.objectKey(ref, namespace, name));
  }

  /** All objects of a resource (in one namespace when given), in key order. */
  list(kindOrResource: string | ResourceRef, namespace?: string): K8sObject[] {
    return this.page(this.registry.resolve(kindOrResource), namespace ? { namespace } : {}).items;
  }

  count(kindOrResource: string | ResourceRef): number {
    return this.table(this.registry.resolve(kindOrResource)).objects.size;
  }

  /** One page of a resource in key order: up to `limit` objects passing `filter`, from `startKey`. */
  page(ref: ResourceRef, req: PageRequest): Page {
    const { keys, objects } = this.table(ref);
    const prefix = ref.namespaced && req.namespace ? `${req.namespace}/` : '';
    let i = lowerBound(keys, req.startKey && req.startKey > prefix ? req.startKey : prefix);
    const limit = req.limit && req.limit > 0 ? req.limit : Infinity;
    const items: K8sObject[] = [];
    for (; i < keys.length && keys[i]!.startsWith(prefix); i++) {
      if (items.length >= limit) return { items, nextKey: keys[i]! };
      const obj = objects.get(keys[i]!)!;
      if (!req.filter || req.filter(obj)) items.push(obj);
    }
    return { items };
  }

  /** Changes after `rv` (of one resource when given), or undefined when history no longer reaches back that far. */
  eventsSince(rv: number, resource?: string): StoreEvent[] | undefined {
    if (rv < this.compactedRv) return undefined;
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    const after = this.events.slice(lo);
    return resource ? after.filter((e) => e.resource === resource) : after;
  }

  /** Forget all history, as etcd compaction does: watches from any older rv now get 410 Expired. */
  compact(): void {
    this.events = [];
    this.head = 0;
    this.compactedRv = this.rv;
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onUninstall(listener: (resource: string) => void): () => void {
    this.uninstallListeners.add(listener);
    return () => this.uninstallListeners.delete(listener);
  }

  /** Key of an object within its resource: "ns/name" or "name", ordered like etcd keys. */
  objectKey(ref: ResourceRef, namespace: string | undefined, name: string): string {
    return ref.namespaced ? `${namespace || 'default'}/${name}` : name;
  }

  /** apiVersion string for a resource ("v1", "apps/v1"). */
  apiVersion(ref: ResourceRef): string {
    return apiVersionOf(ref);
  }

  private table(ref: ResourceRef): Table {
    const key = resourceKey(ref);
    let t = this.tables.get(key);
    if (!t) this.tables.set(key, (t = new Table()));
    return t;
  }

  private record(e: StoreEvent): void {
    this.events.push(e);
    if (this.events.length - this.head > this.historyLimit) {
      this.compactedRv = this.events[this.head]!.rv;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.events.length) {
        this.events = this.events.slice(this.head);
        this.head = 0;
      }
    }
    for (const l of this.listeners) l(e);
  }
}
