// charts/service-proxy-exporter: `helm lint`, and `helm template` once per value that changes what is
// installed. The defaults are held to manifests/ by chart-vs-manifests.test.ts; this file proves each value.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseCommandLine } from '../../src/cli/args.js';
import { resolveSettings } from '../../src/config/load.js';
import { parseDuration } from '../../src/config/duration.js';
import { DEFAULT_LEASE_TIMING, decideLease, leaseSpecOf } from '../../src/canary/lease.js';
import { find, one, validateObject, type K8sObject } from './helpers.js';
import { CHART, RELEASE_NAMESPACE, helm, helmNotes, helmSkip, helmTemplate, helmTemplateRaw } from './helm.js';

const ROOT = path.resolve(CHART, '../..');
const CANARY = 'service-proxy-exporter-canary';
const AFFINITY = 'service-proxy-exporter-canary-affinity';

function workload(objs: K8sObject[]): any {
  const w = objs.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet');
  assert.equal(w.length, 1, 'one workload');
  return w[0];
}
function container(objs: K8sObject[]): any {
  return workload(objs).spec.template.spec.containers[0];
}
function args(objs: K8sObject[]): string[] {
  return container(objs).args as string[];
}
function alertNames(objs: K8sObject[]): string[] {
  return (one(objs, 'PrometheusRule').spec.groups as any[]).flatMap((g) => g.rules.filter((r: any) => r.alert).map((r: any) => r.alert));
}

/**
 * The settings the exporter resolves from the rendered container: its args through the CLI parser, its env
 * with the downward API filled in, and the config file the chart's ConfigMap holds.
 */
function exporterSettings(objs: K8sObject[]) {
  const c = container(objs);
  const downward: Record<string, string> = {
    'metadata.namespace': RELEASE_NAMESPACE,
    'metadata.name': 'pod-0',
    'status.podIP': '198.18.0.10',
    'spec.nodeName': 'node-a',
  };
  const env: Record<string, string> = {};
  for (const e of c.env as any[]) env[e.name] = e.value ?? downward[e.valueFrom.fieldRef.fieldPath];
  const argv = (c.args as string[]).map((a) => a.replace(/\$\((\w+)\)/g, (_, n: string) => env[n] ?? ''));
  const parsed = parseCommandLine(argv);
  const dir = mkdtempSync(path.join(tmpdir(), 'spe-chart-config-'));
  try {
    if (parsed.flags.config) {
      const cm = find(objs, 'ConfigMap', 'service-proxy-exporter-config')[0] as any;
      const file = path.join(dir, 'config.yaml');
      writeFileSync(file, cm.data['config.yaml']);
      parsed.flags.config = file;
    }
    return { command: parsed.command, settings: resolveSettings(parsed.flags, env) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('helm chart', { skip: await helmSkip() }, () => {
  it('helm lint --strict passes, in both modes and with every switch off', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spe-lint-'));
    try {
      const variants = [
        {},
        { mode: 'daemonset' },
        {
          canary: { enabled: false },
          serviceMonitor: { enabled: false },
          prometheusRule: { enabled: false },
          dashboards: { enabled: false },
          networkPolicy: { enabled: false },
          rbac: { create: false },
        },
      ];
      for (const [i, values] of variants.entries()) {
        const file = path.join(dir, `values-${i}.json`);
        writeFileSync(file, JSON.stringify(values));
        const r = await helm(['lint', '--strict', CHART, '--namespace', RELEASE_NAMESPACE, '--values', file]);
        assert.equal(r.code, 0, `helm lint ${JSON.stringify(values)}: ${r.stdout}${r.stderr}`);
        assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the default render is what the exporter accepts: serve, the own Service, the canary on', async () => {
    const { command, settings } = exporterSettings(await helmTemplate());
    assert.equal(command, 'serve');
    assert.equal(settings.mode, 'deployment');
    assert.equal(settings.serviceName, 'service-proxy-exporter');
    assert.equal(settings.serviceNamespace, RELEASE_NAMESPACE);
    assert.equal(settings.canary, 'on');
    assert.equal(settings.podIp, '198.18.0.10');
  });

  it('mode: daemonset renders a DaemonSet on every node, watching its own node, with the per-replica figures', async () => {
    const objs = await helmTemplate({ values: { mode: 'daemonset' } });
    assert.deepEqual(find(objs, 'Deployment'), []);
    const ds = one(objs, 'DaemonSet');
    assert.deepEqual(ds.spec.template.spec.tolerations, [{ operator: 'Exists' }]);
    assert.deepEqual(container(objs).resources, { requests: { cpu: '50m', memory: '80Mi' }, limits: { memory: '128Mi' } });
    const { settings } = exporterSettings(objs);
    assert.equal(settings.mode, 'daemonset');
    assert.equal(settings.nodeName, 'node-a');

    const narrow = await helmTemplate({
      values: {
        mode: 'daemonset',
        daemonset: { tolerateAllTaints: false },
        tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
      },
    });
    assert.deepEqual(one(narrow, 'DaemonSet').spec.template.spec.tolerations, [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('every typed value reaches the exporter as the setting it names', async () => {
    const objs = await helmTemplate({
      values: {
        logLevel: 'debug',
        logFormat: 'text',
        probeInterval: '5s',
        probeTimeout: '2s',
        probeConcurrency: 4,
        maxProbeTargets: 50,
        clusterDomain: 'example.internal',
        sourceGracePeriod: '2m',
        agentHealth: { enabled: false, interval: '45s', timeout: '3s', concurrency: 8 },
        canary: { interval: '1m', poll: '500ms', ports: [9910, 9911] },
        config: { disabledProbes: ['annotated'], disabledDetectors: ['antrea'] },
      },
    });
    const { settings } = exporterSettings(objs);
    assert.equal(settings.logLevel, 'debug');
    assert.equal(settings.logFormat, 'text');
    assert.equal(settings.probeIntervalMs, 5000);
    assert.equal(settings.probeTimeoutMs, 2000);
    assert.equal(settings.probeConcurrency, 4);
    assert.equal(settings.maxProbeTargets, 50);
    assert.equal(settings.clusterDomain, 'example.internal');
    assert.equal(settings.sourceGracePeriodMs, 120_000);
    assert.equal(settings.agentHealth, 'off');
    assert.equal(settings.agentHealthIntervalMs, 45_000);
    assert.equal(settings.agentHealthTimeoutMs, 3000);
    assert.equal(settings.agentHealthConcurrency, 8);
    assert.equal(settings.canaryIntervalMs, 60_000);
    assert.equal(settings.canaryPollMs, 500);
    assert.deepEqual(settings.canaryPorts, [9910, 9911]);
    assert.deepEqual(settings.disabledProbes, ['annotated']);
    assert.deepEqual(settings.disabledDetectors, ['antrea']);
    // the canary ports are the container's and the NetworkPolicy's (by name)
    const ports = (container(objs).ports as any[]).map((p) => [p.name, p.containerPort]);
    assert.deepEqual(ports, [
      ['metrics', 9808],
      ['canary-0', 9910],
      ['canary-1', 9911],
      ['canary-udp-0', 9910],
      ['canary-udp-1', 9911],
    ]);
    // a changed config file rolls the pods
    assert.match(workload(objs).spec.template.metadata.annotations['checksum/config'], /^[0-9a-f]{64}$/);
  });

  it('extraArgs and extraEnv are appended as given', async () => {
    const objs = await helmTemplate({
      values: { extraArgs: ['--probe-concurrency=16'], extraEnv: [{ name: 'SERVICE_PROXY_EXPORTER_MAX_PROBE_TARGETS', value: '40' }] },
    });
    assert.equal(args(objs).at(-1), '--probe-concurrency=16');
    const { settings } = exporterSettings(objs);
    assert.equal(settings.probeConcurrency, 16);
    assert.equal(settings.maxProbeTargets, 40);
  });

  it('canary.enabled: false runs --canary=off without the canary Services, Role, RoleBinding or ports', async () => {
    const on = await helmTemplate();
    assert.equal(find(on, 'Service', CANARY).length, 1);
    assert.equal(find(on, 'Service', AFFINITY).length, 1);
    assert.equal(find(on, 'Role').length, 1);
    const objs = await helmTemplate({ values: { canary: { enabled: false } } });
    assert.deepEqual(find(objs, 'Service', CANARY), []);
    assert.deepEqual(find(objs, 'Service', AFFINITY), []);
    assert.deepEqual(find(objs, 'Role'), []);
    assert.deepEqual(find(objs, 'RoleBinding'), []);
    assert.equal(exporterSettings(objs).settings.canary, 'off');
    assert.deepEqual(
      (container(objs).ports as any[]).map((p) => p.name),
      ['metrics'],
    );
    const ingressPorts = (one(objs, 'NetworkPolicy').spec.ingress as any[]).flatMap((r) => r.ports.map((p: any) => p.port));
    assert.deepEqual(ingressPorts, ['metrics']);
    // the read-only ClusterRole stays as it is
    assert.deepEqual(one(objs, 'ClusterRole').rules, one(on, 'ClusterRole').rules);
  });

  it('the canary Lease ships empty, so helm uninstall removes it, and the first replica takes it at once', async () => {
    const lease = one(await helmTemplate(), 'Lease');
    assert.equal(lease.metadata.name, CANARY);
    assert.equal(lease.metadata.namespace, RELEASE_NAMESPACE);
    assert.equal(lease.spec, undefined, 'Helm owns no field of the election');
    const action = decideLease({ spec: leaseSpecOf(lease), resourceVersion: '1', observedAt: 0 }, 'pod-0', 0, DEFAULT_LEASE_TIMING);
    assert.equal(action.kind, 'update');
    assert.equal(action.kind === 'update' && action.spec.holderIdentity, 'pod-0');
    assert.deepEqual(find(await helmTemplate({ values: { canary: { enabled: false } } }), 'Lease'), []);
  });

  it('serviceMonitor: off renders none; labels, interval, timeout and relabelings reach it', async () => {
    assert.deepEqual(find(await helmTemplate({ values: { serviceMonitor: { enabled: false } } }), 'ServiceMonitor'), []);
    const relabel = { sourceLabels: ['__meta_kubernetes_namespace'], targetLabel: 'namespace' };
    const metricRelabel = { sourceLabels: ['__name__'], regex: 'nodejs_.*', action: 'drop' };
    const sm = one(
      await helmTemplate({
        values: {
          serviceMonitor: {
            additionalLabels: { release: 'prom', team: 'net' },
            interval: '15s',
            scrapeTimeout: '5s',
            relabelings: [relabel],
            metricRelabelings: [metricRelabel],
          },
        },
      }),
      'ServiceMonitor',
    );
    assert.equal(sm.metadata.labels.release, 'prom');
    assert.equal(sm.metadata.labels.team, 'net');
    const ep = sm.spec.endpoints[0];
    assert.equal(ep.interval, '15s');
    assert.equal(ep.scrapeTimeout, '5s');
    assert.equal(ep.relabelings[0].targetLabel, 'node', 'the built-in node label stays first');
    assert.deepEqual(ep.relabelings.slice(1), [relabel]);
    assert.deepEqual(ep.metricRelabelings, [metricRelabel]);
    assert.equal(ep.scheme, undefined, 'plain HTTP by default');
  });

  it('without the Prometheus Operator CRDs, no ServiceMonitor or PrometheusRule (the install still succeeds)', async () => {
    const objs = await helmTemplate({ apiVersions: [] });
    assert.deepEqual(find(objs, 'ServiceMonitor'), []);
    assert.deepEqual(find(objs, 'PrometheusRule'), []);
    assert.equal(find(objs, 'ConfigMap').length, 1, 'the dashboards ConfigMap is still there');
  });

  it('prometheusRule.disabledAlerts removes exactly the named alert; additionalLabels and enabled work', async () => {
    const all = await helmTemplate();
    const without = await helmTemplate({
      values: { prometheusRule: { disabledAlerts: ['ServiceProxyProgrammingSlow'], additionalLabels: { release: 'prom' } } },
    });
    assert.ok(alertNames(all).includes('ServiceProxyProgrammingSlow'));
    assert.deepEqual(
      alertNames(without),
      alertNames(all).filter((a) => a !== 'ServiceProxyProgrammingSlow'),
    );
    // every other rule, recording rules included, is unchanged
    const rest = (objs: K8sObject[]) =>
      (one(objs, 'PrometheusRule').spec.groups as any[]).map((g) => ({
        ...g,
        rules: g.rules.filter((r: any) => r.alert !== 'ServiceProxyProgrammingSlow'),
      }));
    assert.deepEqual(rest(without), rest(all));
    assert.equal(one(without, 'PrometheusRule').metadata.labels.release, 'prom');
    assert.deepEqual(find(await helmTemplate({ values: { prometheusRule: { enabled: false } } }), 'PrometheusRule'), []);
  });

  it('a disabledAlerts name that is no alert fails the render, naming the alerts', async () => {
    const r = await helmTemplateRaw({ values: { prometheusRule: { disabledAlerts: ['ServiceProxyProgramingSlow'] } } });
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /prometheusRule\.disabledAlerts: there is no alert "ServiceProxyProgramingSlow"; the alerts are .*ServiceProxyProgrammingSlow/,
    );
  });

  it('dashboards: the generated JSON, with the labels, annotations and namespace asked for; off renders none', async () => {
    const objs = await helmTemplate({
      values: { dashboards: { labels: { team: 'net' }, annotations: { grafana_folder: 'Network' }, namespace: 'monitoring' } },
    });
    const cm = one(objs, 'ConfigMap');
    assert.equal(cm.metadata.namespace, 'monitoring');
    assert.equal(cm.metadata.labels.grafana_dashboard, '1', 'the sidecar label stays (values merge)');
    assert.equal(cm.metadata.labels.team, 'net');
    assert.deepEqual(cm.metadata.annotations, { grafana_folder: 'Network' });
    const files = readdirSync(path.join(ROOT, 'dashboards')).filter((f) => f.endsWith('.json'));
    assert.deepEqual(Object.keys(cm.data).sort(), files.sort());
    for (const f of files) assert.equal(cm.data[f], readFileSync(path.join(ROOT, 'dashboards', f), 'utf8'), f);
    assert.deepEqual(find(await helmTemplate({ values: { dashboards: { enabled: false } } }), 'ConfigMap'), []);
  });

  it('networkPolicy.enabled: false renders none; rbac.create: false renders no roles', async () => {
    assert.deepEqual(find(await helmTemplate({ values: { networkPolicy: { enabled: false } } }), 'NetworkPolicy'), []);
    const objs = await helmTemplate({ values: { rbac: { create: false } } });
    for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']) assert.deepEqual(find(objs, kind), [], kind);
  });

  it('serviceAccount: an existing one by name, or a created one with annotations', async () => {
    const existing = await helmTemplate({ values: { serviceAccount: { create: false, name: 'mine' } } });
    assert.deepEqual(find(existing, 'ServiceAccount'), []);
    assert.equal(workload(existing).spec.template.spec.serviceAccountName, 'mine');
    assert.equal(one(existing, 'ClusterRoleBinding').subjects[0].name, 'mine');
    const created = await helmTemplate({ values: { serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:x' } } } });
    assert.deepEqual(one(created, 'ServiceAccount').metadata.annotations, { 'eks.amazonaws.com/role-arn': 'arn:x' });
  });

  it('webConfig: the Secret mounted as a directory, --web-config-file, HTTPS probes and an https ServiceMonitor', async () => {
    const tlsConfig = { ca: { secret: { name: 'spe-tls', key: 'ca.crt' } }, serverName: 'service-proxy-exporter' };
    const basicAuth = { username: { name: 'spe-auth', key: 'username' }, password: { name: 'spe-auth', key: 'password' } };
    const objs = await helmTemplate({ values: { webConfig: { secretName: 'spe-web' }, serviceMonitor: { tlsConfig, basicAuth } } });
    const spec = workload(objs).spec.template.spec;
    const c = container(objs);
    assert.ok(args(objs).includes('--web-config-file=/etc/service-proxy-exporter/web/web-config.yml'));
    assert.deepEqual(
      spec.volumes.find((v: any) => v.name === 'web-config'),
      { name: 'web-config', secret: { secretName: 'spe-web' } },
    );
    const mount = c.volumeMounts.find((m: any) => m.name === 'web-config');
    assert.deepEqual(
      mount,
      { name: 'web-config', mountPath: '/etc/service-proxy-exporter/web', readOnly: true },
      'no subPath: rotation reaches the pod',
    );
    assert.equal(c.livenessProbe.httpGet.scheme, 'HTTPS');
    assert.equal(c.readinessProbe.httpGet.scheme, 'HTTPS');
    const ep = one(objs, 'ServiceMonitor').spec.endpoints[0];
    assert.equal(ep.scheme, 'https');
    assert.deepEqual(ep.tlsConfig, tlsConfig);
    assert.deepEqual(ep.basicAuth, basicAuth);
    for (const o of objs) validateObject(o);

    const plain = await helmTemplate();
    assert.ok(!args(plain).some((a) => a.startsWith('--web-config-file')));
    assert.equal(container(plain).livenessProbe.httpGet.scheme, undefined);
  });

  it('image, pull secrets, scheduling, security contexts, resources and pod metadata come from values', async () => {
    const values = {
      image: { repository: 'my.registry/spx', tag: 'dev', pullPolicy: 'Always' },
      imagePullSecrets: [{ name: 'regcred' }],
      replicas: 2,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'role', operator: 'In', values: ['infra'] }] }],
          },
        },
      },
      tolerations: [{ key: 'infra', operator: 'Exists' }],
      priorityClassName: 'system-cluster-critical',
      podAnnotations: { 'example.com/a': 'b' },
      podLabels: { team: 'net' },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      nodeOptions: '--max-semi-space-size=1 --max-old-space-size=400',
      podSecurityContext: { runAsNonRoot: true, runAsUser: 1000 },
    };
    const objs = await helmTemplate({ values });
    const d = one(objs, 'Deployment');
    const spec = d.spec.template.spec;
    const c = container(objs);
    assert.equal(c.image, 'my.registry/spx:dev');
    assert.equal(c.imagePullPolicy, 'Always');
    assert.deepEqual(spec.imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(spec.nodeSelector, values.nodeSelector);
    assert.deepEqual(spec.affinity, values.affinity);
    assert.deepEqual(spec.tolerations, values.tolerations);
    assert.equal(spec.priorityClassName, 'system-cluster-critical');
    assert.equal(d.spec.template.metadata.annotations['example.com/a'], 'b');
    assert.equal(d.spec.template.metadata.labels.team, 'net');
    assert.deepEqual(c.resources, values.resources);
    assert.deepEqual(
      c.env.find((e: any) => e.name === 'NODE_OPTIONS'),
      { name: 'NODE_OPTIONS', value: values.nodeOptions },
    );
    // maps merge with the defaults (Helm): the shipped seccomp profile and group stay
    assert.equal(spec.securityContext.runAsUser, 1000);
    assert.deepEqual(spec.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    validateObject(d);

    const digest = 'sha256:' + 'a'.repeat(64);
    assert.equal(
      container(await helmTemplate({ values: { image: { digest } } })).image,
      `ghcr.io/service-proxy-exporter/service-proxy-exporter@${digest}`,
    );
  });

  it('names follow the release when fullnameOverride is cleared; the canary keeps the name the exporter looks up', async () => {
    const objs = await helmTemplate({ release: 'edge', values: { fullnameOverride: '' } });
    assert.equal(one(objs, 'Deployment').metadata.name, 'edge-service-proxy-exporter');
    assert.equal(find(objs, 'Service', 'edge-service-proxy-exporter').length, 1);
    assert.equal(find(objs, 'Service', CANARY).length, 1);
    assert.equal(find(objs, 'Service', AFFINITY).length, 1);
    assert.equal(exporterSettings(objs).settings.serviceName, 'edge-service-proxy-exporter', 'me_service probes this release’s Service');
    assert.equal(one(objs, 'ClusterRoleBinding').subjects[0].name, 'edge-service-proxy-exporter');
    // the rules and dashboards select job="service-proxy-exporter", which is the Service's name by default
    const relabelings = one(objs, 'ServiceMonitor').spec.endpoints[0].relabelings as any[];
    assert.deepEqual(relabelings.at(-1), { targetLabel: 'job', replacement: 'service-proxy-exporter', action: 'replace' });
    assert.ok(!(one(await helmTemplate(), 'ServiceMonitor').spec.endpoints[0].relabelings as any[]).some((r) => r.targetLabel === 'job'));
    assert.deepEqual(
      one(objs, 'Role')
        .rules.filter((r: any) => r.resourceNames)
        .map((r: any) => r.resourceNames),
      [
        [CANARY, `${CANARY}-ipv4`, `${CANARY}-ipv6`],
        ['ipv4-0', 'ipv4-1', 'ipv6-0', 'ipv6-1'].map((s) => `${AFFINITY}-${s}`),
        [CANARY],
        [CANARY, AFFINITY],
      ],
    );
  });

  it('NOTES.txt says how to see the verdict, and that the ServiceMonitor and PrometheusRule need their CRDs', async () => {
    const notes = await helmNotes();
    assert.match(notes, /kubectl -n service-proxy-exporter rollout status deployment\/service-proxy-exporter/);
    assert.match(notes, /kubectl -n service-proxy-exporter port-forward svc\/service-proxy-exporter 9808:9808/);
    assert.match(notes, /curl -s http:\/\/localhost:9808\/metrics \| grep -E '\^\(proxy_provider\|service_lb_functional\)'/);
    assert.match(notes, /status page.*http:\/\/localhost:9808\//);
    assert.match(notes, /NOTE: serviceMonitor\.enabled is true, but this cluster has no ServiceMonitor CRD/);
    assert.match(notes, /NOTE: prometheusRule\.enabled is true, but this cluster has no PrometheusRule CRD/);

    const quiet = await helmNotes({ values: { serviceMonitor: { enabled: false }, prometheusRule: { enabled: false } } });
    assert.doesNotMatch(quiet, /NOTE:/);

    const tls = await helmNotes({ values: { mode: 'daemonset', webConfig: { secretName: 'spe-web' } } });
    assert.match(tls, /rollout status daemonset\/service-proxy-exporter/);
    assert.match(tls, /curl -sk -u USER:PASSWORD https:\/\/localhost:9808\/metrics/);
  });

  it('values.schema.json rejects a misspelt value, naming it', async () => {
    for (const [values, name] of [
      [{ serviceMonitor: { enabeld: false } }, 'enabeld'],
      [{ prometheusRules: { enabled: false } }, 'prometheusRules'],
      [{ canary: { enable: false } }, 'enable'],
    ] as const) {
      const r = await helmTemplateRaw({ values });
      assert.notEqual(r.code, 0, `${JSON.stringify(values)} must be rejected`);
      assert.match(r.stderr, /values don't meet the specifications of the schema/);
      assert.match(r.stderr, new RegExp(`additional properties '${name}' not allowed`));
    }
    const bad = await helmTemplateRaw({ values: { probeInterval: '15 seconds' } });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /probeInterval/);
    const mode = await helmTemplateRaw({ values: { mode: 'statefulset' } });
    assert.notEqual(mode.code, 0);
    assert.match(mode.stderr, /mode/);
  });

  it('values.yaml documents every value the schema knows, and nothing else', () => {
    const values = parseYaml(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const schema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as { properties: Record<string, unknown> };
    assert.deepEqual(
      Object.keys(values).sort(),
      Object.keys(schema.properties)
        .filter((k) => k !== 'global')
        .sort(),
    );
  });
});

it('the schema’s duration pattern accepts exactly what the exporter parses as a duration', () => {
  const schema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as {
    properties: Record<string, { pattern?: string }>;
  };
  const pattern = new RegExp(schema.properties.probeInterval!.pattern!);
  for (const text of ['15s', '500ms', '1m30s', '2h', '1.5s', '15 seconds', '5', 's', '-1s', '']) {
    assert.equal(pattern.test(text), parseDuration(text) !== undefined, JSON.stringify(text));
  }
});
