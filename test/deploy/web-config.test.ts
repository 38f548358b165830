// Securing /metrics with kustomize: manifests/overlays/tls and the two components render (kubectl and the
// project's renderer alike, on either install mode), wire the exporter to the README's web config, keep
// the kubelet's probes working over HTTPS and point the ServiceMonitor at https with the CA and the
// scrape credentials. The base stays plain HTTP.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { envName } from '../../src/config/options.js';
import { parseWebConfig } from '../../src/config/web-config.js';
import { objectId, renderKustomization } from './kustomize.js';
import { HAS_KUBECTL, INSTALLS, MANIFESTS, ROOT, find, one, render, sortObjects, validateObject, type K8sObject } from './helpers.js';

const TLS_OVERLAY = path.join(MANIFESTS, 'overlays', 'tls');
const COMPONENTS = ['web-config', 'basic-auth'].map((c) => path.join(MANIFESTS, 'components', c));

// Daemonset mode with both components: what README tells daemonset users to write.
const tmp = mkdtempSync(path.join(tmpdir(), 'spx-kust-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const rel = (p: string) => path.relative(tmp, p); // kustomize refuses absolute paths
writeFileSync(
  path.join(tmp, 'kustomization.yaml'),
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${rel(INSTALLS.daemonset.dir)}\ncomponents:\n${COMPONENTS.map((c) => `  - ${rel(c)}\n`).join('')}`,
);

const rendered = {
  deployment: render(TLS_OVERLAY),
  daemonset: render(tmp),
};
const plain = { deployment: render(INSTALLS.deployment.dir), daemonset: render(INSTALLS.daemonset.dir) };
const WORKLOAD = { deployment: 'Deployment', daemonset: 'DaemonSet' } as const;
type Mode = keyof typeof rendered;

/** The README's example web-config.yml, parsed as the exporter parses it. */
function readmeWebConfig() {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = /```yaml\n(# web-config\.yml\n[\s\S]*?)```/.exec(readme);
  assert.ok(m, 'README has a ```yaml block starting with "# web-config.yml"');
  return m[1]!;
}

function container(objs: K8sObject[], mode: Mode): any {
  return one(objs, WORKLOAD[mode]).spec.template.spec.containers[0];
}

function mountedSecretDir(objs: K8sObject[], mode: Mode, file: string): string | undefined {
  const pod = one(objs, WORKLOAD[mode]).spec.template.spec;
  const m = (container(objs, mode).volumeMounts as any[]).find((v) => file.startsWith(`${v.mountPath}/`));
  return m && (pod.volumes as any[]).find((v) => v.name === m.name)?.secret?.secretName;
}

describe('securing /metrics with kustomize', () => {
  for (const mode of ['deployment', 'daemonset'] as const) {
    const objs = rendered[mode];

    it(`${mode}: every object validates, and only the workload and the ServiceMonitor differ from the plain install`, () => {
      for (const o of objs) validateObject(o);
      const others = (list: K8sObject[]) => list.filter((o) => o.kind !== WORKLOAD[mode] && o.kind !== 'ServiceMonitor');
      assert.deepEqual(others(objs), others(plain[mode]));
    });

    it(`${mode}: the exporter reads the web config from its Secret, and the README's example file finds its certificate there`, () => {
      const c = container(objs, mode);
      const env = (c.env as any[]).find((e) => e.name === envName('web-config-file'));
      assert.ok(env, `${envName('web-config-file')} is set`);
      assert.equal(mountedSecretDir(objs, mode, env.value), 'service-proxy-exporter-web-config');
      assert.equal(path.basename(env.value), 'web-config.yml', 'the key the README creates the Secret from');
      for (const m of c.volumeMounts as any[]) assert.equal(m.subPath, undefined, 'no subPath: rotated files would never show');
      const web = parseWebConfig(readmeWebConfig(), env.value);
      assert.ok(web.tls && Object.keys(web.basicAuthUsers).length > 0, 'the example has TLS and a user');
      assert.equal(mountedSecretDir(objs, mode, web.tls.certFile), 'service-proxy-exporter-tls');
      assert.equal(mountedSecretDir(objs, mode, web.tls.keyFile), 'service-proxy-exporter-tls');
    });

    it(`${mode}: the kubelet probes /healthz and /readyz over HTTPS (open paths: it sends no credentials)`, () => {
      const c = container(objs, mode);
      assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'metrics', scheme: 'HTTPS' });
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'metrics', scheme: 'HTTPS' });
    });

    it(`${mode}: the ServiceMonitor scrapes over https, trusting the CA of the served certificate, with the scrape credentials`, () => {
      const ep = one(objs, 'ServiceMonitor').spec.endpoints[0];
      assert.equal(ep.scheme, 'https');
      assert.deepEqual(ep.tlsConfig.ca, { secret: { name: 'service-proxy-exporter-tls', key: 'ca.crt' } });
      // the exporter Service's DNS name: what the README tells users to put in the certificate
      const [svc] = find(objs, 'Service', 'service-proxy-exporter');
      assert.ok(svc);
      assert.equal(ep.tlsConfig.serverName, `${svc.metadata.name}.${svc.metadata.namespace}.svc`);
      assert.deepEqual(ep.basicAuth, {
        username: { name: 'service-proxy-exporter-scrape-auth', key: 'username' },
        password: { name: 'service-proxy-exporter-scrape-auth', key: 'password' },
      });
      // everything else of the endpoint as in the plain install (port, path, relabelings)
      const { scheme: _s, tlsConfig: _t, basicAuth: _b, ...rest } = ep;
      assert.deepEqual(rest, one(plain[mode], 'ServiceMonitor').spec.endpoints[0]);
    });

    it(
      `${mode}: the project's own renderer gives the same objects as kubectl kustomize`,
      { skip: HAS_KUBECTL ? false : 'kubectl not installed: the tests above used the own renderer' },
      () => {
        const own = sortObjects(renderKustomization(mode === 'deployment' ? TLS_OVERLAY : tmp));
        assert.deepEqual(own.map(objectId), objs.map(objectId));
        assert.deepEqual(own, objs);
      },
    );
  }

  it('the base is unchanged: plain HTTP, no web config, no Secret mounted', () => {
    for (const mode of ['deployment', 'daemonset'] as const) {
      const c = container(plain[mode], mode);
      assert.ok(!(c.env as any[]).some((e) => e.name === envName('web-config-file')));
      assert.equal(c.livenessProbe.httpGet.scheme, undefined);
      assert.ok(!JSON.stringify(one(plain[mode], WORKLOAD[mode])).includes('"secret"'));
      const ep = one(plain[mode], 'ServiceMonitor').spec.endpoints[0];
      assert.equal(ep.scheme, undefined);
      assert.equal(ep.tlsConfig, undefined);
    }
  });
});
