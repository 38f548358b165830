// The rules: one source rendered twice (rules file and PrometheusRule) that agree, every alert with its
// labels/annotations and runbook, and promtool's check and unit tests passing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ALERTING_RULES, RULE_GROUPS, RUNBOOK_BASE_URL } from '../../src/artifacts/rules.js';
import { COMMON_LABELS, NAMESPACE, PROMETHEUS_RULE_FILE, RULES_FILE } from '../../src/artifacts/render.js';
import { PROMTOOL, ROOT, requireBinary } from './helpers.js';

const run = promisify(execFile);

const ISSUE_ALERTS = [
  'KubeProxyDown',
  'ServiceProxyMissing',
  'ServiceProxyConflict',
  'ServiceLoadBalancingBroken',
  'ServiceBackendUnavailable',
  'ServiceProxyAgentsUnavailable',
  'ServiceProxyConfigInvalid',
  'ServiceProxyExporterDown',
  'ServiceProxyExporterSourceDown',
  'ServiceProxyAgentUnhealthy',
  'ServiceProxySyncStale',
  'ServiceProxyProgrammingStalled',
  'ServiceProxyProgrammingSlow',
  // two rules (critical, warning), one alert and runbook
  'ServiceHealthCheckNodePortWrong',
  'ServiceHealthCheckNodePortWrong',
  'ServiceProxyStaleConntrack',
  // the behaviour checks: session_affinity and hairpin, one alert
  'ServiceProxyBehaviourBroken',
];
const ALERT_NAMES = [...new Set(ISSUE_ALERTS)];

const rulesFile = parse(readFileSync(resolve(ROOT, RULES_FILE), 'utf8')) as { groups: unknown[] };
const promRuleDocs = parseAllDocuments(readFileSync(resolve(ROOT, PROMETHEUS_RULE_FILE), 'utf8')).map((d) => d.toJSON());

test('exactly the alerts the issue names', () => {
  assert.deepEqual(ALERTING_RULES.map((r) => r.alert).sort(), [...ISSUE_ALERTS].sort());
});

test('the rules file and the PrometheusRule carry the same groups', () => {
  assert.equal(promRuleDocs.length, 1);
  const pr = promRuleDocs[0] as { spec: { groups: unknown[] } };
  assert.deepEqual(pr.spec.groups, rulesFile.groups);
  assert.equal((rulesFile.groups as { name: string }[]).length, RULE_GROUPS.length);
});

test('the PrometheusRule is a valid monitoring.coreos.com/v1 object with the expected metadata', () => {
  const obj = promRuleDocs[0] as { metadata: { namespace: string; name: string; labels: Record<string, string> } };
  new PrometheusRule(obj as never).validate();
  assert.equal(obj.metadata.namespace, NAMESPACE);
  assert.equal(obj.metadata.name, 'service-proxy-exporter');
  for (const [k, v] of Object.entries(COMMON_LABELS)) assert.equal(obj.metadata.labels[k], v);
  assert.ok(obj.metadata.labels.release, 'release label for the kube-prometheus-stack ruleSelector');
});

test('every alert has severity, summary, description and a runbook_url whose runbook exists', () => {
  type R = { alert?: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  const alerts = (rulesFile.groups as { rules: R[] }[]).flatMap((g) => g.rules).filter((r) => r.alert);
  assert.equal(alerts.length, ISSUE_ALERTS.length);
  for (const a of alerts) {
    const name = a.alert!;
    assert.match(a.labels?.severity ?? '', /^(critical|warning|info)$/, `${name} severity`);
    assert.ok(a.annotations?.summary, `${name} summary`);
    assert.ok(a.annotations?.description, `${name} description`);
    assert.equal(a.annotations?.runbook_url, `${RUNBOOK_BASE_URL}/${name}.md`, `${name} runbook_url`);
    assert.match(a.for ?? '', /^\d+m$/, `${name} for:`);
    const runbook = resolve(ROOT, 'docs/runbooks', `${name}.md`);
    assert.ok(existsSync(runbook), `${runbook} exists`);
    const text = readFileSync(runbook, 'utf8');
    assert.match(text, new RegExp(`^# ${name}$`, 'm'), `${name} runbook title`);
    for (const section of ['Meaning', 'Impact', 'Diagnosis', 'Mitigation']) {
      assert.match(text, new RegExp(`^## ${section}`, 'm'), `${name} runbook has ## ${section}`);
    }
    assert.match(text, /(service-proxy-exporter|cli\/main\.js) diagnose/, `${name} runbook uses diagnose`);
  }
  const index = readFileSync(resolve(ROOT, 'docs/runbooks/README.md'), 'utf8');
  for (const name of ALERT_NAMES) assert.ok(index.includes(`(${name}.md)`), `runbook index links ${name}`);
  const runbooks = readdirSync(resolve(ROOT, 'docs/runbooks')).filter((f) => f !== 'README.md');
  assert.deepEqual(runbooks.sort(), ALERT_NAMES.map((a) => `${a}.md`).sort(), 'one runbook per alert, no strays');
});

test('the critical ones are the ones users are paged for', () => {
  const sev = Object.fromEntries(ALERTING_RULES.map((r) => [r.alert, r.labels.severity]));
  assert.equal(sev.KubeProxyDown, 'critical', 'drop-in for the critical kubernetes-mixin alert');
  assert.equal(sev.ServiceLoadBalancingBroken, 'critical');
  assert.equal(sev.ServiceBackendUnavailable, 'warning', "a backend's own fault is not the proxy's: it never pages");
  assert.equal(sev.ServiceProxyProgrammingStalled, 'critical', 'the data plane no longer takes changes');
  assert.equal(sev.ServiceProxyProgrammingSlow, 'warning');
  const hc = ALERTING_RULES.filter((r) => r.alert === 'ServiceHealthCheckNodePortWrong').map((r) => r.labels.severity);
  assert.deepEqual(hc.sort(), ['critical', 'warning'], 'a node port black-holing traffic pages; other disagreement warns');
  assert.equal(sev.ServiceProxyStaleConntrack, 'critical', 'long-lived UDP clients black-holed');
  assert.equal(sev.ServiceProxyBehaviourBroken, 'warning', 'a Service feature misbehaves; Services still answer');
});

test('promtool check rules', async (t) => {
  if (!requireBinary(t, PROMTOOL)) return;
  const { stdout } = await run(PROMTOOL, ['check', 'rules', resolve(ROOT, RULES_FILE)]);
  assert.match(stdout, /SUCCESS: \d+ rules found/);
});

test('promtool test rules rules/tests/*.yml', async (t) => {
  if (!requireBinary(t, PROMTOOL)) return;
  const dir = resolve(ROOT, 'rules/tests');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => resolve(dir, f));
  assert.ok(files.length >= 4, 'unit test files present');
  try {
    const { stdout } = await run(PROMTOOL, ['test', 'rules', ...files]);
    assert.doesNotMatch(stdout, /FAILED/);
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    assert.fail(`promtool test rules failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
});

test('the unit tests cover what the issue asks for', () => {
  const text = readdirSync(resolve(ROOT, 'rules/tests'))
    .filter((f) => f.endsWith('.yml'))
    .map((f) => readFileSync(resolve(ROOT, 'rules/tests', f), 'utf8'))
    .join('\n');
  for (const scenario of [
    'cilium-kpr without any kube-proxy series does not fire',
    'kube-proxy provider with up{job="kube-proxy"} gone for 15m fires',
    'migration from kube-proxy to cilium-kpr pages nothing',
    'load-balancing broken for the for-window pages',
    'exporter target gone fires ServiceProxyExporterDown',
    'flapping probe does not page',
    'app answering 500 pages nothing',
    'app with every pod down pages nothing',
    'cluster DNS down warns, does not page',
    'VIP refused while the endpoint answers pages, naming the probe',
    'node port broken pages, naming the probe',
    'no VIP reaching any backend pages and warns',
    'one IP family broken on a dual-stack Service pages, naming the family',
    'canary change pending over 60s for 5m pages',
    'canary programmed within seconds is quiet',
    'p99 programming latency above 30s warns',
    'health-check node port answering 200 without an endpoint for 5m pages',
    'health-check node port refusing a node with an endpoint warns',
    'session affinity ignored for 15m warns, naming the check and the node',
    'hairpin broken on the canary writer warns',
    'a behaviour check failing in bursts under 15m does not warn',
    'a behaviour check that does not apply warns about nothing',
  ]) {
    assert.ok(text.includes(`name: ${scenario}`), scenario);
  }
  for (const a of ALERT_NAMES) assert.ok(text.includes(`alertname: ${a}`), `some unit test evaluates ${a}`);
});
