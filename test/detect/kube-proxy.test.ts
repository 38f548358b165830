import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detect } from '../../src/components/decide.js';
import { detectKubeProxy } from '../../src/components/kube-proxy/detect.js';
import {
  configMap,
  daemonSet,
  kubeadmProxyConfig,
  kubeProxyDs,
  kubeProxyPod,
  node,
  pod,
  snap,
  twoNodes,
} from '../../testkit/objects/minimal.js';

const running = () => [...twoNodes(), kubeProxyDs(), kubeProxyPod('node-aaaa1'), kubeProxyPod('node-bbbb2')];

test('a kubeadm kube-proxy DaemonSet with mode "" in config.conf is kube-proxy in iptables mode', () => {
  const v = detect(snap([...running(), kubeadmProxyConfig('')]));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.mode, 'iptables');
  assert.equal(v.version, 'v1.31.2');
  assert.equal(v.flavor, 'kubeadm');
  assert.equal(v.conflict, false);
  assert.deepEqual(v.agents, { ready: 2, unready: 0, missing: 0 });
});

for (const mode of ['ipvs', 'nftables']) {
  test(`mode ${mode} in the ConfigMap is reported as is`, () => {
    assert.equal(detect(snap([...running(), kubeadmProxyConfig(mode)])).mode, mode);
  });
}

test('no ConfigMap and no flag: iptables (kube-proxy default)', () => {
  assert.equal(detect(snap(running())).mode, 'iptables');
});

test('--proxy-mode flag without --config decides the mode', () => {
  const objs = [...twoNodes(), kubeProxyDs({ command: ['kube-proxy', '--proxy-mode', 'ipvs'] }), kubeadmProxyConfig('nftables')];
  assert.equal(detect(snap(objs)).mode, 'ipvs');
  const eq = [...twoNodes(), kubeProxyDs({ command: ['kube-proxy', '--proxy-mode=nftables'] })];
  assert.equal(detect(snap(eq)).mode, 'nftables');
});

test('with --config, kube-proxy ignores --proxy-mode: the config file decides', () => {
  const objs = [
    ...twoNodes(),
    kubeProxyDs({ command: ['kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--proxy-mode=ipvs'] }),
    kubeadmProxyConfig('nftables'),
  ];
  const v = detect(snap(objs));
  assert.equal(v.mode, 'nftables');
  assert.ok(v.reasons.some((r) => r.includes('ignored')));
});

test('an unknown mode raises kube_proxy_mode_unknown', () => {
  const v = detect(snap([...running(), kubeadmProxyConfig('userspace')]));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.mode, 'unknown');
  assert.equal(v.issues.kube_proxy_mode_unknown, true);
  assert.equal(v.issues.provider_config_unparseable, false);
  const flag = detect(snap([...twoNodes(), kubeProxyDs({ command: ['kube-proxy', '--proxy-mode=turbo'] })]));
  assert.equal(flag.issues.kube_proxy_mode_unknown, true);
});

test('garbage config.conf raises provider_config_unparseable and kube_proxy_mode_unknown', () => {
  const bad = configMap('kube-system', 'kube-proxy', { 'config.conf': 'mode: [ipvs\n  : :' });
  const v = detect(snap([...running(), bad]));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.mode, 'unknown');
  assert.equal(v.issues.provider_config_unparseable, true);
  assert.equal(v.issues.kube_proxy_mode_unknown, true);
  const scalar = configMap('kube-system', 'kube-proxy', { 'config.conf': 'just a string' });
  assert.equal(detect(snap([...running(), scalar])).issues.provider_config_unparseable, true);
});

test('a valid config hides no issue', () => {
  const v = detect(snap([...running(), kubeadmProxyConfig('ipvs')]));
  assert.deepEqual(
    Object.entries(v.issues).filter(([, on]) => on),
    [],
  );
});

test('EKS: kube-proxy-config/config gives the mode and the eks flavor', () => {
  const objs = [
    ...twoNodes(),
    kubeProxyDs({
      labels: { 'k8s-app': 'kube-proxy', 'eks.amazonaws.com/component': 'kube-proxy' },
      image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.30.0-eksbuild.3',
      command: ['kube-proxy', '--v=2', '--config=/var/lib/kube-proxy-config/config'],
    }),
    configMap('kube-system', 'kube-proxy', { kubeconfig: 'apiVersion: v1\nkind: Config\n' }),
    configMap('kube-system', 'kube-proxy-config', {
      config: 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "ipvs"\n',
    }),
  ];
  const v = detect(snap(objs));
  assert.equal(v.flavor, 'eks');
  assert.equal(v.mode, 'ipvs');
  assert.equal(v.version, 'v1.30.0-eksbuild.3');
});

test('AKS labels give the aks flavor', () => {
  const objs = [...twoNodes(), kubeProxyDs({ labels: { 'k8s-app': 'kube-proxy', 'kubernetes.azure.com/managedby': 'aks' } })];
  assert.equal(detect(snap(objs)).flavor, 'aks');
});

test('a DaemonSet with 0 desired and no pods is not a running kube-proxy', () => {
  const objs = [...twoNodes(), kubeProxyDs({ desired: 0, nodeSelector: { 'non-calico': 'true' } })];
  const f = detectKubeProxy(snap(objs));
  assert.ok(f);
  assert.equal(f.active, false);
  const v = detect(snap(objs));
  assert.equal(v.provider, 'none');
  assert.deepEqual(v.agents, { ready: 0, unready: 0, missing: 0 });
});

test('static mirror pods (RKE2) are kube-proxy with flavor static-pod and their --proxy-mode', () => {
  const staticPod = (n: string) =>
    pod('kube-system', `kube-proxy-${n}`, {
      labels: { component: 'kube-proxy', tier: 'control-plane' },
      annotations: { 'kubernetes.io/config.mirror': 'abc', 'kubernetes.io/config.source': 'file' },
      owner: `Node/${n}`,
      nodeName: n,
      containers: [
        {
          name: 'kube-proxy',
          image: 'index.docker.io/rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815',
          command: ['kube-proxy', '--proxy-mode=ipvs', '--cluster-cidr=10.42.0.0/16'],
        },
      ],
    });
  const v = detect(snap([node('n1'), node('n2'), staticPod('n1'), staticPod('n2')]));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.flavor, 'static-pod');
  assert.equal(v.mode, 'ipvs');
  assert.equal(v.version, 'v1.30.4-rke2r1-build20240815');
  assert.deepEqual(v.agents, { ready: 2, unready: 0, missing: 0 });
});

test('a component=kube-proxy pod without the mirror annotation is not a static pod', () => {
  const p = pod('kube-system', 'kube-proxy-x', {
    labels: { component: 'kube-proxy' },
    nodeName: 'n1',
    containers: [{ name: 'kube-proxy', image: 'x:v1' }],
  });
  assert.equal(detectKubeProxy(snap([node('n1'), p])), null);
});

const k3sNode = (name: string, args: unknown, o: { ready?: boolean } = {}) =>
  node(name, {
    annotations: { 'k3s.io/node-args': typeof args === 'string' ? args : JSON.stringify(args) },
    kubeletVersion: 'v1.31.4+k3s1',
    ...o,
  });

test('k3s without --disable-kube-proxy runs kube-proxy embedded; nodes are the agents', () => {
  const v = detect(
    snap([k3sNode('srv', ['server', '--disable', 'traefik']), k3sNode('agt', ['agent', '--server', 'https://srv:6443'], { ready: false })]),
  );
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.flavor, 'k3s-embedded');
  assert.equal(v.mode, 'iptables');
  assert.equal(v.version, 'v1.31.4+k3s1');
  assert.deepEqual(v.agents, { ready: 1, unready: 1, missing: 0 });
});

test('k3s with --disable-kube-proxy on the server: no kube-proxy, even on agent nodes (they inherit it)', () => {
  const v = detect(snap([k3sNode('srv', ['server', '--disable-kube-proxy', '--flannel-backend', 'none']), k3sNode('agt', ['agent'])]));
  assert.equal(v.provider, 'none');
  // The config-file form k3s records: "--disable-kube-proxy","true".
  assert.equal(
    detect(snap([k3sNode('srv', ['server', '--disable-kube-proxy', 'true', '-c', '/etc/rancher/k3s/server.yaml'])])).provider,
    'none',
  );
  // ...and explicitly false keeps it.
  assert.equal(detect(snap([k3sNode('srv', ['server', '--disable-kube-proxy=false'])])).provider, 'kube-proxy');
});

test('k3s --kube-proxy-arg proxy-mode=ipvs (two elements or one) sets the mode', () => {
  assert.equal(detect(snap([k3sNode('srv', ['server', '--kube-proxy-arg', 'proxy-mode=ipvs'])])).mode, 'ipvs');
  assert.equal(detect(snap([k3sNode('srv', ['server', '--kube-proxy-arg=proxy-mode=nftables'])])).mode, 'nftables');
  assert.equal(detect(snap([k3sNode('srv', ['server', '--kube-proxy-arg', 'metrics-bind-address=0.0.0.0'])])).mode, 'iptables');
});

test('k3s node args that are not a JSON array raise provider_config_unparseable', () => {
  const v = detect(snap([k3sNode('srv', '--disable-kube-proxy'), k3sNode('srv2', ['server'])]));
  assert.equal(v.issues.provider_config_unparseable, true);
  assert.equal(v.provider, 'kube-proxy');
});

test('a running DaemonSet kube-proxy wins over k3s annotations', () => {
  const v = detect(snap([k3sNode('node-aaaa1', ['server']), kubeProxyDs({ desired: 1 }), kubeProxyPod('node-aaaa1')]));
  assert.equal(v.flavor, 'kubeadm');
});

test('AKS kube-proxy pods, labelled component=kube-proxy,tier=node, are agents of their DaemonSet (not missing)', () => {
  const labels = { component: 'kube-proxy', tier: 'node' };
  const ds = daemonSet('kube-system', 'kube-proxy', {
    labels: { ...labels, 'kubernetes.azure.com/managedby': 'aks' },
    podLabels: labels,
    desired: 2,
    containers: [
      {
        name: 'kube-proxy',
        image: 'mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.30.6-hotfix.20241014',
        command: ['kube-proxy', '--conntrack-max-per-core=0', '--proxy-mode=iptables'],
      },
    ],
    tolerations: [{ operator: 'Exists' }],
  });
  const aksPod = (node: string, ready: boolean) =>
    pod('kube-system', `kube-proxy-${node.slice(-5)}`, {
      labels,
      nodeName: node,
      owner: 'DaemonSet/kube-proxy',
      ready,
      containers: [{ name: 'kube-proxy', image: 'mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.30.6-hotfix.20241014' }],
    });
  const v = detect(snap([...twoNodes(), ds, aksPod('node-aaaa1', true), aksPod('node-bbbb2', false)]));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.flavor, 'aks');
  assert.equal(v.mode, 'iptables');
  assert.deepEqual(v.agents, { ready: 1, unready: 1, missing: 0 });
  assert.equal(v.issues.provider_agents_missing, false);
});

test('MicroK8s: kube-proxy runs inside kubelite, so its nodes are the agents', () => {
  const mk = (name: string, ready = true) => node(name, { ready, labels: { 'microk8s.io/cluster': 'true' }, kubeletVersion: 'v1.32.3' });
  const v = detect(snap([mk('mk-1'), mk('mk-2', false)]));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.flavor, 'microk8s-embedded');
  assert.equal(v.mode, 'iptables');
  assert.equal(v.version, 'v1.32.3');
  assert.deepEqual(v.agents, { ready: 1, unready: 1, missing: 0 });
});

test('OpenShift SDN: the sdn pods run kube-proxy; OpenShift with a third-party CNI runs openshift-kube-proxy', () => {
  const sdnPod = (n: string) =>
    pod('openshift-sdn', `sdn-${n.slice(-5)}`, {
      labels: { app: 'sdn' },
      nodeName: n,
      owner: 'DaemonSet/sdn',
      containers: [{ name: 'sdn', image: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:abc' }],
    });
  let v = detect(snap([...twoNodes(), sdnPod('node-aaaa1'), sdnPod('node-bbbb2')]));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.flavor, 'openshift-sdn');
  assert.deepEqual(v.agents, { ready: 2, unready: 0, missing: 0 });
  const kp = (n: string) =>
    pod('openshift-kube-proxy', `openshift-kube-proxy-${n.slice(-5)}`, {
      labels: { app: 'kube-proxy' },
      nodeName: n,
      owner: 'DaemonSet/openshift-kube-proxy',
      containers: [{ name: 'kube-proxy', image: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:def' }],
    });
  v = detect(snap([...twoNodes(), kp('node-aaaa1'), kp('node-bbbb2')]));
  assert.equal(v.provider, 'kube-proxy');
  assert.equal(v.flavor, 'openshift');
  // an app=kube-proxy pod outside OpenShift's namespace is not OpenShift's kube-proxy
  const stray = pod('team-a', 'kube-proxy-lookalike', {
    labels: { app: 'kube-proxy' },
    nodeName: 'node-aaaa1',
    containers: [{ name: 'x', image: 'busybox:1' }],
  });
  assert.equal(detect(snap([...twoNodes(), stray])).provider, 'none');
});
