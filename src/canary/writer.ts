// The writer: while this replica holds the Lease, it keeps the canary EndpointSlice pointing at
// this pod and flips its port every interval. The slice is created when missing and rewritten
// whole when it points elsewhere (a previous writer's pod); a flip is a JSON merge patch carrying
// the resourceVersion read, so a stale writer gets 409 instead of overwriting.
//
// A flip waits while this replica's own observer still sees the previous change pending: with two
// ports, flipping back would hand a stalled data plane the target it already serves, and the
// stall would look programmed. The pending time then keeps growing, which is what should page.
// Without the canary Service (no VIP) it writes nothing.
import { EventEmitter } from 'node:events';
import type { ApiConnection } from '../cluster/connection.js';
import { collectionPath } from '../cluster/catalog.js';
import { describeError, httpStatusOf } from '../cluster/lister.js';
import {
  CANARY_NAME,
  CANARY_REFS,
  canarySlice,
  nextTarget,
  resourceVersionOf,
  sliceBody,
  sliceIsOurs,
  sliceTarget,
  triggerTime,
  type CanaryTarget,
} from './objects.js';
import { writeErrorReason, type WriteErrorReason } from './lease.js';
import type { CanaryObserver } from './observer.js';

export interface WriterOptions {
  conn: ApiConnection;
  namespace: string;
  podIp: string;
  ports: readonly [number, number];
  intervalMs: number;
  observer: CanaryObserver;
  timeoutMs?: number;
  /** this pod's node (daemonset mode knows it); otherwise looked up from `podName` */
  nodeName?: string;
  /** this pod's name (POD_NAME), to find its node with one list by name */
  podName?: string;
}

/**
 * Emits `wrote` (target), `writeError` (reason, error text), `forbidden` (error text) on a 403, `held` while
 * a flip waits for the data plane.
 */
export class CanaryWriter extends EventEmitter {
  private active = false;
  /** the slice has been checked (and fixed) since this replica took the role */
  private ensured = false;
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private readonly path: string;
  readonly stats = { writes: 0, gets: 0 };
  private nodeName?: string;

  constructor(private readonly o: WriterOptions) {
    super();
    this.path = collectionPath(CANARY_REFS.endpointslices, o.namespace);
    if (o.nodeName) this.nodeName = o.nodeName;
  }

  /**
   * The node this pod runs on, for the slice's endpoint. A list by name (the role grants pods list, not get); until it
   * answers the slice goes without, as before, and the next write asks again.
   */
  private async node(): Promise<string | undefined> {
    if (this.nodeName || !this.o.podName) return this.nodeName;
    try {
      const selector = encodeURIComponent(`metadata.name=${this.o.podName}`);
      const list = await this.o.conn.request<{ items?: { spec?: { nodeName?: unknown } }[] }>(
        'GET',
        `/api/v1/namespaces/${this.o.namespace}/pods?fieldSelector=${selector}`,
        { timeoutMs: this.o.timeoutMs ?? 10_000 },
      );
      const name = list?.items?.[0]?.spec?.nodeName;
      if (typeof name === 'string' && name) this.nodeName = name;
    } catch {
      // not fatal: the slice works without it everywhere but on hairpin-strict proxies
    }
    return this.nodeName;
  }

  /** Start (true) or stop (false) writing; called as leadership comes and goes. */
  setActive(on: boolean): void {
    if (on === this.active) return;
    this.active = on;
    this.ensured = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (on) this.run(() => this.ensure());
  }

  /** The canary Service's VIP appeared: a writer that waited for it starts now. */
  vipKnown(): void {
    if (this.active && !this.ensured) this.run(() => this.ensure());
  }

  async stop(): Promise<void> {
    this.setActive(false);
    await this.busy;
  }

  private run(fn: () => Promise<void>): void {
    const next = (this.busy ?? Promise.resolve()).then(fn).catch(() => undefined);
    this.busy = next;
  }

  private scheduleFlip(): void {
    if (!this.active) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(() => this.flip()), this.o.intervalMs);
    this.timer.unref();
  }

  /** On taking the role: the slice must exist and point at this pod; then flips follow. */
  private async ensure(): Promise<void> {
    if (!this.active || this.ensured) return;
    // Without the canary Service there is nothing a data plane could program: no changes, so no
    // pending time that would page for a missing manifest (the observer logs that once).
    if (!this.o.observer.vip) return this.scheduleFlip();
    this.ensured = true;
    // authoritative at takeover (the watch cache may lag a previous writer's last write)
    const cur = await this.get();
    const t = sliceTarget(cur);
    if (cur && sliceIsOurs(cur) && t && t.address === this.o.podIp && this.o.ports.includes(t.port)) return this.scheduleFlip();
    await this.write(cur);
    this.scheduleFlip();
  }

  private async flip(): Promise<void> {
    if (!this.active) return;
    if (!this.ensured) return this.ensure();
    if (!this.o.observer.vip) return this.scheduleFlip();
    const cur = await this.current();
    const t = sliceTarget(cur);
    if (this.o.observer.pending && t && t.address === this.o.podIp) {
      this.emit('held');
      return this.scheduleFlip();
    }
    await this.write(cur);
    this.scheduleFlip();
  }

  /** The slice: from the observer's watch cache once it has listed, else a GET. */
  private async current(): Promise<unknown> {
    if (this.o.observer.synced) return this.o.observer.slice;
    return this.get();
  }

  private async get(): Promise<unknown> {
    this.stats.gets++;
    try {
      return await this.o.conn.request('GET', `${this.path}/${CANARY_NAME}`, { timeoutMs: this.o.timeoutMs ?? 10_000 });
    } catch (e) {
      if (httpStatusOf(e) === 404) return undefined;
      throw e;
    }
  }

  private async write(cur: unknown, retried = false): Promise<void> {
    if (!this.active) return;
    const target: CanaryTarget = nextTarget(sliceTarget(cur), this.o.podIp, this.o.ports);
    const owner = this.o.observer.vip?.uid ? { serviceUid: this.o.observer.vip.uid } : {};
    const rv = resourceVersionOf(cur);
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    const changedAt = new Date();
    const nodeName = await this.node();
    this.stats.writes++;
    try {
      if (!cur) {
        await this.o.conn.request('POST', this.path, {
          body: canarySlice(this.o.namespace, target, owner, undefined, changedAt, nodeName),
          timeoutMs,
        });
      } else if (sliceIsOurs(cur) && sliceTarget(cur)?.address === this.o.podIp) {
        await this.o.conn.request('PATCH', `${this.path}/${CANARY_NAME}`, {
          contentType: 'application/merge-patch+json',
          body: { metadata: { resourceVersion: rv, annotations: triggerTime(changedAt) }, ...sliceBody(target, nodeName) },
          timeoutMs,
        });
      } else {
        // someone else's target (a previous writer) or foreign labels: the whole object, ours
        await this.o.conn.request('PUT', `${this.path}/${CANARY_NAME}`, {
          body: canarySlice(this.o.namespace, target, owner, rv, changedAt, nodeName),
          timeoutMs,
        });
      }
      this.emit('wrote', target);
    } catch (err) {
      const reason: WriteErrorReason = writeErrorReason(err);
      this.emit('writeError', reason, describeError(err));
      if (reason === 'forbidden') {
        this.setActive(false);
        this.emit('forbidden', describeError(err));
        return;
      }
      // 409: the slice changed since we read it (or already exists); read it and try once more
      if ((reason === 'conflict' || reason === 'not_found') && !retried) return this.write(await this.get(), true);
    }
  }
}
