// `npm run generate:golden`: writes testkit/scenarios/golden/<scenario>.prom, the /metrics each scenario
// fixture must produce (test/golden/metrics.test.ts compares them).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listScenarios } from '../testkit/scenarios.js';
import { GOLDEN_DIR, scenarioExposition } from '../test/golden/exposition.js';

mkdirSync(GOLDEN_DIR, { recursive: true });
for (const name of listScenarios()) {
  writeFileSync(join(GOLDEN_DIR, `${name}.prom`), await scenarioExposition(name));
  console.log(`wrote ${name}.prom`);
}
