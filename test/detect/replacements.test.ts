// Calico eBPF, Antrea proxyAll, kube-router and OVN-Kubernetes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detect } from '../../src/components/decide.js';
import {
  CALICO_CRDS,
  configMap,
  customResource,
  daemonSet,
  kubeProxyDs,
  kubeProxyPod,
  pod,
  snap,
  twoNodes,
} from '../../testkit/objects/minimal.js';

const calicoNode = (ns: string, env?: Record<string, string>) => [
  daemonSet(ns, 'calico-node', {
    podLabels: { 'k8s-app': 'calico-node' },
    desired: 2,
    containers: [{ name: 'calico-node', image: 'quay.io/calico/node:v3.29.1', ...(env ? { env } : {}) }],
    tolerations: [{ operator: 'Exists' }],
  }),
  ...['node-aaaa1', 'node-bbbb2'].map((n) =>
    pod(ns, `calico-node-${n}`, {
      labels: { 'k8s-app': 'calico-node' },
      nodeName: n,
      owner: 'DaemonSet/calico-node',
      containers: [{ name: 'calico-node', image: 'quay.io/calico/node:v3.29.1' }],
    }),
  ),
];

test('Calico operator Installation with linuxDataplane BPF is calico-ebpf (flavor operator)', () => {
  const objs = [
    ...twoNodes(),
    ...calicoNode('calico-system'),
    customResource('operator.tigera.io/v1', 'Installation', 'default', { calicoNetwork: { linuxDataplane: 'BPF' } }),
  ];
  const v = detect(snap(objs, { installedCrds: CALICO_CRDS }));
  assert.equal(v.provider, 'calico-ebpf');
  assert.equal(v.mode, 'ebpf');
  assert.equal(v.version, 'v3.29.1');
  assert.equal(v.flavor, 'operator');
  assert.deepEqual(v.agents, { ready: 2, unready: 0, missing: 0 });
});

test('Calico with Iptables dataplane is not a replacement', () => {
  const objs = [
    ...twoNodes(),
    ...calicoNode('calico-system'),
    customResource('operator.tigera.io/v1', 'Installation', 'default', { calicoNetwork: { linuxDataplane: 'Iptables' } }),
    kubeProxyDs(),
    kubeProxyPod('node-aaaa1'),
    kubeProxyPod('node-bbbb2'),
  ];
  const v = detect(snap(objs, { installedCrds: CALICO_CRDS }));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.conflict, false);
});

test('FelixConfiguration bpfEnabled and FELIX_BPFENABLED env each switch Calico eBPF on (flavor manifest)', () => {
  const felix = [
    ...twoNodes(),
    ...calicoNode('kube-system'),
    customResource('crd.projectcalico.org/v1', 'FelixConfiguration', 'default', { bpfEnabled: true }),
  ];
  const v = detect(snap(felix, { installedCrds: CALICO_CRDS }));
  assert.equal(v.provider, 'calico-ebpf');
  assert.equal(v.flavor, 'manifest');
  const env = [...twoNodes(), ...calicoNode('kube-system', { FELIX_BPFENABLED: 'true' })];
  assert.equal(detect(snap(env)).provider, 'calico-ebpf');
  const off = [...twoNodes(), ...calicoNode('kube-system', { FELIX_BPFENABLED: 'false' })];
  assert.equal(detect(snap(off)).provider, 'none');
});

test('Calico eBPF with kube-proxy disabled by nodeSelector (Calico guide): no conflict', () => {
  const objs = [
    ...twoNodes(),
    ...calicoNode('kube-system', { FELIX_BPFENABLED: 'true' }),
    kubeProxyDs({ desired: 0, nodeSelector: { 'non-calico': 'true' } }),
  ];
  const v = detect(snap(objs));
  assert.equal(v.provider, 'calico-ebpf');
  assert.equal(v.conflict, false);
});

const antrea = (conf: string) => [
  ...twoNodes(),
  daemonSet('kube-system', 'antrea-agent', {
    podLabels: { app: 'antrea', component: 'antrea-agent' },
    desired: 2,
    containers: [{ name: 'antrea-agent', image: 'antrea/antrea-agent-ubuntu:v2.2.0' }],
    tolerations: [{ operator: 'Exists' }],
  }),
  ...['node-aaaa1', 'node-bbbb2'].map((n) =>
    pod('kube-system', `antrea-agent-${n}`, {
      labels: { app: 'antrea', component: 'antrea-agent' },
      nodeName: n,
      containers: [{ name: 'antrea-agent', image: 'antrea/antrea-agent-ubuntu:v2.2.0' }],
    }),
  ),
  configMap('kube-system', 'antrea-config', { 'antrea-agent.conf': conf, 'antrea-controller.conf': '' }),
];

test('Antrea with antreaProxy.proxyAll true is antrea-proxy in ovs mode', () => {
  const v = detect(snap(antrea('featureGates:\n  AntreaProxy: true\nantreaProxy:\n  proxyAll: true\n')));
  assert.equal(v.provider, 'antrea-proxy');
  assert.equal(v.mode, 'ovs');
  assert.equal(v.version, 'v2.2.0');
  assert.deepEqual(v.agents, { ready: 2, unready: 0, missing: 0 });
});

test('Antrea without proxyAll is not a replacement; garbage conf raises provider_config_unparseable', () => {
  assert.equal(detect(snap(antrea('antreaProxy:\n  proxyAll: false\n'))).provider, 'none');
  assert.equal(detect(snap(antrea('# all defaults\n'))).issues.provider_config_unparseable, false);
  const bad = detect(snap(antrea('antreaProxy: [proxyAll: true\n')));
  assert.equal(bad.issues.provider_config_unparseable, true);
  assert.equal(bad.provider, 'none');
});

const kubeRouter = (args: string[]) => [
  ...twoNodes(),
  daemonSet('kube-system', 'kube-router', {
    podLabels: { 'k8s-app': 'kube-router' },
    desired: 2,
    containers: [{ name: 'kube-router', image: 'docker.io/cloudnativelabs/kube-router:v2.4.1', args }],
    tolerations: [{ operator: 'Exists' }],
  }),
  ...['node-aaaa1', 'node-bbbb2'].map((n) =>
    pod('kube-system', `kube-router-${n}`, {
      labels: { 'k8s-app': 'kube-router' },
      nodeName: n,
      containers: [{ name: 'kube-router', image: 'docker.io/cloudnativelabs/kube-router:v2.4.1', args }],
    }),
  ),
];

test('kube-router runs its service proxy by default and with --run-service-proxy=true', () => {
  for (const args of [['--run-router=true'], ['--run-service-proxy=true'], ['--run-service-proxy']]) {
    const v = detect(snap(kubeRouter(args)));
    assert.equal(v.provider, 'kube-router', args.join(' '));
    assert.equal(v.mode, 'ipvs');
    assert.equal(v.version, 'v2.4.1');
  }
});

test('kube-router with --run-service-proxy=false leaves Services to kube-proxy', () => {
  const objs = [
    ...kubeRouter(['--run-router=true', '--run-service-proxy=false']),
    kubeProxyDs(),
    kubeProxyPod('node-aaaa1'),
    kubeProxyPod('node-bbbb2'),
  ];
  const v = detect(snap(objs));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.conflict, false);
});

const ovn = (ns: string) => [
  ...twoNodes(),
  ...['node-aaaa1', 'node-bbbb2'].map((n) =>
    pod(ns, `ovnkube-node-${n}`, {
      labels: { app: 'ovnkube-node' },
      nodeName: n,
      containers: [
        { name: 'ovn-controller', image: 'quay.io/openshift/ovn:4.17' },
        { name: 'ovnkube-controller', image: 'quay.io/openshift/ovnkube:v4.17.0' },
      ],
    }),
  ),
];

test('OVN-Kubernetes: ovnkube-node pods; openshift flavor in openshift-ovn-kubernetes', () => {
  const v = detect(snap(ovn('openshift-ovn-kubernetes')));
  assert.equal(v.provider, 'ovn-kubernetes');
  assert.equal(v.mode, 'ovn');
  assert.equal(v.version, 'v4.17.0');
  assert.equal(v.flavor, 'openshift');
  assert.equal(detect(snap(ovn('ovn-kubernetes'))).flavor, 'daemonset');
});
