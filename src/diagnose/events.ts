// Warning events of pods, slimmed: diagnose shows the recent ones of the service proxy's agents
// (docs/runbooks/KubeProxyDown.md) from the cached watch, so /diagnose costs the API server nothing per request.
import type { SlimEvent } from '../cluster/slim.js';

export { MESSAGE_MAX, slimEvent, type SlimEvent } from '../cluster/slim.js';

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
