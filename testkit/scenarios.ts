// Scenario fixtures: one multi-document YAML file per simulated cluster in ./scenarios/.
// Document 0 is a header (name, description, provenance, installed CRDs and the verdict detection
// must reach, per docs/detection.md); every other document is one Kubernetes object as the API
// server returns it. The demo serves these objects; detection tests run over them.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { PROVIDER_TYPES } from '../src/components/registry.js';
import { CONFIG_CHECKS } from '../src/detect/types.js';

export interface ScenarioExpectation {
  provider: string;
  mode: string;
  version: string;
  flavor: string;
  conflict: boolean;
  issues: string[];
  agents: { ready: number; unready: number; missing: number };
}

export interface Scenario {
  name: string;
  description: string;
  basedOn: string;
  crds: string[];
  expected: ScenarioExpectation;
  objects: Record<string, any>[];
}

export const DEFAULT_SCENARIO = 'cilium-kpr';

/** CRDs a scenario may declare installed; every other custom resource answers 404. */
export const SCENARIO_CRDS = ['installations.operator.tigera.io', 'felixconfigurations.crd.projectcalico.org'] as const;

const count = z.number().int().nonnegative();

const HeaderSchema = z.strictObject({
  scenario: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lower-case letters, digits, "." and "-"'),
  description: z.string().min(1),
  basedOn: z.string().min(1),
  crds: z.array(z.enum(SCENARIO_CRDS)).default([]),
  expected: z.strictObject({
    provider: z.enum(PROVIDER_TYPES),
    mode: z.string(),
    version: z.string(),
    flavor: z.string(),
    conflict: z.boolean(),
    issues: z.array(z.enum(CONFIG_CHECKS)),
    agents: z.strictObject({ ready: count, unready: count, missing: count }),
  }),
});

/** Absolute path of the scenario folder, beside this module (the testkit runs from source only). */
export function scenarioDir(): string {
  return fileURLToPath(new URL('./scenarios/', import.meta.url));
}

/** Scenario names (file names without .yaml), sorted. */
export function listScenarios(): string[] {
  const dir = scenarioDir();
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (err) {
    throw new Error(`cannot read scenario folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return files
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/**
 * Parses one scenario file's text. `file` names it in errors; when `expectedName` is given the
 * header's `scenario` must equal it.
 */
export function parseScenario(text: string, file: string, expectedName?: string): Scenario {
  const docs = YAML.parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  const values: unknown[] = [];
  docs.forEach((doc, i) => {
    if (doc.errors.length) throw new Error(`${file}: document ${i}: ${doc.errors[0]!.message}`);
    values.push(doc.toJS());
  });
  if (values.length === 0 || values[0] == null) throw new Error(`${file}: empty file, expected a header document`);
  const parsed = HeaderSchema.safeParse(values[0]);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : '(header)';
    throw new Error(`${file}: header field "${field}": ${issue.message}`);
  }
  const h = parsed.data;
  if (expectedName !== undefined && h.scenario !== expectedName) {
    throw new Error(`${file}: header field "scenario": is "${h.scenario}", must equal the file name "${expectedName}"`);
  }
  const objects: Record<string, any>[] = [];
  values.slice(1).forEach((v, j) => {
    const i = j + 1;
    if (v == null) return; // a trailing `---`
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file}: document ${i}: not a Kubernetes object`);
    const o = v as Record<string, any>;
    for (const f of ['apiVersion', 'kind'] as const) {
      if (typeof o[f] !== 'string' || !o[f]) throw new Error(`${file}: document ${i}: missing ${f}`);
    }
    if (typeof o.metadata?.name !== 'string' || !o.metadata.name)
      throw new Error(`${file}: document ${i} (${o.kind}): missing metadata.name`);
    objects.push(o);
  });
  return { name: h.scenario, description: h.description, basedOn: h.basedOn, crds: [...h.crds], expected: h.expected, objects };
}

/** Loads a scenario by name. Throws for an unknown name, listing the valid ones. */
export function loadScenario(name: string): Scenario {
  const names = listScenarios();
  if (!names.includes(name)) throw new Error(`unknown scenario "${name}"; valid: ${names.join(', ')}`);
  const file = join(scenarioDir(), `${name}.yaml`);
  return parseScenario(readFileSync(file, 'utf8'), file, name);
}
