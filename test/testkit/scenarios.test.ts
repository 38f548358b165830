import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { ConfigMap, Namespace, Node, Pod, Service } from 'kubernetes-models/v1';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import { EndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1';
import { DEFAULT_SCENARIO, listScenarios, loadScenario, parseScenario, scenarioDir, type Scenario } from '../../testkit/scenarios.js';
import { PROVIDER_TYPES } from '../../src/components/registry.js';
import { CONFIG_CHECKS } from '../../src/detect/types.js';
import { slimNode, slimPod } from '../../src/cluster/slim.js';

type Obj = Record<string, any>;

const execFileP = promisify(execFile);
const GEN = fileURLToPath(new URL('../../testkit/scengen/gen.ts', import.meta.url));

// Models from kubernetes-models 4.5.1: `new Model(obj).validate()` throws on a schema violation.
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Pod': Pod,
  'v1/Node': Node,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'discovery.k8s.io/v1/EndpointSlice': EndpointSlice,
};
/** kinds without a model in kubernetes-models: custom resources the catalog reads */
const CUSTOM_KINDS: Record<string, { crd: string; namespaced: boolean }> = {
  'operator.tigera.io/v1/Installation': { crd: 'installations.operator.tigera.io', namespaced: false },
  'crd.projectcalico.org/v1/FelixConfiguration': { crd: 'felixconfigurations.crd.projectcalico.org', namespaced: false },
};
const CLUSTER_SCOPED = new Set(['Node', 'Namespace', 'Installation', 'FelixConfiguration']);

/** per provider, the label sets that mark its agent pods (docs/detection.md, "Agent pods, by label") */
const AGENT_LABELS: Record<string, Record<string, string>[]> = {
  'kube-proxy': [{ 'k8s-app': 'kube-proxy' }, { component: 'kube-proxy' }],
  'cilium-kpr': [{ 'k8s-app': 'cilium' }],
  'calico-ebpf': [{ 'k8s-app': 'calico-node' }],
  'antrea-proxy': [{ app: 'antrea', component: 'antrea-agent' }],
  'kube-router': [{ 'k8s-app': 'kube-router' }],
  'ovn-kubernetes': [{ app: 'ovnkube-node' }],
};

const of = (s: Scenario, kind: string) => s.objects.filter((o) => o.kind === kind);
const labelsMatch = (labels: Record<string, string> | undefined, want: Record<string, string>) =>
  Object.entries(want).every(([k, v]) => labels?.[k] === v);
const podReady = (p: Obj) => (p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
const nodeReady = (n: Obj) => (n.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
const imageTag = (image: string): string => {
  const noDigest = image.split('@')[0]!;
  const m = /:([^/:]+)$/.exec(noDigest);
  return m ? m[1]! : 'unknown';
};

function ipv4ToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  assert.equal(p.length, 4, `not an IPv4 address: ${ip}`);
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return (ipv4ToInt(ip) & mask) >>> 0 === (ipv4ToInt(base!) & mask) >>> 0;
}

/** evaluates the node selection of a DaemonSet: nodeSelector plus required matchExpressions (In/NotIn/Exists) */
function dsTargets(ds: Obj, node: Obj): boolean {
  const spec = ds.spec.template.spec;
  const labels = node.metadata.labels ?? {};
  if (!labelsMatch(labels, spec.nodeSelector ?? {})) return false;
  const terms: Obj[] = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (!terms.length) return true;
  return terms.some((t) =>
    (t.matchExpressions ?? []).every((e: Obj) => {
      const v = labels[e.key];
      if (e.operator === 'In') return e.values.includes(v);
      if (e.operator === 'NotIn') return v === undefined || !e.values.includes(v);
      if (e.operator === 'Exists') return v !== undefined;
      if (e.operator === 'DoesNotExist') return v === undefined;
      throw new Error(`operator ${e.operator} not handled by the test`);
    }),
  );
}

describe('scenario catalogue', () => {
  it('holds exactly what the generator writes (npm run generate:scenarios), sorted, with the default among them', async () => {
    const names = listScenarios();
    assert.deepEqual(names, [...names].sort());
    const out = mkdtempSync(join(tmpdir(), 'scengen-'));
    try {
      await execFileP(process.execPath, ['--import', 'tsx', GEN, out], { timeout: 120_000 });
      const written = readdirSync(out);
      assert.deepEqual(written.map((f) => f.replace(/\.yaml$/, '')).sort(), names);
      for (const f of written)
        assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(scenarioDir(), f), 'utf8'), `${f} is stale`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    assert.ok(names.includes(DEFAULT_SCENARIO));
    assert.equal(DEFAULT_SCENARIO, 'cilium-kpr');
  });

  it('rejects an unknown name, listing the valid ones', () => {
    assert.throws(
      () => loadScenario('no-such-cluster'),
      (err: Error) =>
        err.message.startsWith('unknown scenario "no-such-cluster"; valid: ') && err.message.includes('cilium-kpr, cilium-kpr-no-healthz'),
    );
  });

  it('scenarioDir is absolute and holds one file per listed scenario', () => {
    const dir = scenarioDir();
    assert.ok(dir.startsWith('/'), dir);
    for (const n of listScenarios()) assert.ok(existsSync(join(dir, `${n}.yaml`)));
  });
});

describe('scenario header validation', () => {
  const good = readFileSync(join(scenarioDir(), 'cilium-kpr.yaml'), 'utf8');

  it('accepts a real file and returns its objects', () => {
    const s = parseScenario(good, 'x.yaml', 'cilium-kpr');
    assert.equal(s.name, 'cilium-kpr');
    assert.ok(s.objects.length > 10);
  });

  it('names the file and the field for a bad provider', () => {
    const bad = good.replace('provider: cilium-kpr', 'provider: cilium');
    assert.throws(() => parseScenario(bad, 'bad.yaml'), /^Error: bad\.yaml: header field "expected\.provider": /);
  });

  it('names the file and the field for an unknown check', () => {
    const bad = good.replace(/issues: \[\]/, 'issues: [kpr_broken]');
    assert.notEqual(bad, good);
    assert.throws(() => parseScenario(bad, 'bad.yaml'), /bad\.yaml: header field "expected\.issues\.0"/);
  });

  it('rejects an unknown header field and a name that differs from the file', () => {
    assert.throws(
      () => parseScenario(good.replace('crds: []', 'crds: []\ncrd: []'), 'bad.yaml'),
      /bad\.yaml: header field "\(header\)"|bad\.yaml: header field "crd"/,
    );
    assert.throws(
      () => parseScenario(good, 'other.yaml', 'other'),
      /other\.yaml: header field "scenario": is "cilium-kpr", must equal the file name "other"/,
    );
  });

  it('rejects an object without metadata.name, naming the document', () => {
    const bad = `${good.split('---\n')[0]}---\napiVersion: v1\nkind: Pod\nmetadata: {}\n`;
    assert.throws(() => parseScenario(bad, 'bad.yaml'), /bad\.yaml: document 1 \(Pod\): missing metadata\.name/);
  });
});

for (const name of listScenarios()) {
  describe(`scenario ${name}`, () => {
    const s = loadScenario(name);
    const nodes = of(s, 'Node');
    const pods = of(s, 'Pod');
    const nodeByName = new Map(nodes.map((n) => [n.metadata.name as string, n]));
    const byUid = new Map(s.objects.filter((o) => o.metadata.uid).map((o) => [o.metadata.uid as string, o]));

    it('has a complete header that follows the vocabulary', () => {
      assert.equal(s.name, name);
      assert.ok(s.description.length > 20);
      assert.ok(s.basedOn.length > 20);
      const e = s.expected;
      assert.ok((PROVIDER_TYPES as readonly string[]).includes(e.provider), e.provider);
      for (const i of e.issues) assert.ok((CONFIG_CHECKS as readonly string[]).includes(i), i);
      assert.equal(new Set(e.issues).size, e.issues.length, 'duplicate issue');
      assert.equal(e.conflict, e.issues.includes('kpr_with_kube_proxy'), 'conflict and kpr_with_kube_proxy go together');
      assert.equal(
        e.agents.missing > 0,
        e.issues.includes('provider_agents_missing'),
        'missing > 0 and provider_agents_missing go together',
      );
      if (e.provider === 'none' || e.provider === 'unknown') {
        assert.deepEqual([e.mode, e.version, e.flavor], ['', '', '']);
        assert.deepEqual(e.agents, { ready: 0, unready: 0, missing: 0 });
      } else {
        assert.ok(e.mode && e.version && e.flavor, 'mode, version and flavor are set for a provider');
      }
    });

    it('holds a small cluster with the basics every cluster has', () => {
      assert.ok(nodes.length >= 3 && nodes.length <= 5, `${nodes.length} nodes`);
      const api = s.objects.find((o) => o.kind === 'Service' && o.metadata.namespace === 'default' && o.metadata.name === 'kubernetes');
      assert.ok(api, 'default/kubernetes Service');
      assert.equal(api.spec.clusterIP, '198.19.0.1');
      assert.ok(s.objects.some((o) => o.kind === 'EndpointSlice' && o.metadata.labels?.['kubernetes.io/service-name'] === 'kubernetes'));
      const dns = of(s, 'Service').find((o) => o.spec.clusterIP === '198.19.0.10');
      assert.ok(dns, 'cluster DNS Service at 198.19.0.10');
      assert.ok(
        s.objects.some(
          (o) =>
            o.kind === 'EndpointSlice' &&
            o.metadata.labels?.['kubernetes.io/service-name'] === dns.metadata.name &&
            o.metadata.namespace === dns.metadata.namespace,
        ),
      );
    });

    it('every object is unique, correctly scoped and valid against kubernetes-models', () => {
      const keys = new Set<string>();
      const uids = new Set<string>();
      const namespaces = new Set(of(s, 'Namespace').map((n) => n.metadata.name));
      for (const o of s.objects) {
        const id = `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
        assert.ok(!keys.has(id), `duplicate ${id}`);
        keys.add(id);
        assert.match(o.metadata.uid ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, `${id} uid`);
        assert.ok(!uids.has(o.metadata.uid), `${id} reuses a uid`);
        uids.add(o.metadata.uid);
        assert.match(o.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `${id} creationTimestamp`);
        if (CLUSTER_SCOPED.has(o.kind)) assert.equal(o.metadata.namespace, undefined, `${id} is cluster-scoped`);
        else {
          assert.ok(o.metadata.namespace, `${id} needs a namespace`);
          assert.ok(namespaces.has(o.metadata.namespace), `${id}: Namespace ${o.metadata.namespace} is not in the scenario`);
        }
        const key = `${o.apiVersion}/${o.kind}`;
        const Model = MODELS[key];
        if (Model) {
          // The API server serialises an EndpointSlice without endpoints as `endpoints: null` (the Go
          // field has no omitempty) while the OpenAPI schema demands an array: validate that one as [].
          const subject = o.kind === 'EndpointSlice' && o.endpoints === null ? { ...o, endpoints: [] } : o;
          try {
            new Model(subject).validate();
          } catch (err) {
            assert.fail(`${id}: ${(err as Error).message}`);
          }
        } else {
          const custom = CUSTOM_KINDS[key];
          assert.ok(custom, `${id}: ${key} has neither a model nor a known CRD`);
          assert.ok(s.crds.includes(custom.crd), `${id}: CRD ${custom.crd} must be declared in the header`);
        }
      }
    });

    it('keeps every address in the test ranges (nodes/pods 198.18.0.0/16, Services 198.19.0.0/16)', () => {
      const text = readFileSync(join(scenarioDir(), `${name}.yaml`), 'utf8');
      for (const m of text.matchAll(/(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])/g)) {
        const ip = m[1]!;
        const ok = ip === '0.0.0.0' || ip === '127.0.0.1' || inCidr(ip, '198.18.0.0/15');
        assert.ok(ok, `address ${ip} outside the 198.18.0.0/15 test range`);
      }
      for (const n of nodes) assert.ok(inCidr(slimNode(n).internalIP, '198.18.0.0/16'), n.metadata.name);
      for (const p of pods) if (p.status.podIP) assert.ok(inCidr(p.status.podIP, '198.18.0.0/16'), p.metadata.name);
      for (const svc of of(s, 'Service')) for (const ip of svc.spec.clusterIPs) assert.ok(inCidr(ip, '198.19.0.0/16'), svc.metadata.name);
      for (const eps of of(s, 'EndpointSlice'))
        for (const e of eps.endpoints ?? [])
          for (const a of e.addresses) assert.ok(inCidr(a, '198.18.0.0/16'), `${eps.metadata.name} ${a}`);
    });

    it('nodes carry the status detection and the runbook read', () => {
      for (const n of nodes) {
        const slim = slimNode(n);
        for (const c of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const)
          assert.ok(slim.conditions[c], `${slim.name} ${c}`);
        assert.ok(slim.kubeletVersion.startsWith('v1.'), slim.kubeletVersion);
        assert.match(slim.containerRuntimeVersion, /^(containerd|cri-o):\/\//);
        assert.equal(n.metadata.labels['kubernetes.io/hostname'], slim.name);
        assert.ok(['linux', 'windows'].includes(n.metadata.labels['kubernetes.io/os']));
        assert.equal(n.metadata.labels['kubernetes.io/os'], n.status.nodeInfo.operatingSystem);
      }
    });

    it('pods sit on nodes of the scenario and their owners exist', () => {
      for (const p of pods) {
        const id = `${p.metadata.namespace}/${p.metadata.name}`;
        if (p.spec.nodeName) assert.ok(nodeByName.has(p.spec.nodeName), `${id}: node ${p.spec.nodeName} not in the scenario`);
        else assert.equal(p.status.phase, 'Pending', `${id}: only Pending pods may be unscheduled`);
        if (p.spec.hostNetwork && p.spec.nodeName)
          assert.equal(p.status.podIP, slimNode(nodeByName.get(p.spec.nodeName)!).internalIP, `${id}: host-network pod IP`);
        assert.equal(p.metadata.ownerReferences?.length, 1, `${id}: one owner`);
        const owner = p.metadata.ownerReferences[0];
        if (owner.kind === 'DaemonSet' || owner.kind === 'Node') {
          const target = byUid.get(owner.uid);
          assert.ok(target, `${id}: owner ${owner.kind}/${owner.name} missing`);
          assert.equal(target.kind, owner.kind);
          assert.equal(target.metadata.name, owner.name);
          if (owner.kind === 'Node') {
            assert.equal(owner.name, p.spec.nodeName, `${id}: a mirror pod is owned by its own node`);
            assert.ok(p.metadata.annotations?.['kubernetes.io/config.mirror'], `${id}: mirror annotation`);
          } else {
            assert.equal(target.metadata.namespace, p.metadata.namespace);
            assert.ok(labelsMatch(p.metadata.labels, target.spec.selector.matchLabels), `${id}: labels do not match its DaemonSet`);
          }
        } else {
          assert.equal(owner.kind, 'ReplicaSet', `${id}: owner kind ${owner.kind}`);
          const dep = of(s, 'Deployment').find(
            (d) =>
              d.metadata.namespace === p.metadata.namespace &&
              owner.name === `${d.metadata.name}-${p.metadata.labels['pod-template-hash']}`,
          );
          assert.ok(dep, `${id}: no Deployment for ReplicaSet ${owner.name}`);
        }
        const slim = slimPod(p);
        assert.equal(slim.ready, podReady(p));
        if (slim.nodeName) assert.equal(slim.containerStatuses.length, p.spec.containers.length, `${id}: one status per container`);
      }
    });

    it('DaemonSet status agrees with its pods and the nodes it targets', () => {
      for (const ds of of(s, 'DaemonSet')) {
        const id = `${ds.metadata.namespace}/${ds.metadata.name}`;
        const mine = pods.filter((p) => p.metadata.ownerReferences?.[0]?.uid === ds.metadata.uid && p.spec.nodeName);
        const st = ds.status;
        assert.equal(st.currentNumberScheduled, mine.length, `${id} currentNumberScheduled`);
        assert.equal(st.numberReady, mine.filter(podReady).length, `${id} numberReady`);
        assert.equal(st.desiredNumberScheduled, nodes.filter((n) => dsTargets(ds, n)).length, `${id} desiredNumberScheduled`);
        assert.ok(st.updatedNumberScheduled <= st.currentNumberScheduled);
        assert.equal(st.numberUnavailable ?? 0, Math.max(0, st.desiredNumberScheduled - st.numberAvailable), `${id} numberUnavailable`);
        for (const p of mine) assert.ok(dsTargets(ds, nodeByName.get(p.spec.nodeName)!), `${id}: pod on a node it does not target`);
        assert.equal(new Set(mine.map((p) => p.spec.nodeName)).size, mine.length, `${id}: two pods on one node`);
      }
    });

    it('EndpointSlices point at the pods and nodes of the scenario', () => {
      for (const eps of of(s, 'EndpointSlice')) {
        for (const e of eps.endpoints ?? []) {
          if (!e.targetRef) continue;
          const target = byUid.get(e.targetRef.uid);
          assert.ok(target && target.kind === 'Pod', `${eps.metadata.name}: target ${e.targetRef.name}`);
          assert.deepEqual(e.addresses, [target.status.podIP]);
          assert.equal(e.nodeName, target.spec.nodeName);
          assert.equal(e.conditions.ready, podReady(target));
        }
      }
    });

    it('agent counts in the header add up to what the objects show', () => {
      const e = s.expected;
      const total = e.agents.ready + e.agents.unready + e.agents.missing;
      assert.ok(total <= nodes.length, `${total} agent states for ${nodes.length} nodes`);
      if (e.provider === 'none' || e.provider === 'unknown') return;
      if (e.flavor === 'k3s-embedded') {
        assert.equal(e.agents.ready, nodes.filter(nodeReady).length);
        assert.equal(e.agents.unready, nodes.filter((n) => !nodeReady(n)).length);
        return;
      }
      const agents = pods.filter((p) => AGENT_LABELS[e.provider]!.some((l) => labelsMatch(p.metadata.labels, l)));
      const onNode = (n: Obj) => agents.filter((p) => p.spec.nodeName === n.metadata.name);
      assert.equal(e.agents.ready, nodes.filter((n) => onNode(n).some(podReady)).length, 'ready');
      assert.equal(e.agents.unready, nodes.filter((n) => onNode(n).length > 0 && !onNode(n).some(podReady)).length, 'unready');
      const agentDs = of(s, 'DaemonSet').find((d) => agents.some((p) => p.metadata.ownerReferences?.[0]?.uid === d.metadata.uid));
      const shouldRun = (n: Obj) => nodeReady(n) && !n.spec.unschedulable && (!agentDs || dsTargets(agentDs, n));
      assert.equal(e.agents.missing, nodes.filter((n) => onNode(n).length === 0 && shouldRun(n)).length, 'missing');
    });

    it('the expected version is what the agents run', () => {
      const e = s.expected;
      if (e.provider === 'none' || e.provider === 'unknown') return;
      if (e.flavor === 'k3s-embedded') {
        const n = slimNode(nodes[0]!);
        assert.equal(e.version, n.kubeProxyVersion || n.kubeletVersion);
        return;
      }
      const agents = pods.filter((p) => AGENT_LABELS[e.provider]!.some((l) => labelsMatch(p.metadata.labels, l)));
      assert.ok(agents.length > 0, 'agent pods');
      const containerFor: Record<string, string[]> = {
        'kube-proxy': ['kube-proxy'],
        'cilium-kpr': ['cilium-agent'],
        'calico-ebpf': ['calico-node'],
        'antrea-proxy': ['antrea-agent'],
        'kube-router': ['kube-router'],
        'ovn-kubernetes': ['ovnkube-controller', 'ovnkube-node'],
      };
      const tags = new Set(
        agents.map((p) => {
          const c = p.spec.containers.find((c: Obj) => containerFor[e.provider]!.includes(c.name)) ?? p.spec.containers[0];
          return imageTag(c.image);
        }),
      );
      assert.ok(tags.has(e.version), `expected ${e.version}, agents run ${[...tags].join(', ')}`);
      assert.equal(tags.size > 1, e.issues.includes('cilium_version_skew'), 'skew iff agents run several tags');
    });
  });
}

describe('scenario specifics', () => {
  const cm = (s: Scenario, name: string) => s.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);

  it('Cilium scenarios carry the kube-proxy-replacement value their story needs', () => {
    const want: Record<string, [string, string | undefined]> = {
      'cilium-kpr': ['true', '0.0.0.0:10256'],
      'cilium-kpr-no-healthz': ['true', ''],
      'cilium-with-kube-proxy': ['false', ''],
      'cilium-legacy-strict': ['strict', '0.0.0.0:10256'],
      'cilium-partial-1.18': ['partial', '0.0.0.0:10256'],
      'migration-conflict': ['true', '0.0.0.0:10256'],
      'k3s-cilium': ['true', '0.0.0.0:10256'],
    };
    for (const [name, [kpr, healthz]] of Object.entries(want)) {
      const data = cm(loadScenario(name), 'cilium-config')!.data;
      assert.equal(data['kube-proxy-replacement'], kpr, name);
      assert.equal(data['kube-proxy-replacement-healthz-bind-address'], healthz, name);
    }
  });

  it('cilium-partial-1.18: every Cilium agent crash-loops on NotReady nodes and CoreDNS is Pending', () => {
    const s = loadScenario('cilium-partial-1.18');
    const agents = of(s, 'Pod').filter((p) => p.metadata.labels['k8s-app'] === 'cilium');
    assert.equal(agents.length, 3);
    for (const p of agents) {
      const st = slimPod(p).containerStatuses.find((c) => c.name === 'cilium-agent')!;
      assert.equal(st.waitingReason, 'CrashLoopBackOff');
      assert.ok(st.restartCount > 10);
      assert.equal(st.lastTerminationReason, 'Error');
      assert.equal(p.status.phase, 'Running');
    }
    assert.ok(of(s, 'Node').every((n) => !nodeReady(n)));
    assert.ok(of(s, 'Node').every((n) => n.spec.providerID.startsWith('kind://docker/')));
    const dns = of(s, 'Pod').filter((p) => p.metadata.labels['k8s-app'] === 'kube-dns');
    assert.ok(dns.length === 2 && dns.every((p) => p.status.phase === 'Pending' && !p.spec.nodeName));
    assert.ok(!of(s, 'Pod').some((p) => p.metadata.labels['k8s-app'] === 'kube-proxy'));
  });

  it('calico-ebpf: Installation BPF, Felix bpfEnabled, and a kube-proxy DaemonSet that schedules nowhere', () => {
    const s = loadScenario('calico-ebpf');
    assert.equal(of(s, 'Installation')[0]!.spec.calicoNetwork.linuxDataplane, 'BPF');
    assert.equal(of(s, 'FelixConfiguration')[0]!.spec.bpfEnabled, true);
    const kp = of(s, 'DaemonSet').find((d) => d.metadata.name === 'kube-proxy')!;
    assert.equal(kp.spec.template.spec.nodeSelector['non-calico'], 'true');
    assert.equal(kp.status.desiredNumberScheduled, 0);
    assert.ok(of(s, 'Pod').some((p) => p.metadata.namespace === 'calico-system' && p.metadata.labels['k8s-app'] === 'calico-node'));
  });

  it('kubeadm-nftables: an Installation that is not BPF, and no bpfEnabled', () => {
    const s = loadScenario('kubeadm-nftables');
    assert.equal(of(s, 'Installation')[0]!.spec.calicoNetwork.linuxDataplane, 'Nftables');
    assert.equal(of(s, 'FelixConfiguration')[0]!.spec.bpfEnabled, undefined);
    assert.match(cm(s, 'kube-proxy')!.data['config.conf'], /^mode: "nftables"$/m);
  });

  it('kube-proxy ConfigMaps hold a KubeProxyConfiguration with the scenario mode', () => {
    const modes: Record<string, string> = { 'kubeadm-iptables': '""', 'kubeadm-ipvs': '"ipvs"', 'kubeadm-nftables': '"nftables"' };
    for (const [name, mode] of Object.entries(modes)) {
      const conf = cm(loadScenario(name), 'kube-proxy')!.data['config.conf'];
      assert.match(conf, /^kind: KubeProxyConfiguration$/m);
      assert.match(conf, new RegExp(`^mode: ${mode}$`, 'm'), name);
    }
    const eks = loadScenario('eks-kube-proxy');
    assert.match(cm(eks, 'kube-proxy-config')!.data.config, /^mode: "iptables"$/m);
    assert.equal(cm(eks, 'kube-proxy')!.data['config.conf'], undefined, 'EKS keeps only the kubeconfig in ConfigMap kube-proxy');
    assert.equal(
      of(eks, 'DaemonSet').find((d) => d.metadata.name === 'kube-proxy')!.metadata.labels['eks.amazonaws.com/component'],
      'kube-proxy',
    );
  });

  it('k3s nodes carry their flags as a JSON array; only k3s-cilium disables kube-proxy', () => {
    for (const [name, disabled] of [
      ['k3s', false],
      ['k3s-cilium', true],
    ] as const) {
      const s = loadScenario(name);
      for (const n of of(s, 'Node')) {
        const args = JSON.parse(slimNode(n).annotations['k3s.io/node-args']!);
        assert.ok(Array.isArray(args) && args.every((a: unknown) => typeof a === 'string'));
        assert.ok(args[0] === 'server' || args[0] === 'agent');
        assert.equal(args.includes('--disable-kube-proxy'), disabled, `${name} ${n.metadata.name}`);
      }
      assert.ok(!of(s, 'Pod').some((p) => p.metadata.labels['k8s-app'] === 'kube-proxy' || p.metadata.labels.component === 'kube-proxy'));
    }
  });

  it('rke2: one kube-proxy mirror pod per node, no DaemonSet, no k3s annotation', () => {
    const s = loadScenario('rke2');
    const mirrors = of(s, 'Pod').filter((p) => p.metadata.labels.component === 'kube-proxy');
    assert.equal(mirrors.length, of(s, 'Node').length);
    for (const p of mirrors) {
      const slim = slimPod(p);
      assert.equal(slim.name, `kube-proxy-${slim.nodeName}`);
      assert.equal(slim.owner, `Node/${slim.nodeName}`);
      assert.ok(slim.annotations['kubernetes.io/config.mirror']);
      assert.ok(slim.containers[0]!.argv.includes('--proxy-mode=iptables'));
    }
    assert.ok(!of(s, 'DaemonSet').some((d) => d.metadata.name === 'kube-proxy'));
    assert.ok(of(s, 'Node').every((n) => !n.metadata.annotations['k3s.io/node-args'] && n.metadata.annotations['rke2.io/node-args']));
  });

  it('gke-dataplane-v2: DaemonSet anetd with k8s-app=cilium pods, no cilium DaemonSet', () => {
    const s = loadScenario('gke-dataplane-v2');
    const ds = of(s, 'DaemonSet').map((d) => d.metadata.name);
    assert.ok(ds.includes('anetd') && !ds.includes('cilium') && !ds.includes('kube-proxy'));
    assert.ok(
      of(s, 'Pod')
        .filter((p) => p.metadata.labels['k8s-app'] === 'cilium')
        .every((p) => p.metadata.ownerReferences[0].name === 'anetd'),
    );
  });

  it('ovn-kubernetes: ovnkube-node pods in openshift-ovn-kubernetes with digest-only images', () => {
    const s = loadScenario('ovn-kubernetes');
    const agents = of(s, 'Pod').filter((p) => p.metadata.labels.app === 'ovnkube-node');
    assert.equal(agents.length, 3);
    for (const p of agents) {
      assert.equal(p.metadata.namespace, 'openshift-ovn-kubernetes');
      const c = p.spec.containers.find((c: Obj) => c.name === 'ovnkube-controller');
      assert.match(c.image, /@sha256:[0-9a-f]{64}$/);
      assert.equal(imageTag(c.image), 'unknown');
    }
  });

  it('antrea-proxyall: antrea-agent.conf turns proxyAll on', () => {
    const conf = cm(loadScenario('antrea-proxyall'), 'antrea-config')!.data['antrea-agent.conf'];
    assert.match(conf, /^antreaProxy:\n(?: {2}.*\n|\n)*? {2}proxyAll: true$/m);
  });

  it('kube-router runs its service proxy', () => {
    const s = loadScenario('kube-router');
    const args: string[] = of(s, 'DaemonSet').find((d) => d.metadata.name === 'kube-router')!.spec.template.spec.containers[0].args;
    assert.ok(args.includes('--run-service-proxy=true'));
  });

  it('windows-mixed: the Windows node is outside the linux-only kube-proxy DaemonSet and has no agent', () => {
    const s = loadScenario('windows-mixed');
    const win = of(s, 'Node').filter((n) => n.metadata.labels['kubernetes.io/os'] === 'windows');
    assert.equal(win.length, 1);
    assert.ok(nodeReady(win[0]!));
    const kp = of(s, 'DaemonSet').find((d) => d.metadata.name === 'kube-proxy')!;
    assert.ok(!dsTargets(kp, win[0]!));
    assert.ok(!of(s, 'Pod').some((p) => p.spec.nodeName === win[0]!.metadata.name && p.metadata.labels['k8s-app'] === 'kube-proxy'));
  });

  it('kube-proxy-missing-agents: the node without an agent is Ready and schedulable', () => {
    const s = loadScenario('kube-proxy-missing-agents');
    const withAgent = new Set(
      of(s, 'Pod')
        .filter((p) => p.metadata.labels['k8s-app'] === 'kube-proxy')
        .map((p) => p.spec.nodeName),
    );
    const without = of(s, 'Node').filter((n) => !withAgent.has(n.metadata.name));
    assert.equal(without.length, 1);
    assert.ok(nodeReady(without[0]!) && !without[0]!.spec.unschedulable);
  });
});
