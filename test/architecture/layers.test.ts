// Imports run downward only. Every module under src/ belongs to a layer; a module may import from
// its own layer or a lower one, never from a higher one (type-only imports count too: a type is a
// dependency a reader has to follow). The order, lowest first:
//
//   foundation   log.ts, config/          logging and settings
//   cluster      cluster/                  Kubernetes plumbing: resources, reflectors, slimming, snapshots
//   detection    detect/                   the generic detection machinery: lookups, image and flag parsing, verdict types
//   components   components/               one folder per service proxy, the registry, and the driver (decide.ts)
//   probe        probe/, agenthealth/,     the data-path probes; asking the agents' own health endpoints;
//                healthcheck/              the health-check node ports of Local LoadBalancer Services
//   state        state/                    the application state the pipelines publish (neutral types)
//   diagnose     diagnose/                 the runbook checks and the report
//   metrics      metrics/                  metric families computed from the state
//   canary       canary/                   the service-programming canary pipeline (Lease, writer, observer)
//   http         http/                     server and status page, reading the state
//   artifacts    artifacts/                alerting rules and dashboards, generated from the family table
//   app          app/                      the composition root (wire.ts) and the pipelines' shell
//   cli          cli/                      the commands
//
// Nothing under src/ imports from outside it: the demo and every imitation of a cluster live in
// testkit/, which may import src/ but is never imported by it (test/architecture/product.test.ts).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

const LAYERS: readonly (readonly string[])[] = [
  ['log.ts', 'config'],
  ['cluster'],
  ['detect'],
  ['components'],
  ['probe', 'agenthealth', 'healthcheck'],
  ['state'],
  ['diagnose'],
  ['metrics'],
  ['canary'],
  ['http'],
  ['artifacts'],
  ['app'],
  ['cli'],
];

function layerOf(rel: string): number {
  const top = rel.split('/')[0]!;
  const i = LAYERS.findIndex((names) => names.includes(top));
  if (i < 0) throw new Error(`src/${rel} is in no layer: add its folder to LAYERS in test/architecture/layers.test.ts`);
  return i;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative module specifiers of static imports, re-exports and dynamic imports. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) out.push(m[1]!);
  return out;
}

test('the import scanner sees static imports, type imports, re-exports and dynamic imports', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b/b.js';",
    "export { c } from './c.js';",
    "const d = await import('./d.js');",
    "import './side-effect.js';",
    "import { parse } from 'yaml';",
  ].join('\n');
  assert.deepEqual(importsOf(text), ['./a.js', '../b/b.js', './c.js', './d.js', './side-effect.js']);
});

test('every layer exists, and src/ modules import only from their own layer or below', () => {
  for (const names of LAYERS) for (const n of names) assert.ok(readdirSync(SRC).includes(n), `src/${n} listed in LAYERS exists`);
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const rel = path.relative(SRC, file).split(path.sep).join('/');
    const from = layerOf(rel);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = path
        .relative(SRC, path.resolve(path.dirname(file), spec))
        .split(path.sep)
        .join('/')
        .replace(/\.js$/, '.ts');
      if (target.startsWith('..')) {
        violations.push(`src/${rel} imports ${spec}, outside src/`);
        continue;
      }
      const to = layerOf(target);
      if (to > from)
        violations.push(`src/${rel} (${LAYERS[from]!.join(', ')}) imports src/${target} (${LAYERS[to]!.join(', ')}), a higher layer`);
    }
  }
  assert.deepEqual(violations, []);
});
