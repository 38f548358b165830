// The /metrics body, each family formatted again only when it changed. prom-client formats every
// sample on every scrape; at 46 probe targets that is ~1,500 samples and ~1 MB of garbage a scrape,
// and the garbage (not the formatting) put the 5,000-node /metrics p99 over 20 ms
// (docs/benchmarks.md). The probe families change once per round and the state families when a
// verdict, a probe round or agent health is published; the process metrics change on every scrape
// and are always formatted afresh.
import type { Registry } from 'prom-client';

/**
 * What a family's text depends on: equal tokens mean equal text. `undefined`: always format it
 * (prom-client's default metrics, whose values change on every read).
 */
export type RevisionOf = (family: string) => string | number | undefined;

export class Exposition {
  private readonly cache = new Map<string, { revision: string | number; text: string }>();

  constructor(
    readonly registry: Registry,
    private readonly revisionOf: RevisionOf,
  ) {}

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The same text as `registry.metrics()` (Prometheus text format). */
  async render(): Promise<string> {
    const parts: string[] = [];
    for (const metric of this.registry.getMetricsAsArray()) {
      const name = (metric as unknown as { name: string }).name;
      const revision = this.revisionOf(name);
      if (revision === undefined) {
        parts.push(await this.registry.getSingleMetricAsString(name));
        continue;
      }
      const hit = this.cache.get(name);
      if (hit && hit.revision === revision) {
        parts.push(hit.text);
        continue;
      }
      const text = await this.registry.getSingleMetricAsString(name);
      this.cache.set(name, { revision, text });
      parts.push(text);
    }
    return `${parts.join('\n\n')}\n`;
  }
}

/** A cheap token of a state family's samples: label values and values in order. */
export function samplesToken(samples: readonly { labels: Record<string, string>; value: number }[]): string {
  let out = '';
  for (const s of samples) {
    for (const k in s.labels) out += `${k}\u0001${s.labels[k]}\u0001`;
    out += `${s.value}\u0002`;
  }
  return out;
}
