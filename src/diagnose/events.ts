// Warning events of pods, slimmed: diagnose shows the recent ones of the service proxy's agents
// (seed 002 step 2) from the cached watch, so /diagnose costs the API server nothing per request.
export interface SlimEvent {
  namespace: string;
  /** involvedObject.name */
  pod: string;
  reason: string;
  /** truncated to MESSAGE_MAX characters */
  message: string;
  count: number;
  /** ISO time of the last occurrence ('' when the event carries none) */
  lastTimestamp: string;
}

export const MESSAGE_MAX = 240;

type Obj = Record<string, any>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : v == null ? '' : String(v));

/** core/v1 Event → SlimEvent. Newer clients report repeats in `series` and the time in `eventTime`. */
export function slimEvent(raw: unknown): SlimEvent {
  const o = asObj(raw);
  const md = asObj(o.metadata);
  const inv = asObj(o.involvedObject);
  const series = asObj(o.series);
  const message = str(o.message).replace(/\s+/g, ' ').trim();
  const count = typeof series.count === 'number' ? series.count : typeof o.count === 'number' ? o.count : 1;
  return {
    namespace: str(inv.namespace) || str(md.namespace),
    pod: str(inv.name),
    reason: str(o.reason),
    message: message.length > MESSAGE_MAX ? `${message.slice(0, MESSAGE_MAX - 1)}…` : message,
    count,
    lastTimestamp: str(series.lastObservedTime) || str(o.lastTimestamp) || str(o.eventTime) || str(md.creationTimestamp),
  };
}

/** Events of the given pods (namespace/name) seen within `windowMs` of `now`, newest first. */
export function recentEventsOf(events: readonly SlimEvent[], pods: ReadonlySet<string>, now: number, windowMs: number): SlimEvent[] {
  return events
    .filter((e) => pods.has(`${e.namespace}/${e.pod}`))
    .filter((e) => {
      const t = Date.parse(e.lastTimestamp);
      // An event without a time is kept: the API server expires events (1h by default) anyway.
      return Number.isNaN(t) || now - t <= windowMs;
    })
    .sort((a, b) => (b.lastTimestamp > a.lastTimestamp ? 1 : b.lastTimestamp < a.lastTimestamp ? -1 : 0));
}
