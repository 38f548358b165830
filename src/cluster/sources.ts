// A set of reflectors started and stopped together, with their states, change notifications
// coalesced into one, and the detection snapshot assembled from what they hold.
import { EventEmitter } from 'node:events';
import type { ApiConnection } from './connection.js';
import { Reflector, type ReflectorOptions, type ReflectorSpec } from './reflector.js';
import type { SourceSpec } from './catalog.js';
import { buildSnapshot } from './snapshot.js';
import type { ClusterSnapshot, SourceState } from './types.js';
import type { Logger } from '../log.js';

export interface SourceStatus {
  state: SourceState;
  /** when it entered this state (ms since epoch) */
  since: number;
  /** it has reached synced or absent at least once */
  everSynced: boolean;
  error: string;
}

const SETTLED: SourceState[] = ['synced', 'absent'];

/**
 * The source registry as a pipeline sees it (src/app/wire.ts): each pipeline declares the sources it
 * reads up front, reads their objects, and is re-run only when one of them changes.
 */
export interface SourceRegistry {
  /** Declare a source before start(); a name declared twice is one source (the first spec wins). */
  declare(spec: ReflectorSpec): void;
  /** Swap a declared source for another spec (e.g. a new label selector); it lists afresh. */
  replace(spec: ReflectorSpec): Promise<unknown>;
  values<T>(name: string): T[];
  statuses(): Record<string, SourceStatus>;
  /** `fn` runs (coalesced) whenever the objects or the state of one of `names` changed. */
  onChange(names: readonly string[], fn: () => void): void;
}

export class SourceGroup extends EventEmitter implements SourceRegistry {
  readonly reflectors = new Map<string, Reflector>();
  private readonly status = new Map<string, SourceStatus>();
  private pending?: NodeJS.Timeout;
  /** sources changed since the last coalesced `change` event */
  private dirty = new Set<string>();

  constructor(
    private readonly conn: ApiConnection,
    private readonly log: Logger,
    private readonly opts: { reflector?: ReflectorOptions; coalesceMs?: number; now?: () => number } = {},
  ) {
    super();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  declare(spec: ReflectorSpec): void {
    if (!this.reflectors.has(spec.name)) this.add(spec);
  }

  onChange(names: readonly string[], fn: () => void): void {
    const mine = new Set(names);
    this.on('change', (changed: ReadonlySet<string>) => {
      for (const n of changed) {
        if (mine.has(n)) return fn();
      }
    });
  }

  add(spec: ReflectorSpec): Reflector {
    const r = new Reflector(this.conn, spec, this.opts.reflector);
    this.reflectors.set(spec.name, r);
    this.status.set(spec.name, { state: 'pending', since: this.now(), everSynced: false, error: '' });
    r.on('change', () => this.changed(spec.name));
    r.on('state', (e: { previous: SourceState; state: SourceState; error: string }) => this.stateChanged(spec.name, e));
    r.on('degraded', (why: string) => this.log.warn('watch not supported; polling instead', { source: spec.name, detail: why }));
    return r;
  }

  /**
   * Swap a source for one with another spec (e.g. a new label selector): the new one lists afresh.
   * Replacements run one after another, so two quick ones cannot leave an orphan reflector running
   * outside the map (it would never be stopped and would hold the process open at shutdown); once
   * the group is stopped, a replacement is not started.
   */
  replace(spec: ReflectorSpec): Promise<Reflector> {
    const next = this.replacing.then(() => this.swap(spec));
    this.replacing = next.catch(() => undefined);
    return next;
  }

  private replacing: Promise<unknown> = Promise.resolve();
  private stopped = false;

  private async swap(spec: ReflectorSpec): Promise<Reflector> {
    const old = this.reflectors.get(spec.name);
    if (old) {
      old.removeAllListeners();
      await old.stop();
    }
    const r = this.add(spec);
    if (this.started && !this.stopped) r.start();
    return r;
  }

  private started = false;

  private stateChanged(name: string, e: { previous: SourceState; state: SourceState; error: string }): void {
    const st = this.status.get(name)!;
    const everSynced = st.everSynced || SETTLED.includes(e.state);
    this.status.set(name, { state: e.state, since: this.now(), everSynced, error: e.error });
    // One line per transition: lost, regained, forbidden, absent.
    if (e.state === 'synced') {
      this.log.info(e.previous === 'pending' ? 'source synced' : 'source regained', { source: name });
    } else if (e.state === 'absent') {
      this.log.info('source absent (resource not installed)', { source: name });
    } else if (e.state === 'forbidden') {
      this.log.warn('source forbidden: check the ClusterRole', { source: name, error: e.error });
    } else if (e.state === 'error') {
      this.log.warn('source lost', { source: name, error: e.error });
    }
    this.emit('state', name, e.state);
    this.changed(name);
  }

  /** Coalesced: one `change` event (with the names of the sources that changed) per window. */
  private changed(name: string): void {
    if (this.stopped) return;
    this.dirty.add(name);
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      const changed = this.dirty;
      this.dirty = new Set();
      this.emit('change', changed);
    }, this.opts.coalesceMs ?? 50);
  }

  start(): void {
    this.started = true;
    for (const r of this.reflectors.values()) r.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pending) clearTimeout(this.pending);
    // a replacement in flight ends first (and, stopped, does not start its reflector)
    await this.replacing;
    await Promise.all([...this.reflectors.values()].map((r) => r.stop()));
  }

  /**
   * Resolves true as soon as `pred` holds — checked now and on every source state change — or
   * false once `timeoutMs` has passed. Event-driven: nothing polls.
   */
  until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (pred()) return resolve(true);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.off('state', check);
        resolve(ok);
      };
      const check = () => {
        if (pred()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.on('state', check);
    });
  }

  statuses(): Record<string, SourceStatus> {
    return Object.fromEntries(this.status);
  }

  states(): Record<string, SourceState> {
    return Object.fromEntries([...this.status].map(([k, v]) => [k, v.state]));
  }

  values<T>(name: string): T[] {
    return (this.reflectors.get(name)?.values() ?? []) as T[];
  }

  /** Names of sources that have not yet settled (synced, absent, or forbidden on an optional one). */
  unsettled(optional: (name: string) => boolean): string[] {
    return [...this.status].filter(([name, s]) => !(s.everSynced || (s.state === 'forbidden' && optional(name)))).map(([name]) => name);
  }
}

/**
 * The detection snapshot from the detection sources. A required source that failed less than
 * `graceMs` ago is reported as synced with the data it last had, so a brief API outage does not
 * turn the verdict into `unknown`; after that, its real state shows and detection says unknown.
 */
export function assembleSnapshot(
  group: SourceGroup,
  specs: SourceSpec[],
  opts: { nodeName?: string; graceMs: number; now: number },
): ClusterSnapshot {
  const statuses = group.statuses();
  return buildSnapshot(
    specs,
    (spec) => {
      const st = statuses[spec.name];
      let state: SourceState = st?.state ?? 'pending';
      if (st && st.everSynced && (state === 'error' || state === 'forbidden') && opts.now - st.since < opts.graceMs) state = 'synced';
      return { state, items: group.values(spec.name) };
    },
    opts.nodeName,
  );
}

/** When the next grace period among failing sources runs out, if any (ms since epoch). */
export function nextGraceExpiry(group: SourceGroup, graceMs: number): number | undefined {
  let next: number | undefined;
  for (const st of Object.values(group.statuses())) {
    if (st.everSynced && (st.state === 'error' || st.state === 'forbidden')) {
      const t = st.since + graceMs;
      if (next === undefined || t < next) next = t;
    }
  }
  return next;
}
