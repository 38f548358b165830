// Property tests: arbitrary and adversarial Kubernetes objects thrown at every detector through the
// same path production uses (snapshotFromObjects → detect → the metric families). Whatever comes in:
// no throw, a provider from the closed set, bounded label values, and a config issue for malformed
// configuration.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { detect } from '../../src/components/decide.js';
import { PROVIDER_TYPES } from '../../src/components/registry.js';
import { CONFIG_CHECKS, type Verdict } from '../../src/detect/types.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { MAX_INFO_LABEL_LENGTH } from '../../src/metrics/families.js';
import { snapshotFromObjects } from '../../testkit/objects/snapshot.js';
import {
  CALICO_CRDS,
  ciliumConfig,
  ciliumDs,
  ciliumPod,
  configMap,
  customResource,
  daemonSet,
  kubeProxyDs,
  kubeProxyPod,
  node,
  pod,
} from '../../testkit/objects/minimal.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

// ---- arbitraries --------------------------------------------------------------------------

/** Strings that break naive code: unicode, control characters, YAML/JSON syntax, huge ones. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\n',
    '\u0000',
    'null',
    '~',
    'true',
    '{',
    '[',
    ']:',
    '- - -',
    ': :',
    '"',
    "'",
    '\\',
    '\t- x',
    '%YAML 1.2\n---',
    '&a [*a]',
    '!!binary ===',
    '\u202e\u200b',
    '🙂'.repeat(50),
  ),
  fc.nat({ max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.tuple(fc.string({ maxLength: 10 }), fc.nat({ max: 5000 })).map(([s, n]) => `${s}\n`.repeat(n)),
);

/** Any JSON-ish value, including the wrong type for a field. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(nastyString, { maxLength: 4 }),
  fc.dictionary(nastyString, nastyString, { maxKeys: 4 }),
  fc.jsonValue({ maxDepth: 3 }),
);

const image = fc.oneof(
  fc.constantFrom(
    'quay.io/cilium/cilium:v1.18.3',
    'quay.io/cilium/cilium:v1.13.0',
    'registry.k8s.io/kube-proxy:v1.31.2',
    'repo@sha256:abc',
    'registry:5000/kube-proxy',
    'calico/node:v3.29.0',
    'antrea/antrea-agent-ubuntu:v2.2.0',
    'cloudnativelabs/kube-router:v2.4.1',
  ),
  nastyString.map((t) => `quay.io/cilium/cilium:${t}`),
  nastyString,
);

const nodeNames = ['node-aaaa1', 'node-bbbb2', 'node-ccccc3'];
const nodeName = fc.constantFrom(...nodeNames);

/** Set `path` in a deep copy of `obj` to `value`, creating objects on the way (the way a broken object looks). */
function mutate(obj: object, path: string[], value: unknown): object {
  const copy = structuredClone(obj) as Record<string, unknown>;
  let cur: Record<string, unknown> = copy;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (next === null || typeof next !== 'object') cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path.at(-1)!] = value;
  return copy;
}

const MUTATION_PATHS: string[][] = [
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'labels'],
  ['metadata', 'annotations'],
  ['metadata', 'annotations', 'k3s.io/node-args'],
  ['metadata', 'annotations', 'kubernetes.io/config.mirror'],
  ['metadata', 'ownerReferences'],
  ['spec'],
  ['spec', 'nodeName'],
  ['spec', 'containers'],
  ['spec', 'template', 'spec', 'containers'],
  ['spec', 'template', 'spec', 'nodeSelector'],
  ['spec', 'template', 'spec', 'tolerations'],
  ['spec', 'taints'],
  ['spec', 'calicoNetwork', 'linuxDataplane'],
  ['spec', 'bpfEnabled'],
  ['status'],
  ['status', 'conditions'],
  ['status', 'containerStatuses'],
  ['status', 'desiredNumberScheduled'],
  ['status', 'nodeInfo'],
  ['data'],
  ['data', 'config.conf'],
  ['data', 'config'],
  ['data', 'kube-proxy-replacement'],
  ['data', 'antrea-agent.conf'],
];

/** Well-formed objects of every kind detection reads. */
const baseObject: fc.Arbitrary<object> = fc.oneof(
  fc.tuple(nodeName, fc.boolean()).map(([n, ready]) => node(n, { ready })),
  fc.tuple(nodeName, nastyString).map(([n, args]) => node(n, { annotations: { 'k3s.io/node-args': args } })),
  fc.tuple(fc.nat({ max: 3 }), image).map(([desired, img]) => kubeProxyDs({ desired, image: img })),
  fc.tuple(nodeName, image).map(([n, img]) => kubeProxyPod(n, { image: img })),
  fc.tuple(nodeName, image).map(([n, img]) =>
    pod('kube-system', `kube-proxy-${n}`, {
      labels: { component: 'kube-proxy' },
      nodeName: n,
      owner: `Node/${n}`,
      annotations: { 'kubernetes.io/config.mirror': 'x' },
      containers: [{ name: 'kube-proxy', image: img, command: ['kube-proxy', '--proxy-mode=ipvs'] }],
    }),
  ),
  nastyString.map((text) => configMap('kube-system', 'kube-proxy', { 'config.conf': text })),
  nastyString.map((text) => configMap('kube-system', 'kube-proxy-config', { config: text })),
  fc.tuple(nastyString, fc.nat({ max: 3 })).map(([v, d]) => ciliumDs(v, { desired: d })),
  fc.tuple(nodeName, nastyString, fc.boolean()).map(([n, v, ready]) => ciliumPod(n, v, { ready })),
  fc
    .tuple(nastyString, nastyString)
    .map(([kpr, hz]) => ciliumConfig({ 'kube-proxy-replacement': kpr, 'kube-proxy-replacement-healthz-bind-address': hz })),
  fc
    .tuple(anyValue)
    .map(([dp]) => customResource('operator.tigera.io/v1', 'Installation', 'default', { calicoNetwork: { linuxDataplane: dp } })),
  fc.tuple(anyValue).map(([b]) => customResource('crd.projectcalico.org/v1', 'FelixConfiguration', 'default', { bpfEnabled: b })),
  fc.tuple(nodeName, image).map(([n, img]) =>
    pod('calico-system', `calico-node-${n}`, {
      labels: { 'k8s-app': 'calico-node' },
      nodeName: n,
      containers: [{ name: 'calico-node', image: img }],
    }),
  ),
  nastyString.map((text) => configMap('kube-system', 'antrea-config', { 'antrea-agent.conf': text })),
  fc.tuple(nodeName, image).map(([n, img]) =>
    pod('kube-system', `antrea-agent-${n}`, {
      labels: { app: 'antrea', component: 'antrea-agent' },
      nodeName: n,
      containers: [{ name: 'antrea-agent', image: img }],
    }),
  ),
  fc.tuple(image, fc.array(nastyString, { maxLength: 3 })).map(([img, args]) =>
    daemonSet('kube-system', 'kube-router', {
      podLabels: { 'k8s-app': 'kube-router' },
      desired: 1,
      containers: [{ name: 'kube-router', image: img, args }],
    }),
  ),
  fc.tuple(nodeName, image).map(([n, img]) =>
    pod('ovn-kubernetes', `ovnkube-node-${n}`, {
      labels: { app: 'ovnkube-node' },
      nodeName: n,
      containers: [{ name: 'ovnkube-node', image: img }],
    }),
  ),
);

/** A well-formed object, or one with a field replaced by garbage, or garbage that claims a kind. */
const anyObject: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: baseObject },
  { weight: 4, arbitrary: fc.tuple(baseObject, fc.constantFrom(...MUTATION_PATHS), anyValue).map(([o, p, v]) => mutate(o, p, v)) },
  {
    weight: 1,
    arbitrary: fc.record({
      apiVersion: fc.constantFrom('v1', 'apps/v1', 'operator.tigera.io/v1', 'crd.projectcalico.org/v1'),
      kind: fc.constantFrom('Pod', 'Node', 'DaemonSet', 'ConfigMap', 'Installation', 'FelixConfiguration'),
      metadata: anyValue,
      spec: anyValue,
      status: anyValue,
      data: anyValue,
    }),
  },
  { weight: 1, arbitrary: anyValue },
);

// ---- what the exporter emits --------------------------------------------------------------

async function infoLabels(v: Verdict): Promise<Record<string, string>> {
  const metrics = createMetrics(
    () => ({ verdict: v, sources: {}, probes: undefined, build: { version: 't', revision: 't', nodejsVersion: 't' } }),
    { defaultMetrics: false },
  );
  const info = (await metrics.registry.getSingleMetric('proxy_provider_info')!.get()).values;
  assert.equal(info.length, 1, 'one proxy_provider_info series');
  return Object.fromEntries(Object.entries(info[0]!.labels).map(([k, x]) => [k, String(x)]));
}

async function checkVerdict(v: Verdict): Promise<void> {
  assert.ok((PROVIDER_TYPES as readonly string[]).includes(v.provider), `provider ${v.provider} from the closed set`);
  assert.deepEqual(Object.keys(v.issues).sort(), [...CONFIG_CHECKS].sort(), 'exactly the known checks');
  for (const n of Object.values(v.agents)) assert.ok(Number.isInteger(n) && n >= 0);
  const labels = await infoLabels(v);
  assert.equal(labels.type, v.provider);
  for (const k of ['mode', 'version', 'flavor']) {
    const value = labels[k]!;
    assert.ok(value.length <= MAX_INFO_LABEL_LENGTH, `${k} label is ${value.length} characters`);
    assert.match(
      value,
      /^[A-Za-z0-9._+-]*$/,
      `${k} label ${JSON.stringify(value.slice(0, 80))} has only tag characters (no newline, no quote)`,
    );
  }
}

const snapOpts = fc.oneof(
  fc.constant({ installedCrds: CALICO_CRDS }),
  fc.constant({}),
  nodeName.map((n) => ({ mode: 'daemonset' as const, nodeName: n, installedCrds: CALICO_CRDS })),
);

describe('detection under arbitrary input', () => {
  it('never throws, answers from the closed set and exports bounded labels', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyObject, { maxLength: 14 }), snapOpts, async (objects, opts) => {
        const snap = snapshotFromObjects(objects as never[], opts);
        const v = detect(snap);
        await checkVerdict(v);
      }),
      { numRuns: RUNS },
    );
  });

  it('survives snapshots that bypass slimming (wrong types straight into detect)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            daemonSets: anyValue,
            agentPods: anyValue,
            nodes: anyValue,
            configMaps: anyValue,
            calicoInstallations: anyValue,
            felixConfigurations: anyValue,
            sources: anyValue,
            nodeName: anyValue,
          },
          { requiredKeys: [] },
        ),
        async (snap) => checkVerdict(detect(snap as never)),
      ),
      { numRuns: RUNS },
    );
  });

  it('a huge or multi-line image tag is cut to a short, single-line version label', async () => {
    const tag = `v1.18.3-${'a'.repeat(10_000)}\n"} 1\nevil_metric 1`;
    const v = detect(
      snapshotFromObjects([
        node('node-aaaa1'),
        ciliumDs(tag),
        ciliumPod('node-aaaa1', tag),
        ciliumConfig({ 'kube-proxy-replacement': 'true' }),
      ]),
    );
    assert.equal(v.provider, 'cilium-kpr');
    const labels = await infoLabels(v);
    assert.equal(labels.version!.length, MAX_INFO_LABEL_LENGTH);
    assert.ok(labels.version!.startsWith('v1.18.3-aaa'));
  });
});

describe('malformed configuration raises a config issue', () => {
  const running = [node('node-aaaa1'), kubeProxyDs({ desired: 1 }), kubeProxyPod('node-aaaa1')];

  it('kube-proxy ConfigMap text that is not a KubeProxyConfiguration mapping', async () => {
    await fc.assert(
      fc.asyncProperty(nastyString, fc.constantFrom('kube-proxy', 'kube-proxy-config'), async (text, name) => {
        const cm =
          name === 'kube-proxy'
            ? configMap('kube-system', 'kube-proxy', { 'config.conf': text })
            : configMap('kube-system', 'kube-proxy-config', { config: text });
        const v = detect(snapshotFromObjects([...running, cm]));
        await checkVerdict(v);
        assert.equal(v.provider, 'kube-proxy', 'a running kube-proxy is found whatever its config says');
        let doc: unknown;
        try {
          doc = parseYaml(text, { logLevel: 'error' });
        } catch {
          doc = undefined;
        }
        const mapping = doc !== null && typeof doc === 'object' && !Array.isArray(doc);
        const mode = mapping ? (doc as Record<string, unknown>).mode : undefined;
        const known =
          mode == null ||
          (typeof mode === 'string' && ['', 'iptables', 'ipvs', 'nftables', 'kernelspace'].includes(mode.trim().toLowerCase()));
        if (!mapping) {
          assert.ok(
            v.issues.provider_config_unparseable || v.issues.kube_proxy_mode_unknown,
            `unparseable config ${JSON.stringify(text.slice(0, 60))} raises an issue`,
          );
          assert.equal(v.mode, 'unknown');
        } else if (!known) {
          assert.ok(v.issues.kube_proxy_mode_unknown, `mode ${JSON.stringify(mode)} raises kube_proxy_mode_unknown`);
        } else {
          assert.ok(!v.issues.kube_proxy_mode_unknown && !v.issues.provider_config_unparseable, 'a valid mode raises nothing');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('k3s node-args that are not a JSON array of strings', async () => {
    await fc.assert(
      fc.asyncProperty(nastyString, async (args) => {
        const v = detect(snapshotFromObjects([node('node-aaaa1', { annotations: { 'k3s.io/node-args': args } })]));
        await checkVerdict(v);
        let parsed: unknown;
        try {
          parsed = JSON.parse(args);
        } catch {
          parsed = undefined;
        }
        const valid = Array.isArray(parsed) && parsed.every((a) => typeof a === 'string');
        if (!valid)
          assert.ok(
            v.issues.provider_config_unparseable,
            `node-args ${JSON.stringify(args.slice(0, 60))} raises provider_config_unparseable`,
          );
      }),
      { numRuns: RUNS },
    );
  });

  it('a Cilium kube-proxy-replacement value no Cilium accepts', async () => {
    const known = ['', 'true', 'false', 'strict', 'partial', 'probe', 'disabled'];
    await fc.assert(
      fc.asyncProperty(nastyString, async (kpr) => {
        const v = detect(
          snapshotFromObjects([
            node('node-aaaa1'),
            ciliumDs('v1.18.3'),
            ciliumPod('node-aaaa1', 'v1.18.3'),
            ciliumConfig({ 'kube-proxy-replacement': kpr }),
          ]),
        );
        await checkVerdict(v);
        if (!known.includes(kpr.trim().toLowerCase()))
          assert.ok(v.issues.cilium_kpr_value_invalid, `kube-proxy-replacement=${JSON.stringify(kpr.slice(0, 60))}`);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('objects JSON can carry that break String()', () => {
  it('a name or image that is an object with a non-callable toString is read as empty, not thrown on', async () => {
    const evil = JSON.parse('{"toString": 1, "valueOf": 1}');
    const p = ciliumPod('node-aaaa1', 'v1.18.3') as any;
    p.metadata.name = evil;
    p.spec.containers[0].image = evil;
    const n = node('node-aaaa1') as any;
    n.status.nodeInfo.kubeletVersion = evil;
    const v = detect(snapshotFromObjects([n, ciliumDs('v1.18.3'), p, ciliumConfig({ 'kube-proxy-replacement': 'true' })]));
    await checkVerdict(v);
    assert.equal(v.provider, 'cilium-kpr');
  });
});
