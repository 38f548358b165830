// Every simulated-cluster scenario, end to end through the same snapshot building as live sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listScenarios, loadScenario } from '../../testkit/scenarios.js';
import { snapshotFromObjects } from '../../testkit/objects/snapshot.js';
import { detect } from '../../src/components/decide.js';
import type { ConfigCheck } from '../../src/detect/index.js';

const names = listScenarios();

test('there are scenarios to check', () => {
  assert.ok(names.length > 0);
});

for (const name of names) {
  test(`scenario ${name}`, () => {
    const s = loadScenario(name);
    const v = detect(snapshotFromObjects(s.objects, { installedCrds: s.crds }));
    const failing = (Object.keys(v.issues) as ConfigCheck[]).filter((c) => v.issues[c]).sort();
    const why = `\n${v.reasons.join('\n')}`;
    assert.deepEqual(
      { provider: v.provider, mode: v.mode, version: v.version, flavor: v.flavor, conflict: v.conflict, issues: failing, agents: v.agents },
      {
        provider: s.expected.provider,
        mode: s.expected.mode,
        version: s.expected.version,
        flavor: s.expected.flavor,
        conflict: s.expected.conflict,
        issues: [...s.expected.issues].sort(),
        agents: s.expected.agents,
      },
      why,
    );
  });
}
