// The README is the contract users read: keep it in step with what the code exports and accepts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FAMILIES } from '../../src/metrics/families.js';
import { OPTIONS } from '../../src/config/options.js';
import { PROVIDER_TYPES } from '../../src/components/registry.js';
import { CONFIG_CHECKS } from '../../src/detect/types.js';
import { FAILURE_REASONS } from '../../src/probe/types.js';
import { listScenarios } from '../../testkit/scenarios.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const metricRows = new Set([...readme.matchAll(/^\| `([a-z_]+)` \| (?:gauge|counter|histogram)/gm)].map((m) => m[1]));

describe('README', () => {
  it('lists every exported metric family, and none that is not exported', () => {
    assert.deepEqual([...metricRows].sort(), FAMILIES.map((f) => f.name).sort());
  });

  it('names every provider type, config check and failure reason', () => {
    for (const v of [...PROVIDER_TYPES, ...CONFIG_CHECKS, ...FAILURE_REASONS]) assert.ok(readme.includes(`\`${v}\``), `${v} missing`);
  });

  it('documents every flag', () => {
    for (const o of OPTIONS) if ('flag' in o && o.flag) assert.ok(readme.includes(`\`--${o.flag}`), `--${o.flag} missing`);
  });

  it('gives the two set-up commands and lists the demo scenarios', () => {
    assert.ok(readme.includes('npm ci && npm run demo'));
    assert.ok(readme.includes('npm ci && npm test'));
    for (const s of listScenarios()) assert.ok(readme.includes(`\`${s}\``), `scenario ${s} missing`);
  });

  it('.ci/run runs the README test command', () => {
    const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
    // directly, or through the containment check that counts packets leaving the suite's namespace
    assert.match(ci, /^(bash scripts\/check-containment\.sh )?npm test$/m);
  });
});
