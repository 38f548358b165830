// One provider = one folder + one registry row (docs/architecture.md "Adding a service proxy"):
// what identifies a service proxy in a cluster (its DaemonSets, agent labels, containers and
// ConfigMaps) is written down in src/components/<name>/ only; everything else reaches it through
// the registry. This test fails when such a name appears in code outside the component's folder,
// as the layer test fails on an import that runs upward.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMPONENTS, PROVIDER_TYPES } from '../../src/components/registry.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** The code of a module without its comments (a comment may name anything). */
export function codeOf(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** A component's identifying names; its own name and provider type are the registry's keys, usable anywhere. */
export function knowledgeOf(c: (typeof COMPONENTS)[number]): string[] {
  const keys = new Set<string>([...COMPONENTS.map((x) => x.name), ...PROVIDER_TYPES]);
  const names = [
    ...c.daemonSets,
    ...(c.reads.configMaps ?? []),
    ...c.containers,
    ...c.reads.pods.flatMap((p) => Object.values(p.labels)),
  ].filter((n) => !keys.has(n));
  const selectors = c.reads.pods.flatMap((p) => Object.entries(p.labels).map(([k, v]) => `${k}=${v}`));
  return [...new Set([...names, ...selectors])];
}

function mentions(code: string, token: string): boolean {
  const esc = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9._/-])${esc}($|[^A-Za-z0-9_/-])`).test(code);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

test('the knowledge scanner skips comments and matches whole names only', () => {
  const code = codeOf("// ds/calico-node\nconst a = 'calico-node-x'; /* calico-node */ const b = `ds/${'calico-node'}`;");
  assert.equal(mentions(code, 'calico-node'), true);
  assert.equal(mentions(codeOf("const a = 'calico-node-x'; // calico-node"), 'calico-node'), false);
});

test("a service proxy's DaemonSets, labels, containers and ConfigMaps are named in its own folder only", () => {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const rel = path.relative(SRC, file).split(path.sep).join('/');
    const code = codeOf(readFileSync(file, 'utf8'));
    for (const c of COMPONENTS) {
      const home = `components/${c.name}/`;
      if (rel.startsWith(home)) continue;
      for (const token of knowledgeOf(c)) if (mentions(code, token)) violations.push(`src/${rel} names ${c.name}'s "${token}"`);
    }
  }
  assert.deepEqual(violations, []);
});
