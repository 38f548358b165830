// Injected failures: error statuses and slow responses for requests matching a pattern, either
// until cleared or for the next N matching requests.

export type Verb = 'list' | 'watch' | 'get' | 'create' | 'update' | 'patch' | 'delete';

/** The verbs that change objects: `faults.set({ verb: WRITE_VERBS }, { status: 403 })` forbids writes while reads work. */
export const WRITE_VERBS: readonly Verb[] = ['create', 'update', 'patch', 'delete'];

export interface FaultMatch {
  /** plural resource name ("pods") */
  resource?: string;
  /** one verb, or any of several */
  verb?: Verb | readonly Verb[];
  namespace?: string;
  name?: string;
}

export type Fault = { status: number; message?: string; reason?: string } | { delayMs: number };

export interface FaultTarget {
  resource: string;
  verb: Verb;
  namespace?: string;
  name?: string;
}

interface Entry {
  match: FaultMatch;
  fault: Fault;
  /** remaining uses; Infinity for persistent faults */
  remaining: number;
}

function matches(m: FaultMatch, t: FaultTarget): boolean {
  return (
    (m.resource === undefined || m.resource === t.resource) &&
    (m.verb === undefined || (typeof m.verb === 'string' ? m.verb === t.verb : m.verb.includes(t.verb))) &&
    (m.namespace === undefined || m.namespace === t.namespace) &&
    (m.name === undefined || m.name === t.name)
  );
}

export interface FaultDecision {
  delayMs: number;
  error?: { status: number; message?: string; reason?: string };
}

export class Faults {
  private entries: Entry[] = [];

  /** Apply `fault` to every matching request until clear(). */
  set(match: FaultMatch, fault: Fault): void {
    this.entries.push({ match, fault, remaining: Infinity });
  }

  /** Apply `fault` to the next `count` matching requests. */
  once(match: FaultMatch, fault: Fault, count = 1): void {
    if (count > 0) this.entries.push({ match, fault, remaining: count });
  }

  clear(): void {
    this.entries = [];
  }

  /**
   * What happens to a request: the longest matching delay, and the first matching error status
   * (one-shot faults first, since they are the more specific intent). Consumes one-shot uses.
   */
  decide(target: FaultTarget): FaultDecision {
    const hits = this.entries.filter((e) => matches(e.match, target));
    let delayMs = 0;
    const errors: Entry[] = [];
    for (const e of hits) {
      if ('delayMs' in e.fault) {
        delayMs = Math.max(delayMs, e.fault.delayMs);
        e.remaining--;
      } else {
        errors.push(e);
      }
    }
    const chosen = errors.find((e) => e.remaining !== Infinity) ?? errors[0];
    if (chosen) chosen.remaining--;
    this.entries = this.entries.filter((e) => e.remaining > 0);
    const error = chosen && 'status' in chosen.fault ? chosen.fault : undefined;
    return { delayMs, ...(error ? { error } : {}) };
  }
}
