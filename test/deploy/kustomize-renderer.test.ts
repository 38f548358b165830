// The own kustomize renderer (test/deploy/kustomize.ts), on small kustomizations that use each supported
// feature; where kubectl is installed each fixture is also checked against `kubectl kustomize`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseImage, renderKustomization, renderWithKubectl } from './kustomize.js';
import { HAS_KUBECTL, sortObjects } from './helpers.js';

let dir: string;

function write(rel: string, text: string): string {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return path.dirname(p);
}

const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: main
          image: example.org/team/web:1.0
          env: [{ name: A, value: "1" }]
        - name: side
          image: busybox
`;
const SVC = `apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80 }]
`;
const CR = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: reader }
rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: reader }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader }
subjects:
  - { kind: ServiceAccount, name: reader, namespace: default }
  - { kind: ServiceAccount, name: other, namespace: default }
  - { kind: ServiceAccount, name: reader, namespace: elsewhere }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: reader }
`;

/** Own render, compared with kubectl's when kubectl is installed. */
function renderChecked(d: string) {
  const own = sortObjects(renderKustomization(d));
  if (HAS_KUBECTL) assert.deepEqual(own, sortObjects(renderWithKubectl(d)), 'same as kubectl kustomize');
  return own;
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'spx-kustomize-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('own kustomize renderer', () => {
  it('namespace, labels (not selectors), images; cluster-scoped objects keep no namespace', () => {
    const d = write(
      'a/kustomization.yaml',
      `resources: [deploy.yaml, svc.yaml, cr.yaml]
namespace: shop
labels:
  - pairs: { team: blue }
    includeSelectors: false
images:
  - name: example.org/team/web
    newTag: "2.0"
  - name: busybox
    newName: registry.local/busybox
    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
`,
    );
    write('a/deploy.yaml', DEPLOY);
    write('a/svc.yaml', SVC);
    write('a/cr.yaml', CR);
    const objs = renderChecked(d);
    const dep: any = objs.find((o) => o.kind === 'Deployment');
    assert.equal(dep.metadata.namespace, 'shop');
    assert.equal(dep.metadata.labels.team, 'blue');
    assert.deepEqual(dep.spec.selector.matchLabels, { app: 'web' }, 'selectors untouched');
    assert.equal(dep.spec.template.spec.containers[0].image, 'example.org/team/web:2.0');
    assert.equal(dep.spec.template.spec.containers[1].image, 'registry.local/busybox@sha256:' + '0'.repeat(64));
    const cr: any = objs.find((o) => o.kind === 'ClusterRole');
    assert.equal(cr.metadata.namespace, undefined);
    const crb: any = objs.find((o) => o.kind === 'ClusterRoleBinding');
    assert.deepEqual(
      crb.subjects.map((s: any) => s.namespace),
      ['shop', 'default', 'elsewhere'],
      'only a subject in "default" naming one of its ServiceAccounts follows the namespace',
    );
  });

  it('commonLabels reach selectors and templates', () => {
    const d = write('b/kustomization.yaml', 'resources: [deploy.yaml, svc.yaml]\ncommonLabels: { tier: front }\n');
    write('b/deploy.yaml', DEPLOY);
    write('b/svc.yaml', SVC);
    const objs = renderChecked(d);
    const dep: any = objs.find((o) => o.kind === 'Deployment');
    assert.equal(dep.spec.selector.matchLabels.tier, 'front');
    assert.equal(dep.spec.template.metadata.labels.tier, 'front');
    const svc: any = objs.find((o) => o.kind === 'Service');
    assert.equal(svc.spec.selector.tier, 'front');
  });

  it('an overlay: $patch: delete, strategic merge by name, JSON6902', () => {
    write('base/kustomization.yaml', 'resources: [deploy.yaml, svc.yaml]\n');
    write('base/deploy.yaml', DEPLOY);
    write('base/svc.yaml', SVC);
    const d = write(
      'overlay/kustomization.yaml',
      `resources: [../base]
patches:
  - path: delete-svc.yaml
  - patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web }
      spec:
        template:
          spec:
            containers:
              - name: main
                env: [{ name: B, value: "2" }, { name: A, value: "3" }]
  - target: { kind: Deployment, name: web }
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/1/image
        value: busybox:1.36
      - op: add
        path: /spec/replicas
        value: 3
`,
    );
    write('overlay/delete-svc.yaml', '$patch: delete\napiVersion: v1\nkind: Service\nmetadata: { name: web }\n');
    const objs = renderChecked(d);
    assert.deepEqual(
      objs.map((o) => o.kind),
      ['Deployment'],
    );
    const dep: any = objs[0];
    assert.equal(dep.spec.replicas, 3);
    assert.equal(dep.spec.template.spec.containers.length, 2, 'containers merged by name, not replaced');
    assert.equal(dep.spec.template.spec.containers[0].image, 'example.org/team/web:1.0');
    assert.equal(dep.spec.template.spec.containers[1].image, 'busybox:1.36');
    assert.deepEqual(dep.spec.template.spec.containers[0].env, [
      { name: 'B', value: '2' },
      { name: 'A', value: '3' },
    ]);
  });

  it('refuses what kustomize refuses: an overlay inside its base, files outside the root', () => {
    write('c/kustomization.yaml', 'resources: [svc.yaml]\n');
    write('c/svc.yaml', SVC);
    const inner = write('c/overlays/x/kustomization.yaml', 'resources: [../../]\n');
    assert.throws(() => renderKustomization(inner), /cycle detected/);
    const outside = write('d/kustomization.yaml', 'resources: [../c/svc.yaml]\n');
    assert.throws(() => renderKustomization(outside), /outside the kustomization root/);
    if (HAS_KUBECTL) {
      assert.throws(() => renderWithKubectl(inner));
      assert.throws(() => renderWithKubectl(outside));
    }
  });

  it('fails loudly on kustomization fields it does not implement', () => {
    const d = write('e/kustomization.yaml', 'resources: [svc.yaml]\nnamePrefix: x-\n');
    write('e/svc.yaml', SVC);
    assert.throws(() => renderKustomization(d), /namePrefix.*not supported/);
  });

  it('fails on a patch that matches nothing and on duplicate objects', () => {
    const d = write('f/kustomization.yaml', 'resources: [svc.yaml]\npatches:\n  - path: p.yaml\n');
    write('f/svc.yaml', SVC);
    write('f/p.yaml', '$patch: delete\napiVersion: v1\nkind: Service\nmetadata: { name: nope }\n');
    assert.throws(() => renderKustomization(d), /matches no object/);
    const dup = write('g/kustomization.yaml', 'resources: [svc.yaml, svc2.yaml]\n');
    write('g/svc.yaml', SVC);
    write('g/svc2.yaml', SVC);
    assert.throws(() => renderKustomization(dup), /duplicate object/);
  });

  it('components: applied in order to what the resources rendered; patch targets are anchored regular expressions', () => {
    write('cbase/kustomization.yaml', 'resources: [deploy.yaml, svc.yaml]\n');
    write('cbase/deploy.yaml', DEPLOY);
    write('cbase/svc.yaml', SVC);
    write(
      'comp/one/kustomization.yaml',
      `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources: [cm.yaml]
patches:
  - target: { group: apps, kind: Deployment|DaemonSet, name: web }
    patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web }
      spec:
        template:
          spec:
            containers:
              - name: main
                env: [{ name: FROM_COMPONENT, value: "1" }]
  - target: { kind: Serv.* }
    patch: |-
      - op: add
        path: /metadata/annotations
        value: { touched: "yes" }
`,
    );
    write('comp/one/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: extra }\ndata: { a: "1" }\n');
    write(
      'comp/two/kustomization.yaml',
      `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - target: { kind: ConfigMap, name: extra }
    patch: |-
      - op: replace
        path: /data/a
        value: "2"
`,
    );
    const d = write('cover/kustomization.yaml', 'resources: [../cbase]\ncomponents: [../comp/one, ../comp/two]\nnamespace: shop\n');
    const objs = renderChecked(d);
    const dep: any = objs.find((o) => o.kind === 'Deployment');
    assert.deepEqual(dep.spec.template.spec.containers[0].env, [
      { name: 'FROM_COMPONENT', value: '1' },
      { name: 'A', value: '1' },
    ]);
    assert.equal((objs.find((o) => o.kind === 'Service') as any).metadata.annotations.touched, 'yes');
    const cm: any = objs.find((o) => o.kind === 'ConfigMap');
    assert.equal(cm.data.a, '2', "the second component sees the first one's resources");
    assert.equal(cm.metadata.namespace, 'shop', "the parent's transformers run after its components");
    assert.throws(() => renderKustomization(path.join(dir, 'comp/one')), /Component cannot be rendered on its own/);
  });

  it('parses image references', () => {
    assert.deepEqual(parseImage('ghcr.io/a/b:0.1.0'), { name: 'ghcr.io/a/b', tag: '0.1.0' });
    assert.deepEqual(parseImage('localhost:5000/b'), { name: 'localhost:5000/b' });
    assert.deepEqual(parseImage('b:1@sha256:ab'), { name: 'b', tag: '1', digest: 'sha256:ab' });
  });
});
