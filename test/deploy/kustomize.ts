// A small kustomize renderer: enough of `kubectl kustomize` to render manifests/ where kubectl is not
// installed (CI), so the deploy tests still validate what `kubectl apply -k manifests/` would apply.
// It supports exactly what the manifests use and throws on anything else, so a new kustomize feature in
// manifests/ fails loudly here instead of rendering something different. When kubectl is available the
// tests check that both renderers give the same objects.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
};

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'components',
  'namespace',
  'labels',
  'commonLabels',
  'patches',
  'images',
]);

/** Kinds that are not namespaced (the namespace transformer leaves them alone). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'StorageClass',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
  'IngressClass',
  'RuntimeClass',
]);

const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job']);

interface LabelsEntry {
  pairs: Record<string, string>;
  includeSelectors?: boolean;
  includeTemplates?: boolean;
}

interface PatchEntry {
  path?: string;
  patch?: string;
  target?: { group?: string; version?: string; kind?: string; name?: string; namespace?: string };
}

interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

interface Kustomization {
  kind?: string;
  resources?: string[];
  /** kustomize Components (kind: Component): applied in order to what the resources rendered */
  components?: string[];
  namespace?: string;
  labels?: LabelsEntry[];
  commonLabels?: Record<string, string>;
  patches?: PatchEntry[];
  images?: ImageEntry[];
}

type Json = any;

function isObj(v: unknown): v is Record<string, Json> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

export function findKustomizationFile(dir: string): string {
  for (const f of KUSTOMIZATION_FILES) {
    const p = path.join(dir, f);
    if (existsSync(p)) return p;
  }
  throw new Error(`no kustomization file in ${dir}`);
}

/** All YAML documents of a file, skipping empty ones. Throws on YAML errors. */
export function parseYamlDocs(text: string, where: string): Json[] {
  const out: Json[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0]!.message}`);
    const v = doc.toJS();
    if (v != null) out.push(v);
  }
  return out;
}

function readKustomization(dir: string): Kustomization {
  const file = findKustomizationFile(dir);
  const docs = parseYamlDocs(readFileSync(file, 'utf8'), file);
  if (docs.length !== 1 || !isObj(docs[0])) throw new Error(`${file}: expected one YAML mapping`);
  const k = docs[0];
  for (const key of Object.keys(k)) {
    if (!SUPPORTED_FIELDS.has(key)) throw new Error(`${file}: kustomization field '${key}' is not supported by test/deploy/kustomize.ts`);
  }
  return k as Kustomization;
}

/** The root the loader may read from: like kustomize's LoadRestrictionsRootOnly. */
function assertWithin(root: string, p: string, what: string): void {
  const rel = path.relative(root, p);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${what}: '${p}' is outside the kustomization root '${root}'`);
}

function objKey(o: K8sObject): string {
  return `${groupOf(o.apiVersion)}|${o.kind}|${o.metadata?.namespace ?? ''}|${o.metadata?.name}`;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

function checkObject(o: Json, where: string): K8sObject {
  if (
    !isObj(o) ||
    typeof o.apiVersion !== 'string' ||
    typeof o.kind !== 'string' ||
    !isObj(o.metadata) ||
    typeof o.metadata.name !== 'string'
  ) {
    throw new Error(`${where}: not a Kubernetes object with apiVersion, kind and metadata.name`);
  }
  return o as K8sObject;
}

/** Render a kustomization directory, like `kubectl kustomize DIR` (object order not guaranteed). */
export function renderKustomization(dir: string, visited: string[] = []): K8sObject[] {
  const root = path.resolve(dir);
  const k = load(root, visited);
  if (k.kind === 'Component') throw new Error(`${root}: a Component cannot be rendered on its own; list it under components:`);
  return build(root, k, [], visited);
}

function load(root: string, visited: string[]): Kustomization {
  for (const v of visited) {
    // kustomize refuses to load a directory that contains one it is already loading from
    if (v === root || v.startsWith(root + path.sep))
      throw new Error(`cycle detected: candidate root '${root}' contains visited root '${v}'`);
  }
  return readKustomization(root);
}

/**
 * As kustomize builds a kustomization or a Component: its resources are added to `input` (a Component's
 * input is what its parent has rendered so far), then its components run in order, then its own
 * transformers apply to all of it.
 */
function build(root: string, k: Kustomization, input: K8sObject[], visited: string[]): K8sObject[] {
  let objects: K8sObject[] = [...input];
  const seen = new Set<string>(input.map(objKey));
  for (const res of k.resources ?? []) {
    const p = path.resolve(root, res);
    if (!existsSync(p)) throw new Error(`${root}: resource '${res}' does not exist`);
    let loaded: K8sObject[];
    if (statSync(p).isDirectory()) {
      loaded = renderKustomization(p, [...visited, root]);
    } else {
      assertWithin(root, p, `${root}: resource`);
      loaded = parseYamlDocs(readFileSync(p, 'utf8'), p).map((o) => checkObject(o, p));
    }
    for (const o of loaded) {
      const key = objKey(o);
      if (seen.has(key)) throw new Error(`${root}: duplicate object ${key}`);
      seen.add(key);
      objects.push(o);
    }
  }

  for (const c of k.components ?? []) {
    const p = path.resolve(root, c);
    if (!existsSync(p) || !statSync(p).isDirectory()) throw new Error(`${root}: component '${c}' is not a directory`);
    const ck = load(p, [...visited, root]);
    if (ck.kind !== 'Component') throw new Error(`${p}: listed under components: but its kind is not Component`);
    objects = build(p, ck, objects, [...visited, root]);
  }

  for (const entry of k.patches ?? []) objects = applyPatchEntry(root, objects, entry);
  if (k.namespace) setNamespace(objects, k.namespace);
  const labelEntries: LabelsEntry[] = [...(k.labels ?? [])];
  if (k.commonLabels) labelEntries.push({ pairs: k.commonLabels, includeSelectors: true });
  for (const entry of labelEntries) for (const o of objects) applyLabels(o, entry);
  for (const img of k.images ?? []) for (const o of objects) applyImage(o, img);
  return objects;
}

function setNamespace(objects: K8sObject[], ns: string): void {
  const serviceAccounts = new Set(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name));
  for (const o of objects) {
    if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = ns;
    if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
      // kustomize's default (setRoleBindingSubjects: defaultOnly): subjects in "default" that name one of
      // this kustomization's ServiceAccounts follow it to the new namespace
      for (const s of (o.subjects as Json[] | undefined) ?? []) {
        if (isObj(s) && s.kind === 'ServiceAccount' && s.namespace === 'default' && serviceAccounts.has(s.name)) s.namespace = ns;
      }
    }
  }
}

function addLabels(parent: Json, key: string, pairs: Record<string, string>): void {
  if (!isObj(parent)) return;
  if (!isObj(parent[key])) parent[key] = {};
  Object.assign(parent[key], pairs);
}

function applyLabels(o: K8sObject, entry: LabelsEntry): void {
  addLabels(o.metadata, 'labels', entry.pairs);
  const spec = o.spec as Json;
  const withSelectors = entry.includeSelectors === true;
  const withTemplates = withSelectors || entry.includeTemplates === true;
  if (!isObj(spec)) return;
  if (WORKLOAD_KINDS.has(o.kind)) {
    if (withTemplates && isObj(spec.template)) {
      if (!isObj(spec.template.metadata)) spec.template.metadata = {};
      addLabels(spec.template.metadata, 'labels', entry.pairs);
    }
    if (withSelectors && o.kind !== 'Job') {
      if (!isObj(spec.selector)) spec.selector = {};
      addLabels(spec.selector, 'matchLabels', entry.pairs);
    }
  }
  if (withSelectors && o.kind === 'Service') addLabels(spec, 'selector', entry.pairs);
  if (withSelectors && o.kind === 'NetworkPolicy') {
    if (!isObj(spec.podSelector)) spec.podSelector = {};
    addLabels(spec.podSelector, 'matchLabels', entry.pairs);
  }
  if (withSelectors && o.kind === 'ServiceMonitor') {
    throw new Error('commonLabels/includeSelectors on a ServiceMonitor is not supported by test/deploy/kustomize.ts');
  }
}

/** Split an image reference into name, tag and digest. */
export function parseImage(ref: string): { name: string; tag?: string; digest?: string } {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

function applyImage(o: Json, img: ImageEntry): void {
  const visit = (node: Json): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!isObj(node)) return;
    for (const [key, val] of Object.entries(node)) {
      if ((key === 'containers' || key === 'initContainers' || key === 'ephemeralContainers') && Array.isArray(val)) {
        for (const c of val) {
          if (!isObj(c) || typeof c.image !== 'string') continue;
          const cur = parseImage(c.image);
          if (cur.name !== img.name) continue;
          const name = img.newName ?? cur.name;
          if (img.digest) c.image = `${name}@${img.digest}`;
          else if (img.newTag) c.image = `${name}:${img.newTag}`;
          else c.image = `${name}${cur.tag ? `:${cur.tag}` : ''}${cur.digest ? `@${cur.digest}` : ''}`;
        }
      }
      visit(val);
    }
  };
  visit(o);
}

function applyPatchEntry(root: string, objects: K8sObject[], entry: PatchEntry): K8sObject[] {
  let text: string;
  let where: string;
  if (entry.path) {
    const p = path.resolve(root, entry.path);
    assertWithin(root, p, `${root}: patch`);
    text = readFileSync(p, 'utf8');
    where = p;
  } else if (typeof entry.patch === 'string') {
    text = entry.patch;
    where = `${root}: inline patch`;
  } else {
    throw new Error(`${root}: a patch needs 'path' or 'patch'`);
  }
  const docs = parseYamlDocs(text, where);
  if (docs.length !== 1) throw new Error(`${where}: expected exactly one patch document`);
  const doc = docs[0];
  if (Array.isArray(doc)) {
    if (!entry.target) throw new Error(`${where}: a JSON6902 patch needs a target`);
    const targets = objects.filter((o) => matchesTarget(o, entry.target!));
    if (targets.length === 0) throw new Error(`${where}: the patch target matches no object`);
    for (const t of targets) applyJson6902(t, doc, where);
    return objects;
  }
  if (!isObj(doc)) throw new Error(`${where}: a patch must be a mapping (strategic merge) or a list (JSON6902)`);
  const targets = entry.target
    ? objects.filter((o) => matchesTarget(o, entry.target!))
    : objects.filter(
        (o) =>
          o.kind === doc.kind &&
          groupOf(o.apiVersion) === groupOf(String(doc.apiVersion ?? '')) &&
          o.metadata.name === doc.metadata?.name &&
          (doc.metadata?.namespace === undefined || (o.metadata.namespace ?? '') === doc.metadata.namespace),
      );
  if (targets.length === 0) throw new Error(`${where}: the patch matches no object`);
  if (doc.$patch === 'delete') return objects.filter((o) => !targets.includes(o));
  if (doc.$patch !== undefined) throw new Error(`${where}: $patch: ${String(doc.$patch)} is not supported`);
  for (const t of targets) {
    const { apiVersion: _a, kind: _k, ...rest } = doc;
    const merged = strategicMerge(t, rest);
    for (const key of Object.keys(t)) delete (t as Json)[key];
    Object.assign(t, merged);
  }
  return objects;
}

/** kustomize matches each selector field as an anchored regular expression (`kind: Deployment|DaemonSet`). */
function matchesTarget(o: K8sObject, t: NonNullable<PatchEntry['target']>): boolean {
  const is = (pattern: string | undefined, value: string) => pattern === undefined || new RegExp(`^(?:${pattern})$`).test(value);
  return (
    is(t.kind, o.kind) &&
    is(t.group, groupOf(o.apiVersion)) &&
    is(t.version, o.apiVersion.split('/').pop()!) &&
    is(t.name, o.metadata.name) &&
    is(t.namespace, o.metadata.namespace ?? '')
  );
}

/**
 * Strategic merge, simplified: maps merge recursively, `null` deletes a key, lists of objects that all
 * have a `name` merge by name (containers, env, ports, volumes, volumeMounts), other lists are replaced.
 */
function strategicMerge(base: Json, patch: Json): Json {
  if (!isObj(base) || !isObj(patch)) return clone(patch);
  const out: Json = clone(base);
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) throw new Error(`strategic merge directive '${k}' is not supported`);
    if (v === null) delete out[k];
    else if (isObj(v) && isObj(out[k])) out[k] = strategicMerge(out[k], v);
    else if (Array.isArray(v) && Array.isArray(out[k]) && isNamedList(v) && isNamedList(out[k])) {
      // as kustomize orders them: the patch's items first (merged into the originals), then the rest
      const original: Json[] = out[k];
      const merged: Json[] = v.map((item) => {
        const orig = original.find((m) => m.name === item.name);
        return orig ? strategicMerge(orig, item) : clone(item);
      });
      for (const orig of original) if (!v.some((item) => item.name === orig.name)) merged.push(clone(orig));
      out[k] = merged;
    } else out[k] = clone(v);
  }
  return out;
}

function isNamedList(v: Json[]): boolean {
  return v.length > 0 && v.every((e) => isObj(e) && typeof e.name === 'string');
}

function pointer(p: string): string[] {
  if (!p.startsWith('/')) throw new Error(`bad JSON pointer '${p}'`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyJson6902(o: Json, ops: Json[], where: string): void {
  for (const op of ops) {
    if (!isObj(op) || typeof op.path !== 'string') throw new Error(`${where}: bad JSON6902 operation`);
    const parts = pointer(op.path);
    const last = parts.pop()!;
    let parent: Json = o;
    for (const p of parts) {
      parent = Array.isArray(parent) ? parent[Number(p)] : parent?.[p];
      if (parent === undefined) throw new Error(`${where}: path ${op.path} does not exist`);
    }
    switch (op.op) {
      case 'add':
        if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, clone(op.value));
        else parent[last] = clone(op.value);
        break;
      case 'replace':
        if (!(last in parent)) throw new Error(`${where}: path ${op.path} does not exist`);
        parent[last] = clone(op.value);
        break;
      case 'remove':
        if (!(last in parent)) throw new Error(`${where}: path ${op.path} does not exist`);
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
        break;
      default:
        throw new Error(`${where}: JSON6902 op '${String(op.op)}' is not supported`);
    }
  }
}

/** Whether a usable `kubectl` (with the built-in kustomize) is on PATH. */
export function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** `kubectl kustomize DIR`, parsed. */
export function renderWithKubectl(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', dir], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parseYamlDocs(out, `kubectl kustomize ${dir}`).map((o) => checkObject(o, `kubectl kustomize ${dir}`));
}

/** A stable identity for sorting and comparing rendered objects. */
export function objectId(o: K8sObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}
