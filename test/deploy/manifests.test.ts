// manifests/: render both install modes, validate every object against its schema, and hold the
// hardening, RBAC, networking and wiring rules so they cannot regress.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RESOURCES, diagnoseSources } from '../../src/cluster/catalog.js';
import { DETECTION_CONFIGMAPS, detectionSources } from '../../src/components/registry.js';
import { OPTIONS, envName } from '../../src/config/options.js';
import { authorize } from '../../testkit/apiserver/rbac.js';
import { AFFINITY_NAME, AFFINITY_SLICE_NAMES, CANARY_SLICE_NAMES } from '../../src/canary/objects.js';
import { objectId, renderKustomization } from './kustomize.js';
import {
  HAS_KUBECTL,
  INSTALLS,
  ROOT,
  canaryRoleRules,
  clusterRoleRules,
  exporterService,
  find,
  one,
  render,
  sortObjects,
  validateObject,
  type K8sObject,
} from './helpers.js';

const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const IMAGE = `ghcr.io/service-proxy-exporter/service-proxy-exporter:${PKG.version}`;
const NAMESPACE = 'service-proxy-exporter';
const METRICS_PORT = 9808;
/** --canary-ports' default */
const CANARY_PORTS = (OPTIONS.find((o) => o.key === 'canaryPorts')!.default as () => [number, number])();
const ALLOWED_VERBS = new Set(['get', 'list', 'watch']);
/** The session-affinity canary Service (README "Behaviour checks") and its slices, as the writer names them. */
const AFFINITY = AFFINITY_NAME;

const rendered = {
  deployment: render(INSTALLS.deployment.dir),
  daemonset: render(INSTALLS.daemonset.dir),
};
type Mode = keyof typeof rendered;
const MODES = Object.keys(rendered) as Mode[];
const WORKLOAD_KIND: Record<Mode, string> = { deployment: 'Deployment', daemonset: 'DaemonSet' };

function workload(mode: Mode): any {
  return one(rendered[mode], WORKLOAD_KIND[mode]);
}
function podSpec(mode: Mode): any {
  return workload(mode).spec.template.spec;
}
function exporterContainer(mode: Mode): any {
  const containers = podSpec(mode).containers as any[];
  assert.equal(containers.length, 1, 'one container');
  return containers[0];
}
function envVar(c: any, name: string): any {
  return (c.env as any[] | undefined)?.find((e) => e.name === name);
}

/** Kubernetes quantity → number (bytes or cores) for the suffixes the manifests use. */
function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|k|M|G)?$/.exec(q);
  assert.ok(m, `quantity ${q}`);
  const mult: Record<string, number> = { '': 1, m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * mult[m[2] ?? '']!;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe('manifests render and validate', () => {
  for (const mode of MODES) {
    it(`${INSTALLS[mode].command}: every object validates against its schema`, () => {
      const objs = rendered[mode];
      assert.ok(objs.length > 0);
      for (const o of objs) validateObject(o);
    });

    it(`${INSTALLS[mode].command}: has every shipped kind (exactly once, Services three times)`, () => {
      const kinds = rendered[mode].map((o) => o.kind).sort();
      // three Services: the exporter's own, the canary's and the session-affinity canary's
      const expected = [
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'Namespace',
        'NetworkPolicy',
        'PrometheusRule',
        'Role',
        'RoleBinding',
        'Service',
        'Service',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
        WORKLOAD_KIND[mode],
      ].sort();
      assert.deepEqual(kinds, expected);
      const other = mode === 'deployment' ? 'DaemonSet' : 'Deployment';
      assert.equal(find(rendered[mode], other).length, 0, `no ${other} in ${mode} mode`);
    });

    it(`${mode}: namespaced objects live in ${NAMESPACE}, cluster-scoped ones have no namespace`, () => {
      for (const o of rendered[mode]) {
        const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind);
        assert.equal(o.metadata.namespace, clusterScoped ? undefined : NAMESPACE, objectId(o));
        assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'service-proxy-exporter', `${objectId(o)} part-of label`);
      }
      assert.equal(one(rendered[mode], 'Namespace').metadata.name, NAMESPACE);
    });

    it(`${mode}: the dashboards ConfigMap carries grafana_dashboard: "1"`, () => {
      const cm = one(rendered[mode], 'ConfigMap');
      assert.equal(cm.metadata.labels.grafana_dashboard, '1');
      assert.ok(Object.keys(cm.data ?? {}).length > 0, 'dashboards present');
    });

    it(
      `${mode}: the project's own renderer gives the same objects as kubectl kustomize`,
      { skip: HAS_KUBECTL ? false : 'kubectl not installed: the tests above used the own renderer' },
      () => {
        const own = sortObjects(renderKustomization(INSTALLS[mode].dir));
        assert.deepEqual(own.map(objectId), rendered[mode].map(objectId));
        assert.deepEqual(own, rendered[mode]);
      },
    );
  }

  it('the daemonset overlay changes only the workload', () => {
    const strip = (objs: K8sObject[]) => objs.filter((o) => o.kind !== 'Deployment' && o.kind !== 'DaemonSet');
    assert.deepEqual(strip(rendered.daemonset), strip(rendered.deployment));
  });
});

describe('pod hardening', () => {
  for (const mode of MODES) {
    describe(WORKLOAD_KIND[mode], () => {
      it('pod securityContext: non-root numeric user and group, fsGroup, RuntimeDefault seccomp', () => {
        const sc = podSpec(mode).securityContext;
        assert.equal(sc.runAsNonRoot, true);
        assert.equal(sc.runAsUser, 65532);
        assert.equal(sc.runAsGroup, 65532);
        assert.equal(sc.fsGroup, 65532);
        assert.deepEqual(sc.seccompProfile, { type: 'RuntimeDefault' });
      });

      it('containers: read-only root, no privilege escalation, all capabilities dropped, never root', () => {
        const spec = podSpec(mode);
        const all = [...(spec.initContainers ?? []), ...spec.containers];
        for (const c of all) {
          const sc = c.securityContext;
          assert.ok(sc, `${c.name}: securityContext`);
          assert.equal(sc.readOnlyRootFilesystem, true, `${c.name}: readOnlyRootFilesystem`);
          assert.equal(sc.allowPrivilegeEscalation, false, `${c.name}: allowPrivilegeEscalation`);
          assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${c.name}: drop ALL`);
          assert.equal(sc.capabilities?.add, undefined, `${c.name}: adds no capability (probes need no raw sockets)`);
          assert.notEqual(sc.privileged, true, `${c.name}: not privileged`);
          assert.notEqual(sc.runAsUser, 0, `${c.name}: not root`);
          assert.notEqual(sc.runAsNonRoot, false, `${c.name}: runAsNonRoot not overridden`);
        }
      });

      it('no host namespaces, host paths or host ports', () => {
        const spec = podSpec(mode);
        assert.notEqual(spec.hostNetwork, true);
        assert.notEqual(spec.hostPID, true);
        assert.notEqual(spec.hostIPC, true);
        for (const v of spec.volumes ?? []) assert.equal(v.hostPath, undefined, `volume ${v.name}`);
        for (const c of spec.containers) for (const p of c.ports ?? []) assert.equal(p.hostPort, undefined, `${c.name} hostPort`);
      });

      it('token mounted only on the exporter pod; the ServiceAccount itself does not mount it', () => {
        const spec = podSpec(mode);
        const sa = one(rendered[mode], 'ServiceAccount');
        assert.equal(sa.automountServiceAccountToken, false);
        assert.equal(spec.serviceAccountName, sa.metadata.name);
        assert.equal(spec.automountServiceAccountToken, true);
      });

      it('/tmp is a writable emptyDir (the root filesystem is read-only)', () => {
        const spec = podSpec(mode);
        const mount = (exporterContainer(mode).volumeMounts as any[]).find((m) => m.mountPath === '/tmp');
        assert.ok(mount, '/tmp mounted');
        const vol = (spec.volumes as any[]).find((v) => v.name === mount.name);
        assert.ok(vol?.emptyDir, '/tmp is an emptyDir');
      });

      it('resources: cpu and memory requests, a memory limit at least the request', () => {
        const r = exporterContainer(mode).resources;
        assert.ok(r?.requests?.cpu, 'cpu request');
        assert.ok(r?.requests?.memory, 'memory request');
        assert.ok(r?.limits?.memory, 'memory limit');
        assert.ok(quantity(r.limits.memory) >= quantity(r.requests.memory), 'limit >= request');
      });

      it('liveness /healthz, readiness /readyz, on the metrics port 9808; the canary ports declared', () => {
        const c = exporterContainer(mode);
        assert.deepEqual(c.ports, [
          { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
          { name: 'canary-0', containerPort: CANARY_PORTS[0], protocol: 'TCP' },
          { name: 'canary-1', containerPort: CANARY_PORTS[1], protocol: 'TCP' },
          { name: 'canary-udp-0', containerPort: CANARY_PORTS[0], protocol: 'UDP' },
          { name: 'canary-udp-1', containerPort: CANARY_PORTS[1], protocol: 'UDP' },
        ]);
        assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
        assert.equal(c.livenessProbe?.httpGet?.port, 'metrics');
        assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
        assert.equal(c.readinessProbe?.httpGet?.port, 'metrics');
      });

      it(`image is the released one (${IMAGE})`, () => {
        assert.equal(exporterContainer(mode).image, IMAGE);
      });

      it('downward API: POD_NAMESPACE and POD_NAME; the own Service name for the me_service probe', () => {
        const c = exporterContainer(mode);
        assert.equal(envVar(c, 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
        assert.equal(envVar(c, 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
        assert.equal(envVar(c, 'POD_IP')?.valueFrom?.fieldRef?.fieldPath, 'status.podIP', 'the canary endpoint');
        assert.equal(envVar(c, 'POD_IPS')?.valueFrom?.fieldRef?.fieldPath, 'status.podIPs', 'the canary endpoint per family');
        const svc = exporterService(rendered[mode]);
        assert.equal(envVar(c, envName('service-name'))?.value, svc.metadata.name);
      });

      it('every flag and SERVICE_PROXY_EXPORTER_* variable is one the exporter knows', () => {
        const c = exporterContainer(mode);
        const flags = new Set(OPTIONS.map((o) => (o as { flag?: string }).flag).filter(Boolean));
        const [cmd, ...rest] = c.args as string[];
        assert.equal(cmd, 'serve');
        for (const a of rest) {
          const m = /^--([a-z-]+)=/.exec(a);
          assert.ok(m, `${a}: use --flag=value`);
          assert.ok(flags.has(m[1]!), `${a}: unknown flag`);
        }
        assert.ok(rest.includes('--log-format=json'));
        // NODE_OPTIONS: read by Node itself (the daemonset's smaller heap, docs/deploy.md "Memory")
        const knownEnv = new Set<string>(['POD_NAME', 'NODE_OPTIONS']);
        for (const o of OPTIONS as readonly { flag?: string; envAliases?: string[] }[]) {
          if (o.flag) knownEnv.add(envName(o.flag));
          for (const a of o.envAliases ?? []) knownEnv.add(a);
        }
        for (const e of c.env as any[]) assert.ok(knownEnv.has(e.name), `env ${e.name} is read by nothing`);
      });
    });
  }

  it('Deployment: one replica, deployment mode', () => {
    assert.equal(workload('deployment').spec.replicas, 1);
    const args = exporterContainer('deployment').args as string[];
    assert.deepEqual(args, ['serve', '--log-format=json']);
  });

  it('DaemonSet: daemonset mode on its own node, on every node', () => {
    const c = exporterContainer('daemonset');
    assert.ok(c.args.includes('--mode=daemonset'));
    assert.ok(c.args.includes('--node-name=$(NODE_NAME)'));
    const nodeEnv = envVar(c, 'NODE_NAME');
    assert.equal(nodeEnv?.valueFrom?.fieldRef?.fieldPath, 'spec.nodeName');
    // $(NODE_NAME) expands only if NODE_NAME is defined in env
    assert.ok((c.env as any[]).some((e) => e.name === 'NODE_NAME'));
    assert.ok(
      (podSpec('daemonset').tolerations as any[]).some((t) => t.operator === 'Exists' && t.key === undefined && t.effect === undefined),
      'a toleration that tolerates every taint',
    );
  });

  it('the DaemonSet has the same hardening as the Deployment', () => {
    const d = podSpec('deployment');
    const s = podSpec('daemonset');
    for (const k of [
      'securityContext',
      'serviceAccountName',
      'automountServiceAccountToken',
      'volumes',
      'hostNetwork',
      'enableServiceLinks',
    ]) {
      assert.deepEqual(s[k], d[k], k);
    }
    const dc = exporterContainer('deployment');
    const sc = exporterContainer('daemonset');
    for (const k of ['image', 'securityContext', 'ports', 'livenessProbe', 'readinessProbe', 'volumeMounts']) {
      assert.deepEqual(sc[k], dc[k], k);
    }
    // memory differs by design: a replica holds its own node's objects, the Deployment the cluster's
    // (docs/deploy.md "Memory"); the CPU request and the shape stay the same
    assert.deepEqual(sc.resources.requests.cpu, dc.resources.requests.cpu);
    assert.ok(parseInt(sc.resources.limits.memory) <= parseInt(dc.resources.limits.memory), 'a replica needs no more than the Deployment');
    // NODE_NAME for --node-name, NODE_OPTIONS for a replica's smaller heap
    const withoutNode = (env: any[]) => env.filter((e) => e.name !== 'NODE_NAME' && e.name !== 'NODE_OPTIONS');
    assert.deepEqual(withoutNode(sc.env), withoutNode(dc.env));
  });
});

describe('RBAC', () => {
  const objs = rendered.deployment;
  const rules = clusterRoleRules(objs);

  /** (group, resource) pairs the code reads: detection sources of both modes, plus probes and diagnose. */
  const codeResources = () => {
    const refs = allSources().map((s) => s.ref);
    refs.push(RESOURCES.services, RESOURCES.endpointslices);
    return new Set(refs.map((r) => `${r.group}/${r.resource}`));
  };
  /** The list/watch sources of both modes: detection and diagnose. */
  const allSources = () => [
    ...detectionSources({ mode: 'deployment' }),
    ...detectionSources({ mode: 'daemonset', nodeName: 'node-a' }),
    ...diagnoseSources({ mode: 'deployment' }),
    ...diagnoseSources({ mode: 'daemonset', nodeName: 'node-a' }),
  ];

  it('read-only: only get, list and watch; no wildcards; no non-resource URLs', () => {
    assert.ok(rules.length > 0);
    for (const r of rules) {
      for (const v of r.verbs) assert.ok(ALLOWED_VERBS.has(v), `verb ${v}`);
      for (const list of [r.verbs, r.resources, r.apiGroups, r.resourceNames ?? []])
        assert.ok(!list.some((x) => x.includes('*')), `wildcard in ${JSON.stringify(r)}`);
      assert.equal((r as { nonResourceURLs?: unknown }).nonResourceURLs, undefined);
    }
  });

  it('never Secrets (nor any subresource)', () => {
    for (const r of rules)
      for (const res of r.resources) {
        assert.notEqual(res, 'secrets');
        assert.ok(!res.includes('/'), `subresource ${res}`);
      }
  });

  it('ConfigMaps only by resourceNames, exactly the ones detection reads', () => {
    const cmRules = rules.filter((r) => r.apiGroups.includes('') && r.resources.includes('configmaps'));
    assert.ok(cmRules.length > 0);
    for (const r of cmRules) {
      assert.deepEqual([...(r.resourceNames ?? [])].sort(), [...DETECTION_CONFIGMAPS].sort());
      assert.deepEqual(r.resources, ['configmaps'], 'resourceNames would also restrict the other resources of the rule');
    }
  });

  it('grants exactly the resources the code reads (src/components/registry.ts detection sources, src/cluster/catalog.ts diagnose sources, plus probe targets)', () => {
    const granted = new Set<string>();
    for (const r of rules) for (const g of r.apiGroups) for (const res of r.resources) granted.add(`${g}/${res}`);
    assert.deepEqual([...granted].sort(), [...codeResources()].sort());
  });

  it('authorizes list and watch of every detection and diagnose source, in both modes (with its selectors)', () => {
    for (const src of allSources()) {
      for (const verb of ['list', 'watch'] as const) {
        const ok = authorize(rules, {
          verb,
          group: src.ref.group,
          resource: src.ref.resource,
          ...(src.fieldSelector ? { fieldSelector: src.fieldSelector } : {}),
        });
        assert.ok(ok, `${verb} ${src.name}`);
      }
    }
  });

  it('a ConfigMap outside DETECTION_CONFIGMAPS, or an unfiltered ConfigMap list, is denied', () => {
    assert.equal(authorize(rules, { verb: 'list', group: '', resource: 'configmaps' }), false);
    assert.equal(authorize(rules, { verb: 'list', group: '', resource: 'configmaps', fieldSelector: 'metadata.name=aws-auth' }), false);
    assert.equal(authorize(rules, { verb: 'get', group: '', resource: 'secrets', name: 'x' }), false);
  });

  it('binds the ClusterRole to the exporter ServiceAccount in its namespace', () => {
    const crb = one(objs, 'ClusterRoleBinding');
    const role = one(objs, 'ClusterRole');
    const sa = one(objs, 'ServiceAccount');
    assert.deepEqual(crb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    assert.deepEqual(crb.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: NAMESPACE }]);
  });
});

describe('RBAC: the canary Role', () => {
  const objs = rendered.deployment;
  const rules = canaryRoleRules(objs);
  const CANARY = 'service-proxy-exporter-canary';
  const ns = { namespace: NAMESPACE };

  it('is namespaced, bound to the exporter ServiceAccount, and the same in both modes', () => {
    const role = one(objs, 'Role');
    const rb = one(objs, 'RoleBinding');
    assert.equal(role.metadata.namespace, NAMESPACE);
    assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    assert.deepEqual(rb.subjects, [{ kind: 'ServiceAccount', name: one(objs, 'ServiceAccount').metadata.name, namespace: NAMESPACE }]);
    assert.deepEqual(canaryRoleRules(rendered.daemonset), rules);
  });

  it('writes only the canary EndpointSlices and Lease: create, and everything else by resourceNames', () => {
    const resources = new Set(rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((x) => `${g}/${x}`))));
    assert.deepEqual([...resources].sort(), ['/services', 'coordination.k8s.io/leases', 'discovery.k8s.io/endpointslices']);
    for (const r of rules) {
      for (const list of [r.verbs, r.resources, r.apiGroups, r.resourceNames ?? []])
        assert.ok(!list.some((x) => x.includes('*')), `wildcard in ${JSON.stringify(r)}`);
      assert.ok(!r.verbs.includes('delete') && !r.verbs.includes('deletecollection'), 'never delete');
      if (!(r.verbs.length === 1 && r.verbs[0] === 'create'))
        assert.deepEqual(
          r.resourceNames,
          r.resources.includes('endpointslices')
            ? r.verbs.includes('patch')
              ? [...CANARY_SLICE_NAMES]
              : AFFINITY_SLICE_NAMES
            : r.resources.includes('services')
              ? [CANARY, AFFINITY]
              : [CANARY],
          `${JSON.stringify(r)} is by name`,
        );
    }
  });

  // write verbs, which the read-only ClusterRole tests never ask about
  const can = (a: Record<string, unknown>) => authorize(rules, a as unknown as Parameters<typeof authorize>[1]);

  it('allows exactly the canary writes, nothing beside them', () => {
    const es = { group: 'discovery.k8s.io', resource: 'endpointslices', ...ns };
    const lease = { group: 'coordination.k8s.io', resource: 'leases', ...ns };
    assert.ok(can({ verb: 'create', ...es }));
    assert.ok(can({ verb: 'update', ...es, name: CANARY }));
    assert.ok(can({ verb: 'patch', ...es, name: CANARY }));
    assert.ok(can({ verb: 'watch', ...es, fieldSelector: `metadata.name=${CANARY}` }));
    assert.ok(can({ verb: 'update', ...lease, name: CANARY }));
    assert.ok(can({ verb: 'watch', ...lease, fieldSelector: `metadata.name=${CANARY}` }));
    assert.ok(can({ verb: 'patch', ...es, name: `${CANARY}-ipv6` }), 'the second family of a dual-stack pod');
    for (const name of AFFINITY_SLICE_NAMES) {
      assert.ok(can({ verb: 'update', ...es, name }), `${name}: rewritten`);
      assert.equal(can({ verb: 'patch', ...es, name }), false, `${name}: never patched (rewritten whole)`);
    }
    const svc = { group: '', resource: 'services', ...ns };
    assert.ok(can({ verb: 'watch', ...svc, fieldSelector: `metadata.name=${AFFINITY}` }), 'the affinity Service, by name');
    assert.equal(can({ verb: 'update', ...svc, name: AFFINITY }), false, 'the Services are only read');
    assert.equal(can({ verb: 'update', ...es, name: `${AFFINITY}-ipv4-2` }), false, 'two targets per family, no more');
    assert.equal(can({ verb: 'update', ...es, name: 'kubernetes' }), false, 'another EndpointSlice');
    assert.equal(can({ verb: 'update', ...lease, name: 'kube-controller-manager' }), false, 'another Lease');
    assert.equal(can({ verb: 'watch', ...es }), false, 'all EndpointSlices');
    assert.equal(can({ verb: 'delete', ...es, name: CANARY }), false);
  });
});

describe('Service, ServiceMonitor, NetworkPolicy', () => {
  for (const mode of MODES) {
    const objs = rendered[mode];
    const podLabels = () => workload(mode).spec.template.metadata.labels as Record<string, string>;

    it(`${mode}: the canary Service is selectorless ClusterIP, PreferDualStack, port 80 named canary over TCP and canary-udp over UDP`, () => {
      const svc = find(objs, 'Service', 'service-proxy-exporter-canary')[0] as any;
      assert.ok(svc, 'canary Service');
      assert.equal(svc.spec.selector, undefined, 'selectorless: the exporter owns its EndpointSlice');
      assert.equal(svc.spec.type, 'ClusterIP');
      assert.deepEqual(svc.spec.ports, [
        { name: 'canary', port: 80, protocol: 'TCP' },
        { name: 'canary-udp', port: 80, protocol: 'UDP' },
      ]);
      assert.equal(svc.spec.ipFamilyPolicy, 'PreferDualStack');
    });

    it(`${mode}: the session-affinity canary Service is selectorless ClusterIP, sessionAffinity ClientIP, PreferDualStack, port 80 named canary over TCP`, () => {
      const svc = find(objs, 'Service', AFFINITY)[0] as any;
      assert.ok(svc, 'session-affinity canary Service');
      assert.equal(svc.spec.selector, undefined, 'selectorless: the canary writer owns its EndpointSlices');
      assert.equal(svc.spec.type, 'ClusterIP');
      assert.equal(svc.spec.sessionAffinity, 'ClientIP');
      assert.deepEqual(svc.spec.ports, [{ name: 'canary', port: 80, protocol: 'TCP' }]);
      assert.equal(svc.spec.ipFamilyPolicy, 'PreferDualStack');
    });

    it(`${mode}: the Service selects the exporter pods on the port named metrics`, () => {
      const svc = exporterService(objs);
      assert.ok(selects(svc.spec.selector, podLabels()));
      assert.ok(selects(workload(mode).spec.selector.matchLabels, podLabels()));
      assert.deepEqual(svc.spec.ports, [{ name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' }]);
    });

    it(`${mode}: the ServiceMonitor scrapes that Service's metrics port, with the node label and a release label`, () => {
      const sm = one(objs, 'ServiceMonitor');
      const svc = exporterService(objs);
      assert.ok(selects(sm.spec.selector.matchLabels, svc.metadata.labels));
      assert.deepEqual(sm.spec.namespaceSelector, { matchNames: [NAMESPACE] });
      assert.equal(sm.spec.endpoints.length, 1);
      const ep = sm.spec.endpoints[0];
      assert.equal(ep.port, 'metrics');
      assert.ok(
        (ep.relabelings as any[]).some(
          (r) => r.sourceLabels?.length === 1 && r.sourceLabels[0] === '__meta_kubernetes_pod_node_name' && r.targetLabel === 'node',
        ),
        'node relabeling',
      );
      assert.equal(typeof sm.metadata.labels.release, 'string');
      assert.equal(
        sm.metadata.labels.release,
        one(objs, 'PrometheusRule').metadata.labels.release,
        'same release label as the PrometheusRule',
      );
    });

    it(`${mode}: NetworkPolicy: ingress only to the metrics and canary ports; egress API server, DNS, TCP probe targets`, () => {
      const np = one(objs, 'NetworkPolicy');
      assert.ok(selects(np.spec.podSelector.matchLabels, podLabels()));
      assert.deepEqual([...np.spec.policyTypes].sort(), ['Egress', 'Ingress']);
      const ingressPorts = new Set<string | number>();
      for (const rule of np.spec.ingress) {
        assert.ok(rule.ports?.length > 0, 'every ingress rule is limited to ports');
        for (const p of rule.ports) {
          assert.ok(
            ['metrics', METRICS_PORT, 'canary-0', 'canary-1', 'canary-udp-0', 'canary-udp-1'].includes(p.port),
            `ingress port ${p.port}`,
          );
          ingressPorts.add(p.port);
        }
      }
      assert.deepEqual(
        [...ingressPorts].sort(),
        ['canary-0', 'canary-1', 'canary-udp-0', 'canary-udp-1', 'metrics'],
        'the canary VIP reaches the canary ports',
      );
      const egressPorts = (np.spec.egress as any[]).flatMap((r) => {
        assert.ok(r.ports?.length > 0, 'every egress rule is limited to ports');
        return r.ports as any[];
      });
      // explicit, so that narrowing the broad probe-target rule never cuts off the API server or DNS
      const has = (proto: string, port: number) => egressPorts.some((p) => p.protocol === proto && p.port === port);
      // 10256 (kube-proxy, Cilium KPR, Calico eBPF healthz) and 20244 (kube-router): agent health on node IPs
      for (const [proto, port] of [
        ['TCP', 443],
        ['TCP', 6443],
        ['UDP', 53],
        ['TCP', 53],
        ['TCP', 10256],
        ['TCP', 20244],
      ] as const) {
        assert.ok(has(proto, port), `explicit egress ${proto}/${port}`);
      }
      // UDP: DNS, and the canary's long-lived flow (the VIP's port 80, the canary pods' UDP ports after DNAT)
      for (const p of egressPorts)
        if (p.protocol === 'UDP') assert.ok([53, 80, 'canary-udp-0', 'canary-udp-1'].includes(p.port), `UDP egress ${p.port}`);
    });
  }
});

describe('install docs', () => {
  it('docs/deploy.md gives the install commands these tests render', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');
    for (const mode of MODES) assert.ok(doc.includes(INSTALLS[mode].command), INSTALLS[mode].command);
    assert.ok(doc.includes('kubectl delete -k manifests/'));
    assert.ok(doc.includes('service-proxy-exporter.io/probe'));
    assert.ok(doc.includes('--max-probe-targets'));
  });
});
