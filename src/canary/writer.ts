// The writer: while this replica holds the Lease, it keeps the canary EndpointSlice pointing at
// this pod and flips its port every interval. The slice is created when missing and rewritten
// whole when it points elsewhere (a previous writer's pod); a flip is a JSON merge patch carrying
// the resourceVersion read, so a stale writer gets 409 instead of overwriting.
//
// A flip waits while this replica's own observer still sees the previous change pending: with two
// ports, flipping back would hand a stalled data plane the target it already serves, and the
// stall would look programmed. The pending time then keeps growing, which is what should page.
// Without the canary Service (no VIP) it writes nothing.
//
// One slice per pod IP (an EndpointSlice holds one address family): on a dual-stack pod the IPv4 and
// IPv6 slices carry the same port, TCP and UDP, and every flip moves them all together. The hold
// looks at TCP only: a UDP flow pinned by a stale conntrack entry pends without holding the flips, so
// the TCP programming signal keeps flowing during a conntrack fault.
import { EventEmitter } from 'node:events';
import type { ApiConnection } from '../cluster/connection.js';
import { collectionPath } from '../cluster/catalog.js';
import { describeError, httpStatusOf } from '../cluster/lister.js';
import {
  CANARY_REFS,
  canarySlice,
  nextTarget,
  resourceVersionOf,
  sliceBody,
  sliceHasUdp,
  sliceIsOurs,
  sliceName,
  sliceNodeName,
  sliceTarget,
  triggerTime,
  type CanaryTarget,
} from './objects.js';
import { writeErrorReason, type WriteErrorReason } from './lease.js';
import type { CanaryObserver } from './observer.js';

export interface WriterOptions {
  conn: ApiConnection;
  namespace: string;
  /** this pod's IPs, one per family (the first is status.podIP) */
  podIps: readonly string[];
  ports: readonly [number, number];
  intervalMs: number;
  observer: CanaryObserver;
  timeoutMs?: number;
  /** this pod's node (downward API spec.nodeName), written into the slice's endpoint; else looked up from `podName` */
  nodeName?: string;
  /** this pod's name (POD_NAME), to find its node with one list by name when NODE_NAME is not set */
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
  async node(): Promise<string | undefined> {
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
    try {
      // authoritative at takeover (the watch cache may lag a previous writer's last write)
      const names = this.o.podIps.map((ip, i) => sliceName(i, ip));
      const cur = await Promise.all(names.map((n) => this.get(n)));
      const port = sliceTarget(cur[0])?.port;
      const fine = this.o.podIps.every((ip, i) => {
        const t = sliceTarget(cur[i]);
        return (
          sliceIsOurs(cur[i]) &&
          t?.address === ip &&
          t.port === port &&
          this.o.ports.includes(t.port) &&
          sliceHasUdp(cur[i], t.port) &&
          (!this.nodeName || sliceNodeName(cur[i]) === this.nodeName)
        );
      });
      if (!fine) await this.writeAll(cur);
      this.ensured = true;
    } finally {
      // A read or write that failed (the API unreachable through a broken VIP just as this replica took the
      // Lease back) is tried again at the next tick: found on the real cluster, the writer otherwise stayed idle
      // until leadership changed, and the canary stopped measuring.
      this.scheduleFlip();
    }
  }

  private async flip(): Promise<void> {
    if (!this.active) return;
    if (!this.ensured) return this.ensure();
    if (!this.o.observer.vip) return this.scheduleFlip();
    try {
      const names = this.o.podIps.map((ip, i) => sliceName(i, ip));
      const cur = await Promise.all(names.map((n) => this.current(n)));
      const t = sliceTarget(cur[0]);
      if (this.o.observer.pending && t && t.address === this.o.podIps[0]) {
        this.emit('held');
        return;
      }
      await this.writeAll(cur);
    } finally {
      this.scheduleFlip();
    }
  }

  /** Every family's slice to the next port (the primary slice's other port), all the same port. */
  private async writeAll(cur: unknown[]): Promise<void> {
    const port = nextTarget(sliceTarget(cur[0]), this.o.podIps[0]!, this.o.ports).port;
    for (const [i, ip] of this.o.podIps.entries()) {
      if (!this.active) return;
      await this.write(sliceName(i, ip), cur[i], { address: ip, port });
    }
  }

  /** A slice: from the observer's watch cache once it has listed, else a GET. */
  private async current(name: string): Promise<unknown> {
    if (this.o.observer.synced) return this.o.observer.sliceNamed(name);
    return this.get(name);
  }

  private async get(name: string): Promise<unknown> {
    this.stats.gets++;
    try {
      return await this.o.conn.request('GET', `${this.path}/${name}`, { timeoutMs: this.o.timeoutMs ?? 10_000 });
    } catch (e) {
      if (httpStatusOf(e) === 404) return undefined;
      throw e;
    }
  }

  private async write(name: string, cur: unknown, target: CanaryTarget, retried = false): Promise<void> {
    if (!this.active) return;
    const owner = this.o.observer.vip?.uid ? { serviceUid: this.o.observer.vip.uid } : {};
    const rv = resourceVersionOf(cur);
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    const changedAt = new Date();
    const nodeName = await this.node();
    this.stats.writes++;
    try {
      if (!cur) {
        await this.o.conn.request('POST', this.path, {
          body: canarySlice(this.o.namespace, target, owner, undefined, name, changedAt, nodeName),
          timeoutMs,
        });
      } else if (sliceIsOurs(cur) && sliceTarget(cur)?.address === target.address) {
        await this.o.conn.request('PATCH', `${this.path}/${name}`, {
          contentType: 'application/merge-patch+json',
          body: { metadata: { resourceVersion: rv, annotations: triggerTime(changedAt) }, ...sliceBody(target, nodeName) },
          timeoutMs,
        });
      } else {
        // someone else's target (a previous writer) or foreign labels: the whole object, ours
        await this.o.conn.request('PUT', `${this.path}/${name}`, {
          body: canarySlice(this.o.namespace, target, owner, rv, name, changedAt, nodeName),
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
      if ((reason === 'conflict' || reason === 'not_found') && !retried) return this.write(name, await this.get(name), target, true);
    }
  }
}
