import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CONFIG_CHECKS } from '../../src/detect/types.js';
import { DETECTOR_NAMES } from '../../src/components/detectors.js';
import { detect } from '../../src/components/decide.js';
import { emptySnapshot } from '../../src/cluster/types.js';
import {
  ciliumConfig,
  ciliumDs,
  ciliumPod,
  daemonSet,
  kubeProxyDs,
  kubeProxyPod,
  pod,
  snap,
  twoNodes,
} from '../../testkit/objects/minimal.js';

const kubeProxy = () => [kubeProxyDs(), kubeProxyPod('node-aaaa1'), kubeProxyPod('node-bbbb2')];
const ciliumKpr = () => [
  ciliumDs('v1.18.3'),
  ciliumPod('node-aaaa1', 'v1.18.3'),
  ciliumPod('node-bbbb2', 'v1.18.3'),
  ciliumConfig({ 'kube-proxy-replacement': 'true', 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' }),
];
const kubeRouter = () => [
  daemonSet('kube-system', 'kube-router', {
    podLabels: { 'k8s-app': 'kube-router' },
    desired: 2,
    containers: [{ name: 'kube-router', image: 'cloudnativelabs/kube-router:v2.4.1' }],
  }),
];

test('nothing installed: none, all counts 0, every check present and false', () => {
  const v = detect(snap(twoNodes()));
  assert.equal(v.provider, 'none');
  assert.equal(v.mode, '');
  assert.deepEqual(v.agents, { ready: 0, unready: 0, missing: 0 });
  assert.deepEqual(Object.keys(v.issues).sort(), [...CONFIG_CHECKS].sort());
  assert.ok(Object.values(v.issues).every((x) => x === false));
});

for (const state of ['pending', 'error', 'forbidden'] as const) {
  test(`a required source ${state} gives unknown, never none`, () => {
    const s = snap([...twoNodes(), ...kubeProxy()]);
    s.sources['agent-pods'] = state;
    const v = detect(s);
    assert.equal(v.provider, 'unknown');
    assert.equal(v.version, '');
    assert.deepEqual(v.agents, { ready: 0, unready: 0, missing: 0 });
    assert.ok(v.reasons[0]!.includes('agent-pods'));
  });
}

test('an optional source that is forbidden does not make the verdict unknown', () => {
  const s = snap([...twoNodes(), ...kubeProxy()]);
  s.sources['calico-installations'] = 'forbidden';
  s.sources['configmap/kube-proxy'] = 'error';
  assert.equal(detect(s).provider, 'kube-proxy');
});

test('an empty sources map (pure unit tests) counts as synced', () => {
  const s = snap([...twoNodes(), ...kubeProxy()]);
  s.sources = {};
  assert.equal(detect(s).provider, 'kube-proxy');
});

test('two full replacements: the first in order wins and it is a conflict', () => {
  const v = detect(snap([...twoNodes(), ...kubeRouter(), ...ciliumKpr()]));
  assert.equal(v.provider, 'cilium-kpr');
  assert.equal(v.conflict, true);
  assert.ok(v.findings.some((f) => f.type === 'kube-router' && f.active));
});

test('a disabled detector is not run', () => {
  assert.ok(DETECTOR_NAMES.includes('cilium'));
  const objs = [...twoNodes(), ...kubeProxy(), ...ciliumKpr()];
  const v = detect(snap(objs), { disabled: ['cilium'] });
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.conflict, false);
});

test('a throwing detector is skipped and noted, the rest still decide', () => {
  const s = snap([...twoNodes(), ...kubeProxy()]);
  // A ConfigMap whose data is not an object makes detectors reading it throw.
  (s.configMaps as unknown[]).push({ namespace: 'kube-system', name: 'cilium-config', data: null });
  s.daemonSets.push({ ...s.daemonSets[0]!, name: 'cilium', labels: {}, containers: [] });
  const v = detect(s);
  assert.equal(v.provider, 'kube-proxy');
  assert.ok(v.reasons.some((r) => r.includes('Detector cilium failed')));
});

test('detect never throws, whatever the snapshot holds', () => {
  const junk = fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.integer(),
    fc.string(),
    fc.array(fc.anything(), { maxLength: 3 }),
    fc.object(),
  );
  fc.assert(
    fc.property(
      fc.record(
        {
          daemonSets: junk,
          agentPods: junk,
          nodes: junk,
          configMaps: junk,
          calicoInstallations: junk,
          felixConfigurations: junk,
          sources: junk,
          nodeName: junk,
        },
        { requiredKeys: [] },
      ),
      (raw) => {
        const s = { ...emptySnapshot(), ...raw } as never;
        const v = detect(s);
        assert.ok(typeof v.provider === 'string');
      },
    ),
    { numRuns: 300 },
  );
});

test('reasons say why', () => {
  const v = detect(snap([...twoNodes(), ...kubeProxy(), ...ciliumKpr()]));
  assert.ok(v.reasons.some((r) => r.startsWith('Conflict')));
  assert.ok(v.reasons.some((r) => r.includes('kube-proxy-replacement')));
});

test('partial replacement alone (old Cilium partial, no kube-proxy) is reported as cilium-kpr', () => {
  const objs = [
    ...twoNodes(),
    ciliumDs('v1.13.4'),
    ciliumPod('node-aaaa1', 'v1.13.4'),
    ciliumConfig({ 'kube-proxy-replacement': 'partial' }),
  ];
  const v = detect(snap(objs));
  assert.equal(v.provider, 'cilium-kpr');
  assert.equal(v.conflict, false);
  assert.equal(v.issues.kpr_healthz_unset, false);
});

test('agent pods outside kube-system are found', () => {
  const objs = [
    ...twoNodes(),
    ciliumDs('v1.18.3', { namespace: 'cilium' }),
    ciliumPod('node-aaaa1', 'v1.18.3', { namespace: 'cilium' }),
    ciliumPod('node-bbbb2', 'v1.18.3', { namespace: 'cilium' }),
    ciliumConfig({ 'kube-proxy-replacement': 'true', 'kube-proxy-replacement-healthz-bind-address': ':10256' }, 'cilium'),
  ];
  const v = detect(snap(objs));
  assert.equal(v.provider, 'cilium-kpr');
  assert.deepEqual(v.agents, { ready: 2, unready: 0, missing: 0 });
  void pod;
});
