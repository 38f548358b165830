import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detect } from '../../src/components/decide.js';
import { ciliumConfig, ciliumDs, ciliumPod, node, snap } from '../../testkit/objects/minimal.js';
import type { IAffinity } from 'kubernetes-models/v1';

const CONF = ciliumConfig({ 'kube-proxy-replacement': 'true', 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' });
const V = 'v1.18.3';

test('ready, unready and missing agents are counted per node', () => {
  const objs = [
    node('n-ready'),
    node('n-crash'),
    node('n-empty'),
    ciliumDs(V, { desired: 3 }),
    ciliumPod('n-ready', V),
    ciliumPod('n-crash', V, { ready: false }),
    CONF,
  ];
  const v = detect(snap(objs));
  assert.deepEqual(v.agents, { ready: 1, unready: 1, missing: 1 });
  assert.equal(v.issues.provider_agents_missing, true);
  assert.deepEqual(
    v.agentNodes.map((n) => [n.node, n.state]),
    [
      ['n-ready', 'ready'],
      ['n-crash', 'unready'],
      ['n-empty', 'missing'],
    ],
  );
});

test('a cordoned or NotReady node without an agent is not missing', () => {
  const objs = [
    node('n1'),
    node('cordoned', { unschedulable: true }),
    node('down', { ready: false }),
    ciliumDs(V),
    ciliumPod('n1', V),
    CONF,
  ];
  const v = detect(snap(objs));
  assert.deepEqual(v.agents, { ready: 1, unready: 0, missing: 0 });
  assert.equal(v.issues.provider_agents_missing, false);
});

test('a cordoned node that still has its agent counts it', () => {
  const v = detect(snap([node('cordoned', { unschedulable: true }), ciliumDs(V), ciliumPod('cordoned', V), CONF]));
  assert.deepEqual(v.agents, { ready: 1, unready: 0, missing: 0 });
});

test('taints: missing only when the DaemonSet tolerates every NoSchedule/NoExecute taint', () => {
  const tainted = node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
  const soft = node('soft', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] });
  const intolerant = detect(snap([tainted, soft, ciliumDs(V, { tolerations: [] }), CONF]));
  assert.deepEqual(intolerant.agents, { ready: 0, unready: 0, missing: 1 }); // only "soft"
  const tolerant = detect(
    snap([
      tainted,
      soft,
      ciliumDs(V, { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] }),
      CONF,
    ]),
  );
  assert.deepEqual(tolerant.agents, { ready: 0, unready: 0, missing: 2 });
  const valueMismatch = detect(
    snap([
      node('gpu', { taints: [{ key: 'gpu', value: 'a100', effect: 'NoExecute' }] }),
      ciliumDs(V, { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'h100' }] }),
      CONF,
    ]),
  );
  assert.deepEqual(valueMismatch.agents, { ready: 0, unready: 0, missing: 0 });
});

test('a node outside the DaemonSet nodeSelector is not missing', () => {
  const objs = [
    node('linux'),
    node('win', { labels: { 'kubernetes.io/os': 'windows' } }),
    ciliumDs(V, { nodeSelector: { 'kubernetes.io/os': 'linux' } }),
    CONF,
  ];
  const v = detect(snap(objs));
  assert.deepEqual(v.agents, { ready: 0, unready: 0, missing: 1 });
  assert.equal(v.agentNodes[0]!.node, 'linux');
});

test("daemonset mode judges only this replica's node", () => {
  const objs = [node('n-ready'), node('n-empty'), ciliumDs(V), ciliumPod('n-ready', V), CONF];
  const mine = detect(snap(objs, { mode: 'daemonset', nodeName: 'n-empty' }));
  assert.equal(mine.provider, 'cilium-kpr');
  assert.deepEqual(mine.agents, { ready: 0, unready: 0, missing: 1 });
  const other = detect(snap(objs, { mode: 'daemonset', nodeName: 'n-ready' }));
  assert.deepEqual(other.agents, { ready: 1, unready: 0, missing: 0 });
  // Even with every node in the snapshot, only snap.nodeName is judged.
  const full = snap(objs);
  full.nodeName = 'n-ready';
  assert.equal(detect(full).agentNodes.length, 1);
});

test("a pod being deleted does not count as the node's agent", () => {
  const p = ciliumPod('n1', V) as any;
  p.metadata.deletionTimestamp = '2025-01-01T00:00:00Z';
  const v = detect(snap([node('n1'), ciliumDs(V), p, CONF]));
  assert.deepEqual(v.agents, { ready: 0, unready: 0, missing: 1 });
});

test('required node affinity decides where agents are expected, as the scheduler reads it', () => {
  const linuxOnly: IAffinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] }],
      },
    },
  };
  const ds = { ...ciliumDs(V, { desired: 2 }) } as ReturnType<typeof ciliumDs>;
  ds.spec!.template.spec = { ...ds.spec!.template.spec!, affinity: linuxOnly };
  const windows = node('n-win', { labels: { 'kubernetes.io/os': 'windows' } });
  const v = detect(snap([node('n-agent'), node('n-empty'), windows, ds, ciliumPod('n-agent', V), CONF]));
  assert.deepEqual(
    v.agents,
    { ready: 1, unready: 0, missing: 1 },
    'the Linux node without an agent is missing; the Windows node is not expected',
  );
  assert.deepEqual(
    v.agentNodes.filter((n) => n.state === 'missing').map((n) => n.node),
    ['n-empty'],
  );

  // an affinity we do not evaluate (matchFields on something other than the name): never "missing"
  const odd: IAffinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'spec.unschedulable', operator: 'In', values: ['false'] }] }],
      },
    },
  };
  ds.spec!.template.spec = { ...ds.spec!.template.spec!, affinity: odd };
  assert.equal(detect(snap([node('n-agent'), node('n-empty'), ds, ciliumPod('n-agent', V), CONF])).agents.missing, 0);
});
