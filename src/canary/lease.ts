// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: the
// holder renews `renewTime`; another replica takes over once it has seen the same record, unchanged,
// for `leaseDurationSeconds` (its own clock: no clock comparison across nodes), bumping
// `leaseTransitions`; every write carries the resourceVersion read, so two candidates racing for an
// expired lease get one 200 and one 409.
//
// The decision is a pure function (decideLease); LeaseElector is the shell around it: a watch of
// the one Lease (fieldSelector metadata.name, so followers cost the API server nothing but that
// watch), timers, and the writes.
import { EventEmitter } from 'node:events';
import type { ApiConnection } from '../cluster/connection.js';
import type { Reflector, ReflectorOptions } from '../cluster/reflector.js';
import { canaryWatch } from './watch.js';
import { collectionPath } from '../cluster/catalog.js';
import { describeError, httpStatusOf } from '../cluster/lister.js';
import { Backoff } from '../cluster/backoff.js';
import { CANARY_NAME, CANARY_REFS, resourceVersionOf } from './objects.js';

/**
 * Durations of the election. client-go's usual values are 15 s / 10 s / 2 s with a renewal every
 * retry period; the canary renews every 5 s instead, which keeps the writer at 12 lease writes a
 * minute while a dead writer is still replaced within 15 s.
 */
export interface LeaseTiming {
  /** leaseDurationSeconds written into the Lease: how long others wait before taking over */
  leaseDurationMs: number;
  /** how often the holder renews */
  renewPeriodMs: number;
  /** a holder that could not renew for this long stops writing (before others may take over) */
  renewDeadlineMs: number;
  /** retry after a failed write */
  retryPeriodMs: number;
  /** after a 403: wait this long (doubling) before trying to write again */
  forbiddenBackoff: { initialMs: number; maxMs: number };
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = {
  leaseDurationMs: 15_000,
  renewPeriodMs: 5_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  forbiddenBackoff: { initialMs: 30_000, maxMs: 600_000 },
};

export interface LeaseSpec {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions: number;
}

/** What this replica knows of the Lease: its spec, resourceVersion, and when it last saw the record change. */
export interface ObservedLease {
  spec: LeaseSpec;
  resourceVersion: string;
  observedAt: number;
}

export type LeaseAction =
  | { kind: 'create'; spec: LeaseSpec }
  | { kind: 'update'; spec: LeaseSpec; resourceVersion: string; takeover: boolean }
  | { kind: 'wait'; untilMs: number; holder: string };

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits (Go parses that layout strictly). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The next step for `me` (pure). `observed` undefined means the Lease does not exist. */
export function decideLease(observed: ObservedLease | undefined, me: string, now: number, timing: LeaseTiming): LeaseAction {
  const durationSeconds = Math.max(1, Math.round(timing.leaseDurationMs / 1000));
  const stamp = microTime(now);
  if (!observed) {
    return {
      kind: 'create',
      spec: { holderIdentity: me, leaseDurationSeconds: durationSeconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 },
    };
  }
  const s = observed.spec;
  if (s.holderIdentity === me) {
    return {
      kind: 'update',
      takeover: false,
      resourceVersion: observed.resourceVersion,
      spec: { ...s, leaseDurationSeconds: durationSeconds, renewTime: stamp, ...(s.acquireTime ? {} : { acquireTime: stamp }) },
    };
  }
  const expiresAt = observed.observedAt + Math.max(1, s.leaseDurationSeconds || durationSeconds) * 1000;
  if (s.holderIdentity && now < expiresAt) return { kind: 'wait', untilMs: expiresAt, holder: s.holderIdentity };
  return {
    kind: 'update',
    takeover: true,
    resourceVersion: observed.resourceVersion,
    spec: {
      holderIdentity: me,
      leaseDurationSeconds: durationSeconds,
      acquireTime: stamp,
      renewTime: stamp,
      leaseTransitions: (s.leaseTransitions ?? 0) + 1,
    },
  };
}

export function leaseSpecOf(obj: unknown): LeaseSpec {
  const s = ((obj as { spec?: Record<string, unknown> } | null)?.spec ?? {}) as Record<string, unknown>;
  return {
    holderIdentity: typeof s.holderIdentity === 'string' ? s.holderIdentity : '',
    leaseDurationSeconds: typeof s.leaseDurationSeconds === 'number' ? s.leaseDurationSeconds : 0,
    ...(typeof s.acquireTime === 'string' ? { acquireTime: s.acquireTime } : {}),
    ...(typeof s.renewTime === 'string' ? { renewTime: s.renewTime } : {}),
    leaseTransitions: typeof s.leaseTransitions === 'number' ? s.leaseTransitions : 0,
  };
}

export type WriteErrorReason = 'forbidden' | 'conflict' | 'not_found' | 'other';

export function writeErrorReason(err: unknown): WriteErrorReason {
  const status = httpStatusOf(err);
  if (status === 403 || status === 401) return 'forbidden';
  if (status === 409) return 'conflict';
  if (status === 404) return 'not_found';
  return 'other';
}

export interface LeaseElectorOptions {
  conn: ApiConnection;
  namespace: string;
  identity: string;
  timing?: Partial<LeaseTiming>;
  reflector?: ReflectorOptions;
  now?: () => number;
  /**
   * Whether a missing Lease may be created now. The canary passes "its Service exists": `helm uninstall` and
   * `kubectl delete -k` remove the Service and the Lease while replicas are still in their termination grace period,
   * and a replica that created the Lease again then left it behind (seen on the real cluster).
   */
  mayCreate?: () => boolean;
  /**
   * The canary Service's uid: the Lease is written as owned by it, so the garbage collector removes a Lease that a
   * terminating replica wrote again during an uninstall, once the Service is gone.
   */
  ownerUid?: () => string | undefined;
}

/**
 * Emits `leader` (true/false) when this replica starts or stops holding the Lease, `forbidden`
 * (error text) when a write got 403 (once per episode), `allowed` when writes work again, and
 * `writeError` (reason) on every failed write, `source` ({state, error}) when its watch changes state.
 */
export class LeaseElector extends EventEmitter {
  readonly timing: LeaseTiming;
  isLeader = false;
  /** writes are forbidden; no attempt before `forbiddenUntil` */
  forbidden = false;
  /** what was forbidden: the Lease itself, or (relinquish) a write the caller made as holder */
  private forbiddenBy: 'lease' | 'caller' | undefined;
  private forbiddenUntil = 0;
  private readonly forbiddenBackoff: Backoff;
  private readonly reflector: Reflector;
  private observed: ObservedLease | undefined;
  private synced = false;
  private lastRenewAt = 0;
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  private readonly path: string;
  /** API requests this elector made (bench) */
  readonly stats = { writes: 0 };

  constructor(private readonly o: LeaseElectorOptions) {
    super();
    this.timing = { ...DEFAULT_LEASE_TIMING, ...o.timing };
    this.forbiddenBackoff = new Backoff(this.timing.forbiddenBackoff.initialMs, this.timing.forbiddenBackoff.maxMs);
    this.path = collectionPath(CANARY_REFS.leases, o.namespace);
    this.reflector = canaryWatch(o.conn, 'canary-lease', 'leases', o.namespace, { name: CANARY_NAME }, o.reflector);
    this.reflector.on('change', () => this.onWatch());
    this.reflector.on('state', (e: { state: string; error: string }) => {
      this.emit('source', e);
      if (e.state === 'synced' && !this.synced) {
        this.synced = true;
        this.onWatch();
      }
    });
  }

  get identity(): string {
    return this.o.identity;
  }

  /** The holder as last seen ('' when none). */
  get holder(): string {
    return this.observed?.spec.holderIdentity ?? '';
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  start(): void {
    this.reflector.start();
  }

  /** Stops; a holder releases the Lease (holder cleared) so another replica takes over at once. */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.isLeader && opts.release !== false && this.observed) {
      const now = this.now();
      const spec: LeaseSpec = {
        ...this.observed.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: microTime(now),
        acquireTime: microTime(now),
      };
      await this.write('PUT', spec, this.observed.resourceVersion, 2_000).catch(() => undefined);
    }
    this.setLeader(false);
    await this.reflector.stop();
  }

  /** Give the role up now (e.g. the EndpointSlice write was forbidden) and stay away for the forbidden backoff. */
  relinquish(reason: string): void {
    this.enterForbidden(reason, 'caller');
    if (this.isLeader && this.observed) {
      const now = this.now();
      const spec: LeaseSpec = { ...this.observed.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now) };
      void this.write('PUT', spec, this.observed.resourceVersion, 2_000).catch(() => undefined);
    }
    this.setLeader(false);
    this.schedule(this.forbiddenUntil - this.now());
  }

  private onWatch(): void {
    if (!this.synced) return;
    const obj = this.reflector.values()[0];
    this.observe(obj);
    if (this.isLeader && this.observed && this.observed.spec.holderIdentity !== this.o.identity) this.setLeader(false);
    this.kick();
  }

  /** Takes in a Lease read from the watch or a write response. */
  private observe(obj: unknown): void {
    if (!obj) {
      this.observed = undefined;
      return;
    }
    const rv = resourceVersionOf(obj) ?? '';
    if (this.observed && this.observed.resourceVersion === rv) return;
    const spec = leaseSpecOf(obj);
    // A record that did not change (same holder and renewTime) keeps its observation time, as in client-go.
    const same =
      this.observed && this.observed.spec.holderIdentity === spec.holderIdentity && this.observed.spec.renewTime === spec.renewTime;
    this.observed = { spec, resourceVersion: rv, observedAt: same ? this.observed!.observedAt : this.now() };
  }

  private setLeader(on: boolean): void {
    if (this.isLeader === on) return;
    this.isLeader = on;
    this.emit('leader', on);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(0, ms));
    this.timer.unref();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.tick()
      .catch(() => undefined)
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async tick(): Promise<void> {
    if (!this.synced || this.stopped) return;
    const now = this.now();
    if (this.forbidden && now < this.forbiddenUntil) return this.schedule(this.forbiddenUntil - now);
    if (this.isLeader && now - this.lastRenewAt < this.timing.renewPeriodMs) {
      return this.schedule(this.lastRenewAt + this.timing.renewPeriodMs - now);
    }
    const action = decideLease(this.observed, this.o.identity, now, this.timing);
    if (action.kind === 'wait') {
      // the holder's record must stay unchanged for the whole lease before we may take over
      return this.schedule(action.untilMs - now + 10);
    }
    if (action.kind === 'create' && this.o.mayCreate && !this.o.mayCreate()) return this.schedule(1000);
    try {
      const res =
        action.kind === 'create' ? await this.write('POST', action.spec) : await this.write('PUT', action.spec, action.resourceVersion);
      this.observe(res);
      this.lastRenewAt = now;
      this.writesAllowed();
      if (this.stopped) return;
      this.setLeader(true);
      this.schedule(this.timing.renewPeriodMs);
    } catch (err) {
      const reason = writeErrorReason(err);
      this.emit('writeError', reason);
      if (reason === 'forbidden') {
        this.enterForbidden(describeError(err), 'lease');
        this.setLeader(false);
        return this.schedule(this.forbiddenUntil - this.now());
      }
      if (reason === 'conflict' || reason === 'not_found') {
        // Someone else wrote (or deleted) the Lease since we read it: the watch brings the new
        // record (no GET: reads of the Lease are its watch only). A holder stops writing at once and
        // renews again only if the record it then sees is still its own.
        this.setLeader(false);
        if (reason === 'not_found') this.observed = undefined;
      }
      if (this.isLeader && this.now() - this.lastRenewAt > this.timing.renewDeadlineMs) this.setLeader(false);
      this.schedule(this.timing.retryPeriodMs);
    }
  }

  private enterForbidden(reason: string, by: 'lease' | 'caller'): void {
    this.forbiddenUntil = this.now() + this.forbiddenBackoff.next();
    this.forbiddenBy = by;
    if (!this.forbidden) {
      this.forbidden = true;
      this.emit('forbidden', reason);
    }
  }

  /** A Lease write went through. That ends a Lease 403 episode, not one the caller reported. */
  private writesAllowed(): void {
    if (this.forbiddenBy === 'caller') return;
    this.confirmWritable();
  }

  /** The caller's own write (the EndpointSlice) went through as holder: the forbidden episode is over. */
  confirmWritable(): void {
    this.forbiddenBackoff.reset();
    this.forbiddenBy = undefined;
    if (this.forbidden) {
      this.forbidden = false;
      this.emit('allowed');
    }
  }

  private write(method: 'POST' | 'PUT', spec: LeaseSpec, resourceVersion?: string, timeoutMs?: number): Promise<unknown> {
    this.stats.writes++;
    const owner = this.o.ownerUid?.();
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: CANARY_NAME,
        namespace: this.o.namespace,
        ...(resourceVersion ? { resourceVersion } : {}),
        ...(owner ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: CANARY_NAME, uid: owner }] } : {}),
      },
      spec,
    };
    return this.o.conn.request(method, method === 'POST' ? this.path : `${this.path}/${CANARY_NAME}`, {
      body,
      timeoutMs: timeoutMs ?? Math.max(1000, this.timing.renewDeadlineMs - this.timing.renewPeriodMs),
    });
  }
}
