// The Helm chart and manifests/ are two ways to install the same objects: rendered with its defaults (and with
// mode: daemonset), the chart gives exactly the objects of `kubectl apply -k manifests/` (and of the daemonset
// overlay), object by object. The only differences allowed are the ones docs/deploy.md "Helm" lists:
//   - no Namespace object: Helm installs into the release namespace (`--create-namespace`);
//   - the canary's Lease, which the chart creates empty so that `helm uninstall` removes it (manifests/ leaves
//     it to the exporter, and `kubectl delete -k manifests/` deletes the whole namespace with it);
//   - Helm's standard labels (helm.sh/chart, app.kubernetes.io/instance, app.kubernetes.io/version,
//     app.kubernetes.io/managed-by: Helm) where kustomize puts app.kubernetes.io/managed-by: kustomize, and
//     app.kubernetes.io/part-of on the pod template too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { objectId } from './kustomize.js';
import { INSTALLS, ROOT, render, sortObjects, validateObject, type K8sObject } from './helpers.js';
import { CHART, RELEASE, RELEASE_NAMESPACE, helmSkip, helmTemplate } from './helm.js';

const HELM_LABELS = ['helm.sh/chart', 'app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by'];
/** Labels the two installs set differently, by design (the header lists why). */
const DIFFERING_LABELS = [...HELM_LABELS, 'app.kubernetes.io/part-of'];

function stripLabels(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!labels) return undefined;
  const kept = Object.fromEntries(Object.entries(labels).filter(([k]) => !DIFFERING_LABELS.includes(k)));
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function normalize(o: K8sObject): K8sObject {
  const c = structuredClone(o) as any;
  const labels = stripLabels(c.metadata.labels);
  if (labels) c.metadata.labels = labels;
  else delete c.metadata.labels;
  const template = c.spec?.template?.metadata;
  if (template?.labels) template.labels = stripLabels(template.labels);
  return c;
}

const chartVersion = /^version: (\S+)$/m.exec(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8'))![1];

function assertSameObjects(chart: K8sObject[], manifests: K8sObject[]): void {
  const want = sortObjects(manifests.filter((o) => o.kind !== 'Namespace')).map(normalize);
  const got = sortObjects(chart.filter((o) => o.kind !== 'Lease')).map(normalize);
  assert.deepEqual(got.map(objectId), want.map(objectId), 'the same objects, by kind, namespace and name');
  for (let i = 0; i < want.length; i++) assert.deepEqual(got[i], want[i], `${objectId(want[i]!)} differs between the chart and manifests/`);
}

describe('the chart renders what manifests/ renders', { skip: await helmSkip() }, () => {
  it('with defaults: the objects of `kubectl apply -k manifests/`', async () => {
    const chart = await helmTemplate();
    assertSameObjects(chart, render(INSTALLS.deployment.dir));
  });

  it('with mode: daemonset: the objects of `kubectl apply -k manifests/overlays/daemonset`', async () => {
    const chart = await helmTemplate({ values: { mode: 'daemonset' } });
    assertSameObjects(chart, render(INSTALLS.daemonset.dir));
  });

  it('the differences are only Helm’s standard labels, with this release’s values, on every object', async () => {
    for (const o of await helmTemplate()) {
      const labels = o.metadata.labels ?? {};
      assert.equal(labels['helm.sh/chart'], `service-proxy-exporter-${chartVersion}`, objectId(o));
      assert.equal(labels['app.kubernetes.io/instance'], RELEASE, objectId(o));
      assert.equal(labels['app.kubernetes.io/managed-by'], 'Helm', objectId(o));
      assert.equal(labels['app.kubernetes.io/part-of'], 'service-proxy-exporter', objectId(o));
      if (o.metadata.namespace !== undefined) assert.equal(o.metadata.namespace, RELEASE_NAMESPACE, objectId(o));
    }
  });

  it('every rendered object validates against its Kubernetes or Prometheus Operator schema', async () => {
    for (const mode of ['deployment', 'daemonset']) {
      for (const o of await helmTemplate({ values: { mode } })) validateObject(o);
    }
  });

  it('the chart’s appVersion is the exporter’s version (the default image tag)', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.match(
      readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8'),
      new RegExp(`^appVersion: "${pkg.version.replaceAll('.', '\\.')}"$`, 'm'),
    );
  });
});
