import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detect } from '../../src/components/decide.js';
import { detectCilium, readKpr } from '../../src/components/cilium/detect.js';
import { ciliumConfig, ciliumDs, ciliumPod, kubeProxyDs, kubeProxyPod, snap, twoNodes } from '../../testkit/objects/minimal.js';

const HEALTHZ = { 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' };

function cluster(
  version: string,
  kpr: string | undefined,
  o: { kubeProxy?: boolean; extra?: Record<string, string>; podVersions?: [string, string] } = {},
) {
  const data: Record<string, string> = { ...HEALTHZ, ...(o.extra ?? {}) };
  if (kpr !== undefined) data['kube-proxy-replacement'] = kpr;
  const [v1, v2] = o.podVersions ?? [version, version];
  return [
    ...twoNodes(),
    ciliumDs(version),
    ciliumPod('node-aaaa1', v1),
    ciliumPod('node-bbbb2', v2),
    ciliumConfig(data),
    ...(o.kubeProxy ? [kubeProxyDs(), kubeProxyPod('node-aaaa1'), kubeProxyPod('node-bbbb2')] : []),
  ];
}

// The whole table of docs/detection.md, one row per value × version band.
const TABLE: {
  value: string | undefined;
  version: string;
  provider: string;
  full: boolean;
  active: boolean;
  legacy: boolean;
  invalid?: boolean;
}[] = [
  { value: 'true', version: 'v1.13.4', provider: 'cilium-kpr', full: true, active: true, legacy: false },
  { value: 'true', version: 'v1.14.5', provider: 'cilium-kpr', full: true, active: true, legacy: false },
  { value: 'true', version: 'v1.18.3', provider: 'cilium-kpr', full: true, active: true, legacy: false },
  { value: 'strict', version: 'v1.13.4', provider: 'cilium-kpr', full: true, active: true, legacy: false },
  { value: 'strict', version: 'v1.14.5', provider: 'cilium-kpr', full: true, active: true, legacy: true },
  { value: 'strict', version: 'v1.16.1', provider: 'cilium-kpr', full: true, active: true, legacy: true },
  { value: 'partial', version: 'v1.12.10', provider: 'cilium-kpr', full: false, active: true, legacy: false },
  { value: 'partial', version: 'v1.14.5', provider: 'cilium-kpr', full: false, active: true, legacy: true },
  { value: 'partial', version: 'v1.18.3', provider: 'cilium-kpr', full: true, active: true, legacy: true },
  { value: 'probe', version: 'v1.12.10', provider: 'cilium-kpr', full: false, active: true, legacy: false },
  { value: 'probe', version: 'v1.15.0', provider: 'cilium-kpr', full: true, active: true, legacy: true },
  { value: 'false', version: 'v1.18.3', provider: 'none', full: false, active: false, legacy: false },
  { value: 'disabled', version: 'v1.13.4', provider: 'none', full: false, active: false, legacy: false },
  { value: 'disabled', version: 'v1.14.5', provider: 'none', full: false, active: false, legacy: true },
  { value: 'disabled', version: 'v1.17.0', provider: 'none', full: false, active: false, legacy: true },
  { value: undefined, version: 'v1.18.3', provider: 'none', full: false, active: false, legacy: false },
  { value: 'yes-please', version: 'v1.18.3', provider: 'none', full: false, active: false, legacy: false, invalid: true },
  { value: 'yes-please', version: 'v1.12.0', provider: 'none', full: false, active: false, legacy: false, invalid: true },
];

for (const row of TABLE) {
  test(`kube-proxy-replacement=${row.value ?? '(absent)'} on ${row.version} (no kube-proxy)`, () => {
    const s = snap(cluster(row.version, row.value));
    const f = detectCilium(s);
    assert.ok(f);
    assert.equal(f.fullReplacement, row.full);
    assert.equal(f.active, row.active);
    const v = detect(s);
    assert.equal(v.provider, row.provider);
    assert.equal(v.issues.cilium_kpr_legacy_value, row.legacy);
    assert.equal(v.issues.cilium_kpr_value_invalid, row.invalid ?? false);
    if (row.provider === 'cilium-kpr') {
      assert.equal(v.mode, 'ebpf');
      assert.equal(v.version, row.version);
      assert.equal(v.flavor, 'daemonset');
    }
  });
}

test('probe was removed in 1.13 already: flagged there while still read as partial', () => {
  const r = readKpr('probe', 'v1.13.0');
  assert.equal(r.partial, true);
  assert.deepEqual(r.issues, ['cilium_kpr_legacy_value']);
});

test('cilium-partial-1.18: partial on 1.18.3 stays cilium-kpr with the legacy issue, and crash-looping agents show as unready', () => {
  const objs = [
    ...twoNodes(),
    ciliumDs('v1.18.3'),
    ciliumPod('node-aaaa1', 'v1.18.3', { ready: false }),
    ciliumPod('node-bbbb2', 'v1.18.3', { ready: false }),
    ciliumConfig({ 'kube-proxy-replacement': 'partial', ...HEALTHZ }),
  ];
  const v = detect(snap(objs));
  assert.equal(v.provider, 'cilium-kpr');
  assert.equal(v.issues.cilium_kpr_legacy_value, true);
  assert.deepEqual(v.agents, { ready: 0, unready: 2, missing: 0 });
  assert.ok(v.agentNodes.every((n) => n.reason === 'CrashLoopBackOff'));
});

test('partial on an old Cilium next to kube-proxy is the documented hybrid: kube-proxy wins, no conflict', () => {
  const v = detect(snap(cluster('v1.13.4', 'partial', { kubeProxy: true })));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.conflict, false);
  assert.equal(v.issues.kpr_with_kube_proxy, false);
});

test('full KPR next to a running kube-proxy: cilium-kpr wins and the conflict is raised', () => {
  const v = detect(snap(cluster('v1.17.4', 'true', { kubeProxy: true })));
  assert.equal(v.provider, 'cilium-kpr');
  assert.equal(v.conflict, true);
  assert.equal(v.issues.kpr_with_kube_proxy, true);
});

test('Cilium without KPR next to kube-proxy: kube-proxy, no conflict', () => {
  const v = detect(snap(cluster('v1.17.4', 'false', { kubeProxy: true })));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.conflict, false);
});

test('digest-only image: version unknown, legacy values flagged as on the newest Cilium', () => {
  const objs = cluster('v1.18.3', 'strict').map((o: any) => {
    if (o.kind === 'DaemonSet') o.spec.template.spec.containers[0].image = 'quay.io/cilium/cilium@sha256:abcd';
    return o;
  });
  const v = detect(snap(objs));
  assert.equal(v.provider, 'cilium-kpr');
  assert.equal(v.version, 'unknown');
  assert.equal(v.issues.cilium_kpr_legacy_value, true);
});

test('agents on two versions raise cilium_version_skew', () => {
  const v = detect(snap(cluster('v1.18.3', 'true', { podVersions: ['v1.17.4', 'v1.18.3'] })));
  assert.equal(v.issues.cilium_version_skew, true);
  assert.equal(detect(snap(cluster('v1.18.3', 'true'))).issues.cilium_version_skew, false);
});

test('full KPR without a healthz bind address raises kpr_healthz_unset', () => {
  const objs = [
    ...twoNodes(),
    ciliumDs('v1.18.3'),
    ciliumPod('node-aaaa1', 'v1.18.3'),
    ciliumConfig({ 'kube-proxy-replacement': 'true', 'kube-proxy-replacement-healthz-bind-address': '' }),
  ];
  assert.equal(detect(snap(objs)).issues.kpr_healthz_unset, true);
  assert.equal(detect(snap(cluster('v1.18.3', 'true'))).issues.kpr_healthz_unset, false);
  // Not a replacement: nothing to check.
  const off = [...twoNodes(), ciliumDs('v1.18.3'), ciliumConfig({ 'kube-proxy-replacement': 'false' })];
  assert.equal(detect(snap(off)).issues.kpr_healthz_unset, false);
});

test('GKE Dataplane V2 (anetd) is always full KPR, flavor gke-dataplane-v2, values never flagged', () => {
  const objs = [
    ...twoNodes(),
    ciliumDs('v1.14.5-gke.100', { name: 'anetd' }),
    ciliumPod('node-aaaa1', 'v1.14.5-gke.100', { ds: 'anetd' }),
    ciliumPod('node-bbbb2', 'v1.14.5-gke.100', { ds: 'anetd' }),
    ciliumConfig({ 'kube-proxy-replacement': 'strict' }),
  ];
  const v = detect(snap(objs));
  assert.equal(v.provider, 'cilium-kpr');
  assert.equal(v.flavor, 'gke-dataplane-v2');
  assert.equal(v.version, 'v1.14.5-gke.100');
  assert.equal(v.issues.cilium_kpr_legacy_value, false);
  assert.equal(v.issues.kpr_healthz_unset, false);
  assert.deepEqual(v.agents, { ready: 2, unready: 0, missing: 0 });
});

test('cilium-config forbidden: full KPR without kube-proxy, not a replacement with it', () => {
  const noKp = snap(cluster('v1.18.3', 'false'));
  noKp.sources['configmap/cilium-config'] = 'forbidden';
  assert.equal(detect(noKp).provider, 'cilium-kpr');
  const withKp = snap(cluster('v1.18.3', 'true', { kubeProxy: true }));
  withKp.sources['configmap/cilium-config'] = 'error';
  const v = detect(withKp);
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.conflict, false);
});

test('cilium-config absent: same rule as unreadable', () => {
  const objs = cluster('v1.18.3', 'true').filter((o: any) => o.kind !== 'ConfigMap');
  assert.equal(detect(snap(objs)).provider, 'cilium-kpr');
});

test("cilium-config is found in Cilium's own namespace", () => {
  const objs = [
    ...twoNodes(),
    ciliumDs('v1.18.3', { namespace: 'cilium' }),
    ciliumPod('node-aaaa1', 'v1.18.3', { namespace: 'cilium' }),
    ciliumConfig({ 'kube-proxy-replacement': 'false' }, 'cilium'),
    kubeProxyDs(),
    kubeProxyPod('node-aaaa1'),
  ];
  const v = detect(snap(objs));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.conflict, false);
});
