// The /metrics exposition of the real exporter against one scenario fixture, made comparable: the
// process_* and nodejs_* families (they measure this process) are dropped and build_info's labels are
// fixed. Probes are off (a fixture's ClusterIPs lead nowhere), so this is what detection exports.
// Golden copies live in testkit/scenarios/golden/<scenario>.prom (`npm run generate:golden`).
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../testkit/scenarios.js';
import { crdResource, loadInto } from '../../testkit/demo/cluster.js';
import { startHarness } from '../helpers/exporter.js';

export const GOLDEN_DIR = fileURLToPath(new URL('../../testkit/scenarios/golden/', import.meta.url));

/** Families that describe this process, not the cluster. */
const VOLATILE = /^(# (HELP|TYPE) )?(process_|nodejs_)/;

export function normalize(text: string): string {
  return (
    text
      .split('\n')
      .filter((l) => l !== '' && !VOLATILE.test(l))
      .map((l) =>
        l.startsWith('service_proxy_exporter_build_info{')
          ? 'service_proxy_exporter_build_info{version="VERSION",revision="REVISION",nodejs_version="NODE"} 1'
          : l,
      )
      .join('\n') + '\n'
  );
}

export async function scenarioExposition(name: string): Promise<string> {
  const s = loadScenario(name);
  const h = await startHarness({
    beforeStart: (api) => {
      for (const crd of s.crds) api.store.install(crdResource(crd));
      loadInto(api, s.objects);
    },
  });
  try {
    await h.ready();
    // readiness does not wait for optional sources (Services, events, CRDs): the exposition does
    const sources = h.running.exporter.sources;
    const settled = () => Object.values(sources.states()).every((st) => st === 'synced' || st === 'absent');
    if (!(await sources.until(settled, 15_000))) throw new Error(`sources not settled: ${JSON.stringify(sources.states())}`);
    // the verdict the fixture expects, in full: an earlier one (some sources not yet read) may name the
    // provider already but not its mode or issues
    const e = s.expected;
    const issues = [...e.issues].sort().join(',');
    await h.verdict(
      (v) =>
        v.provider === e.provider &&
        v.mode === e.mode &&
        v.flavor === e.flavor &&
        v.version === e.version &&
        v.conflict === e.conflict &&
        Object.entries(v.issues)
          .filter(([, on]) => on)
          .map(([c]) => c)
          .sort()
          .join(',') === issues &&
        JSON.stringify(v.agents) === JSON.stringify(e.agents),
      `the verdict ${name} expects`,
    );
    // one agent health round on that verdict: wait out a round started on an earlier snapshot, then run one
    await h.running.agentHealth?.runNow();
    await h.running.agentHealth?.runNow();
    return normalize(await h.scrape());
  } finally {
    await h.close();
  }
}
