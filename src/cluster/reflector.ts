// A list+watch mirror of one API collection, keeping only slimmed objects.
//
// Why not client-node's informer (besides keeping client-node out of the main thread): it stops for good on any error but 410, caches
// whole objects (~14 KB per Cilium pod), and its list ignores label selectors. This one keeps
// going: a dropped watch resumes from the last resourceVersion (no relist), 410 Gone relists,
// 404 on an optional CRD means "absent", 403 means "forbidden"; all retry with backoff forever.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiConnection } from './connection.js';
import { watch } from './watch.js';
import { collectionPath, type ResourceRef } from './catalog.js';
import { describeError, httpStatusOf, makeLister, type ListPage, type ListParams } from './lister.js';
import type { SourceState } from './types.js';
import { Backoff } from './backoff.js';

export interface ReflectorSpec {
  name: string;
  ref: ResourceRef;
  /** watch one namespace instead of the whole cluster (a namespaced Role suffices) */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** a CRD that may not be installed: 404 is a state ("absent"), not an error */
  optional?: boolean;
  slim: (raw: unknown) => unknown;
}

export interface ReflectorOptions {
  pageSize?: number;
  /** server-side watch timeout; a clean end re-watches from the same resourceVersion */
  watchTimeoutSeconds?: number;
  /** no event (bookmarks included) for this long means a half-dead connection: re-watch */
  idleTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** how often to look again for a CRD that was absent or a resource that was forbidden */
  recheckMs?: number;
  /** with an API server that does not stream watches: relist this often instead */
  degradedRelistMs?: number;
}

export interface ReflectorStats {
  lists: number;
  listPages: number;
  watches: number;
  events: number;
  relists: number;
  /** MODIFIED events whose slimmed object did not change (e.g. node heartbeats): no 'change' emitted */
  unchanged: number;
}

type WatchOutcome = 'closed' | 'expired' | 'unsupported';

const WATCH_EVENT_TYPES = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'];
/** A watch that ends sooner than this without a single event is not a watch (see run()). */
const INSTANT_CLOSE_MS = 1000;

class WatchFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly established: boolean,
  ) {
    super(describeError(cause));
  }
}

export class Reflector extends EventEmitter {
  readonly name: string;
  state: SourceState = 'pending';
  lastError = '';
  resourceVersion = '';
  readonly stats: ReflectorStats = { lists: 0, listPages: 0, watches: 0, events: 0, relists: 0, unchanged: 0 };

  private items = new Map<string, unknown>();
  private readonly list: (p: ListParams) => Promise<ListPage>;
  private readonly conn: ApiConnection;
  private readonly opts: Required<ReflectorOptions>;
  private readonly backoff: Backoff;
  private readonly stopper = new AbortController();
  private current?: AbortController;
  private degraded = false;
  /** a watch stream is open right now (emits 'watching' when one opens) */
  watching = false;
  private loop?: Promise<void>;

  constructor(
    conn: ApiConnection,
    private readonly spec: ReflectorSpec,
    opts: ReflectorOptions = {},
  ) {
    super();
    this.name = spec.name;
    this.conn = conn;
    this.list = makeLister(conn, spec.ref, spec.namespace);
    const watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    this.opts = {
      // 250: at 5,000 nodes a 500-item page of agent pods is ~8 MB of JSON parsed at once; half that
      // cut the sync's peak RSS from ~200 to ~156 MB for a few more requests (docs/benchmarks.md)
      pageSize: opts.pageSize ?? 250,
      watchTimeoutSeconds,
      idleTimeoutMs: opts.idleTimeoutMs ?? (watchTimeoutSeconds + 30) * 1000,
      backoff: opts.backoff ?? { initialMs: 1000, maxMs: 30_000 },
      recheckMs: opts.recheckMs ?? 60_000,
      degradedRelistMs: opts.degradedRelistMs ?? 5_000,
    };
    this.backoff = new Backoff(this.opts.backoff.initialMs, this.opts.backoff.maxMs);
  }

  /** The current objects, slimmed. */
  values(): unknown[] {
    return [...this.items.values()];
  }

  get size(): number {
    return this.items.size;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    this.current?.abort();
    await this.loop;
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private setState(state: SourceState, err?: unknown): void {
    const detail = err === undefined ? '' : describeError(err);
    if (state === this.state && detail === this.lastError) return;
    const previous = this.state;
    this.state = state;
    this.lastError = detail;
    this.emit('state', { previous, state, error: detail });
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopper.signal }).catch(() => undefined);
  }

  private async run(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        const outcome = await this.watchOnce();
        if (outcome === 'expired') {
          this.stats.relists++;
          needList = true;
        } else if (outcome === 'unsupported') {
          // The server answered the watch but streamed no event and closed at once (an API server
          // that does not implement watch, or a proxy that buffers it): re-watching would spin.
          // Relist on a fixed interval instead, so changes still show within seconds.
          if (!this.degraded) {
            this.degraded = true;
            this.emit(
              'degraded',
              `the API server does not stream watches for ${this.spec.ref.resource}; relisting every ${this.opts.degradedRelistMs / 1000} s`,
            );
          }
          await this.pause(this.opts.degradedRelistMs);
          this.stats.relists++;
          needList = true;
        }
      } catch (err) {
        if (this.stopped) break;
        const failure = err instanceof WatchFailed ? err : undefined;
        const cause = failure ? failure.cause : err;
        const status = httpStatusOf(cause);
        if (status === 410) {
          this.stats.relists++;
          needList = true;
          continue;
        }
        if (status === 404 && this.spec.optional) {
          this.replaceItems(new Map(), '');
          this.setState('absent');
          needList = true;
          await this.pause(this.opts.recheckMs);
          continue;
        }
        if (failure?.established) {
          // The stream was up and broke (connection dropped): resume from the last
          // resourceVersion after a short pause; the data we hold is still right.
          await this.pause(this.backoff.next());
          continue;
        }
        this.setState(status === 403 ? 'forbidden' : 'error', cause);
        await this.pause(status === 403 ? this.opts.recheckMs : this.backoff.next());
      }
    }
  }

  private async relist(): Promise<void> {
    this.stats.lists++;
    const next = new Map<string, unknown>();
    let token: string | undefined;
    let rv: string;
    do {
      const params: ListParams = { limit: this.opts.pageSize };
      if (this.spec.labelSelector) params.labelSelector = this.spec.labelSelector;
      if (this.spec.fieldSelector) params.fieldSelector = this.spec.fieldSelector;
      if (token) params._continue = token;
      const page = await this.list(params);
      this.stats.listPages++;
      for (const raw of page.items) next.set(keyOf(raw), this.spec.slim(raw));
      rv = page.resourceVersion;
      token = page.continueToken;
    } while (token && !this.stopped);
    this.replaceItems(next, rv);
    this.backoff.reset();
    this.setState('synced');
  }

  private replaceItems(next: Map<string, unknown>, rv: string): void {
    this.items = next;
    this.resourceVersion = rv;
    this.emit('change');
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve, reject) => {
      const started = Date.now();
      let events = 0;
      let established = false;
      let expired = false;
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        this.watching = false;
        if (idle) clearTimeout(idle);
        if (expired) resolve('expired');
        else if (err && !this.stopped) reject(new WatchFailed(err, established));
        else if (!this.stopped && events === 0 && Date.now() - started < INSTANT_CLOSE_MS) resolve('unsupported');
        else resolve('closed');
      };
      const armIdle = () => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => {
          this.current?.abort();
          finish(new Error(`no watch event for ${this.opts.idleTimeoutMs} ms`));
        }, this.opts.idleTimeoutMs);
        idle.unref();
      };
      const onEvent = (type: string, obj: any) => {
        // Only real watch events count: a server that ignores ?watch answers with a List.
        if (!WATCH_EVENT_TYPES.includes(type)) return;
        events++;
        established = true;
        armIdle();
        this.stats.events++;
        if (type === 'ERROR') {
          if (obj?.code === 410) expired = true;
          this.current?.abort();
          finish(expired ? null : Object.assign(new Error(String(obj?.message ?? 'watch error')), { statusCode: obj?.code }));
          return;
        }
        const rv = obj?.metadata?.resourceVersion;
        if (typeof rv === 'string' && rv) this.resourceVersion = rv;
        if (type === 'BOOKMARK') return;
        const key = keyOf(obj);
        if (type === 'DELETED') {
          if (!this.items.delete(key)) return;
        } else if (type === 'ADDED' || type === 'MODIFIED') {
          const slim = this.spec.slim(obj);
          const previous = this.items.get(key);
          // Most updates touch fields the slim shape drops (node heartbeats, managedFields, status
          // timestamps): keep the object we have and do not make detection run again for nothing.
          if (previous !== undefined && sameJson(previous, slim)) {
            this.stats.unchanged++;
            return;
          }
          this.items.set(key, slim);
        } else return;
        this.emit('change');
      };
      const query: Record<string, string | number | boolean> = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: this.opts.watchTimeoutSeconds,
      };
      if (this.spec.labelSelector) query.labelSelector = this.spec.labelSelector;
      if (this.spec.fieldSelector) query.fieldSelector = this.spec.fieldSelector;
      this.stats.watches++;
      armIdle();
      watch(this.conn, collectionPath(this.spec.ref, this.spec.namespace), query, onEvent, finish)
        .then((controller) => {
          this.current = controller;
          if (!settled) {
            // The response was 200: the stream is up, so the source is healthy again.
            established = true;
            this.backoff.reset();
            if (this.state !== 'synced') this.setState('synced');
            this.watching = true;
            this.emit('watching');
          }
          if (this.stopped) controller.abort();
        })
        .catch(finish);
    });
  }
}

/** Deep equality of two plain JSON values (what slim functions return). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || !sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
      return false;
  }
  return true;
}

function keyOf(raw: unknown): string {
  const md = (raw as { metadata?: { namespace?: string; name?: string } })?.metadata ?? {};
  return `${md.namespace ?? ''}/${md.name ?? ''}`;
}
