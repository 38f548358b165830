// The observer, on every replica (the writer's included): watches the canary EndpointSlice and
// the canary Service by name, and after each change of the slice's target asks the canary VIP
// every poll interval which port it reaches, until it is the new one. The time from the change
// arriving on the watch to that first answer is the programming latency.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiConnection } from '../cluster/connection.js';
import { Reflector, type ReflectorOptions } from '../cluster/reflector.js';
import { CANARY_NAME, CANARY_REFS, serviceAddress, sliceTarget } from './objects.js';
import { askIdentity, type AskResult } from './listeners.js';
import { ProgrammingTracker } from './tracker.js';

/** VIP connection attempts open at once while a change is pending. */
const MAX_IN_FLIGHT = 10;

export interface ObserverOptions {
  conn: ApiConnection;
  namespace: string;
  pollMs: number;
  /** per connection attempt (the probe timeout) */
  timeoutMs: number;
  reflector?: ReflectorOptions;
  now?: () => number;
}

export interface VipAddress {
  clusterIp: string;
  port: number;
  uid?: string;
}

/**
 * Emits `change` (target) for each canary change seen, `programmed` (seconds) when the VIP shows
 * it, `vip` (VipAddress | undefined) when the Service's address changes, `source` ({name, state,
 * error}) when a watch changes state.
 */
export class CanaryObserver extends EventEmitter {
  readonly tracker = new ProgrammingTracker();
  vip: VipAddress | undefined;
  /** the last VIP answer (or failure) while a change was pending */
  lastAnswer: AskResult | undefined;
  /** VIP connection attempts made */
  attempts = 0;
  private readonly slices: Reflector;
  private readonly services: Reflector;
  private listed = false;
  private serviceListed = false;
  private polling?: Promise<void>;
  private readonly stopper = new AbortController();

  constructor(private readonly o: ObserverOptions) {
    super();
    const byName = { namespace: o.namespace, fieldSelector: `metadata.name=${CANARY_NAME}`, slim: (x: unknown) => x };
    this.slices = new Reflector(o.conn, { name: 'canary-endpointslice', ref: CANARY_REFS.endpointslices, ...byName }, o.reflector);
    this.services = new Reflector(o.conn, { name: 'canary-service', ref: CANARY_REFS.services, ...byName }, o.reflector);
    this.slices.on('change', () => this.onSlice());
    this.services.on('change', () => this.onService());
    for (const r of [this.slices, this.services])
      r.on('state', (e: { state: string; error: string }) => this.emit('source', { name: r.name, ...e }));
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** The canary slice as last seen (whole object), once the first list is in. */
  get slice(): unknown {
    return this.slices.values()[0];
  }

  /** The slice watch has listed at least once (its cache can stand in for a GET). */
  get synced(): boolean {
    return this.listed;
  }

  get pending(): boolean {
    return this.tracker.view.pendingSince !== undefined;
  }

  start(): void {
    this.services.start();
    this.slices.start();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await Promise.all([this.slices.stop(), this.services.stop(), this.polling]);
  }

  private onSlice(): void {
    const target = sliceTarget(this.slice);
    if (!this.listed) {
      // The slice as found at start was set before we looked: whether the data plane shows it is
      // unknown, and it is not a change we saw. The next one is.
      this.listed = true;
      this.tracker.baseline(target);
      return;
    }
    if (this.tracker.change(target, this.now())) {
      this.emit('change', target);
      this.poll();
    }
  }

  private onService(): void {
    const next = serviceAddress(this.services.values()[0]);
    const first = !this.serviceListed;
    this.serviceListed = true;
    const same = next && this.vip && next.clusterIp === this.vip.clusterIp && next.port === this.vip.port && next.uid === this.vip.uid;
    if (same || (!next && !this.vip && !first)) return;
    this.vip = next;
    this.emit('vip', next);
    if (next && this.pending) this.poll();
  }

  private poll(): void {
    this.polling ??= this.pollLoop().finally(() => {
      this.polling = undefined;
      // a change that came in as the loop ended
      if (this.pending && !this.stopper.signal.aborted) this.poll();
    });
  }

  /**
   * One attempt every poll interval, each bounded by the timeout. Attempts overlap when the VIP
   * hangs (a VIP without rules drops the SYN), so a hung attempt never delays the next one; at most
   * MAX_IN_FLIGHT are open at once.
   */
  private async pollLoop(): Promise<void> {
    const signal = this.stopper.signal;
    let inFlight = 0;
    while (!signal.aborted && this.pending) {
      const started = this.now();
      const vip = this.vip;
      if (vip && inFlight < MAX_IN_FLIGHT) {
        inFlight++;
        this.attempts++;
        void askIdentity(vip.clusterIp, vip.port, this.o.timeoutMs, signal).then((r) => {
          inFlight--;
          if (signal.aborted) return;
          this.lastAnswer = r;
          if ('port' in r) {
            const seconds = this.tracker.answer(r.port, this.now());
            if (seconds !== undefined) this.emit('programmed', seconds);
          }
        });
      }
      const wait = started + this.o.pollMs - this.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }
}
