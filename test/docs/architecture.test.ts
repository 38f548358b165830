// docs/architecture.md is where a newcomer finds every imitation of a cluster: keep its table in
// step with the folders under testkit/.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';

const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');

it('docs/architecture.md names every folder of testkit/, and none that does not exist', () => {
  const folders = readdirSync(new URL('../../testkit/', import.meta.url), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const rows = [...doc.matchAll(/^\| `testkit\/([a-z-]+)\/`/gm)].map((m) => m[1]).sort();
  assert.deepEqual(rows, folders);
});
