import { test } from 'node:test';
import assert from 'node:assert/strict';
import { snapshotFromObjects } from '../../testkit/objects/snapshot.js';
import { detectionSources } from '../../src/components/registry.js';
import { CALICO_CRDS, configMap, customResource, kubeProxyPod, node, pod } from '../../testkit/objects/minimal.js';

test('only the objects the live sources would select reach the snapshot, slimmed', () => {
  const s = snapshotFromObjects([
    node('n1'),
    kubeProxyPod('n1'),
    pod('default', 'web', { labels: { app: 'web' }, nodeName: 'n1', containers: [{ name: 'web', image: 'nginx:1' }] }),
    configMap('kube-system', 'kube-proxy', { 'config.conf': 'mode: ipvs' }),
    configMap('kube-system', 'coredns', { Corefile: '.:53' }),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } },
  ]);
  assert.deepEqual(
    s.agentPods.map((p) => p.name),
    ['kube-proxy-n1'],
  );
  assert.deepEqual(
    s.configMaps.map((c) => c.name),
    ['kube-proxy'],
  );
  assert.equal(s.nodes.length, 1);
  assert.equal((s.agentPods[0] as any).spec, undefined);
  for (const src of detectionSources({ mode: 'deployment' }).filter((x) => !x.optional)) assert.equal(s.sources[src.name], 'synced');
});

test('a pod matched by two pod sources appears once', () => {
  const p = pod('kube-system', 'kp', {
    labels: { 'k8s-app': 'kube-proxy', component: 'kube-proxy' },
    nodeName: 'n1',
    containers: [{ name: 'kube-proxy', image: 'k:v1' }],
  });
  assert.equal(snapshotFromObjects([p]).agentPods.length, 1);
});

test('optional CRD sources are absent unless installed', () => {
  const inst = customResource('operator.tigera.io/v1', 'Installation', 'default', { calicoNetwork: { linuxDataplane: 'BPF' } });
  const without = snapshotFromObjects([inst]);
  assert.equal(without.sources['calico-installations'], 'absent');
  assert.equal(without.calicoInstallations.length, 0);
  const withCrd = snapshotFromObjects([inst], { installedCrds: CALICO_CRDS });
  assert.equal(withCrd.sources['calico-installations'], 'synced');
  assert.equal(withCrd.calicoInstallations.length, 1);
});

test('daemonset mode keeps only this node and its pods', () => {
  const s = snapshotFromObjects([node('n1'), node('n2'), kubeProxyPod('n1'), kubeProxyPod('n2')], { mode: 'daemonset', nodeName: 'n2' });
  assert.equal(s.nodeName, 'n2');
  assert.deepEqual(
    s.nodes.map((n) => n.name),
    ['n2'],
  );
  assert.deepEqual(
    s.agentPods.map((p) => p.nodeName),
    ['n2'],
  );
});
