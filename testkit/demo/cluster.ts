// A simulated cluster: the project's fake API server loaded with a scenario, and a kubeconfig
// pointing at it. Used by `demo`, the end-to-end tests and the benchmarks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeApiServer, writeKubeconfig, type FakeApiServer, type FakeApiServerOptions } from '../apiserver/index.js';
import { loadScenario, type Scenario } from '../scenarios.js';

export interface SimulatedCluster {
  api: FakeApiServer;
  scenario: Scenario;
  kubeconfigPath: string;
  close(): Promise<void>;
}

/** "installations.operator.tigera.io" → "installations" (the store resolves plural names). */
export function crdResource(crd: string): string {
  return crd.split('.')[0] ?? crd;
}

/** Objects of kinds the fake API server serves (fixtures may carry others for realism). */
export function loadInto(api: FakeApiServer, objects: readonly Record<string, any>[]): void {
  for (const o of objects) {
    try {
      api.store.registry.forObject(String(o.apiVersion), String(o.kind));
    } catch {
      continue;
    }
    api.store.apply(o as never);
  }
}

export async function startSimulatedCluster(scenarioName: string, opts: FakeApiServerOptions = {}): Promise<SimulatedCluster> {
  const scenario = loadScenario(scenarioName);
  const api = await startFakeApiServer(opts);
  for (const crd of scenario.crds) api.store.install(crdResource(crd));
  loadInto(api, scenario.objects);
  const dir = mkdtempSync(join(tmpdir(), 'spx-sim-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeKubeconfig(api.url, kubeconfigPath);
  return {
    api,
    scenario,
    kubeconfigPath,
    close: async () => {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
