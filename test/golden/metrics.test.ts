// node_exporter-style end-to-end output check: for every scenario fixture, the exporter's /metrics
// (detection families, see exposition.ts) must equal the golden copy beside the fixtures. A change
// in what is exported shows up here as a diff; `npm run generate:golden` writes the new copies.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listScenarios } from '../../testkit/scenarios.js';
import { GOLDEN_DIR, scenarioExposition } from './exposition.js';

describe('golden /metrics per scenario', () => {
  for (const name of listScenarios()) {
    it(`${name}: /metrics equals testkit/scenarios/golden/${name}.prom`, async () => {
      const file = join(GOLDEN_DIR, `${name}.prom`);
      assert.ok(existsSync(file), `no golden copy for ${name}: run npm run generate:golden`);
      assert.equal(
        await scenarioExposition(name),
        readFileSync(file, 'utf8'),
        'exposition changed: review it, then npm run generate:golden',
      );
    });
  }
});
