// The session-affinity canary's objects in the API: every replica watches the affinity Service (by name) and its
// slices (by label; the ClusterRole's EndpointSlice read covers it), and the replica holding the canary Lease keeps
// the slices pointing at its own pod, one per family and canary port. A previous writer's slices (another pod's IP)
// are rewritten whole; the writes carry the resourceVersion read, so a stale writer gets 409.
import { EventEmitter } from 'node:events';
import type { ApiConnection } from '../cluster/connection.js';
import { collectionPath } from '../cluster/catalog.js';
import { describeError } from '../cluster/lister.js';
import type { Reflector, ReflectorOptions } from '../cluster/reflector.js';
import { canaryWatch } from './watch.js';
import {
  AFFINITY_NAME,
  CANARY_REFS,
  affinityService,
  affinitySlice,
  affinitySliceMatches,
  affinitySliceName,
  familyOf,
  resourceVersionOf,
  type AffinityService,
} from './objects.js';
import { writeErrorReason, type WriteErrorReason } from './lease.js';

export interface AffinityOptions {
  conn: ApiConnection;
  namespace: string;
  /** this pod's IPs, one per family */
  podIps: readonly string[];
  ports: readonly [number, number];
  timeoutMs?: number;
  reflector?: ReflectorOptions;
}

/** Emits `source` ({name, state, error}) when a watch changes state, `writeError` (reason, text), `forbidden` (text). */
export class AffinityCanary extends EventEmitter {
  private readonly service: Reflector;
  private readonly slices: Reflector;
  private listed = { service: false, slices: false };
  private active = false;
  private busy?: Promise<void>;
  private readonly path: string;
  readonly stats = { writes: 0 };

  constructor(
    private readonly o: AffinityOptions,
    /** the node this pod runs on, for the endpoints (nftables kube-proxy masquerades hairpin traffic only to its own node's) */
    private readonly nodeName: () => Promise<string | undefined>,
  ) {
    super();
    this.path = collectionPath(CANARY_REFS.endpointslices, o.namespace);
    this.service = canaryWatch(o.conn, 'canary-affinity-service', 'services', o.namespace, { name: AFFINITY_NAME }, o.reflector);
    this.slices = canaryWatch(
      o.conn,
      'canary-affinity-endpointslices',
      'endpointslices',
      o.namespace,
      { labelSelector: `kubernetes.io/service-name=${AFFINITY_NAME}` },
      o.reflector,
    );
    this.service.on('change', () => {
      this.listed.service = true;
      this.reconcile();
    });
    this.slices.on('change', () => {
      this.listed.slices = true;
      this.reconcile();
    });
    for (const r of [this.service, this.slices])
      r.on('state', (e: { state: string; error: string }) => this.emit('source', { name: r.name, ...e }));
  }

  /** The affinity Service as last seen; undefined when missing (or before the first list). */
  get svc(): AffinityService | undefined {
    return affinityService(this.service.values()[0]);
  }

  /** Both watches have listed once. */
  get synced(): boolean {
    return this.listed.service && this.listed.slices;
  }

  /** The affinity slices as last seen. */
  sliceObjects(): unknown[] {
    return this.slices.values();
  }

  start(): void {
    this.service.start();
    this.slices.start();
  }

  async stop(): Promise<void> {
    this.active = false;
    await Promise.all([this.service.stop(), this.slices.stop(), this.busy]);
  }

  /** Write (true) or only watch (false): follows the canary Lease. */
  setActive(on: boolean): void {
    this.active = on;
    if (on) this.reconcile();
  }

  /** While writing: make every slice point at this pod (one write per slice that does not). Serialized. */
  reconcile(): void {
    if (!this.active || !this.synced || !this.svc) return;
    this.busy = (this.busy ?? Promise.resolve()).then(() => this.writeMissing()).catch(() => undefined);
  }

  private async writeMissing(): Promise<void> {
    const svc = this.svc;
    if (!this.active || !svc) return;
    const nodeName = await this.nodeName();
    for (const ip of this.o.podIps) {
      for (const index of [0, 1] as const) {
        if (!this.active) return;
        const name = affinitySliceName(familyOf(ip), index);
        const cur = this.slices.values().find((s) => (s as { metadata?: { name?: string } }).metadata?.name === name);
        const target = { address: ip, port: this.o.ports[index] };
        if (cur && affinitySliceMatches(cur, target, svc.uid, nodeName)) continue;
        const body = affinitySlice(this.o.namespace, name, target, svc.uid, nodeName, resourceVersionOf(cur));
        this.stats.writes++;
        try {
          if (cur) await this.o.conn.request('PUT', `${this.path}/${name}`, { body, timeoutMs: this.o.timeoutMs ?? 10_000 });
          else await this.o.conn.request('POST', this.path, { body, timeoutMs: this.o.timeoutMs ?? 10_000 });
        } catch (err) {
          const reason: WriteErrorReason = writeErrorReason(err);
          this.emit('writeError', reason, describeError(err));
          // the next watch event (the 409's newer object, or a slice that now exists) or check round tries again
          if (reason === 'forbidden') this.emit('forbidden', describeError(err));
          return;
        }
      }
    }
  }
}
