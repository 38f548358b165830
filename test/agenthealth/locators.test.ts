// Where each provider's own health endpoint is found: flags, ConfigMap keys, FelixConfiguration,
// defaults, and the versions/configs that serve none. Snapshots go through detection first, as in
// the exporter.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detect } from '../../src/components/decide.js';
import { locateFor } from '../../src/agenthealth/locate.js';
import { parseBindAddress } from '../../src/components/health.js';
import type { HealthLocation } from '../../src/agenthealth/types.js';
import {
  CALICO_CRDS,
  ciliumConfig,
  ciliumDs,
  ciliumPod,
  configMap,
  customResource,
  daemonSet,
  kubeProxyDs,
  kubeProxyPod,
  node,
  pod,
  snap,
  twoNodes,
} from '../../testkit/objects/minimal.js';

function locate(
  objects: object[],
  opts: Parameters<typeof snap>[1] = {},
  sources: Record<string, 'forbidden'> = {},
): HealthLocation | undefined {
  const s = snap(objects, opts);
  Object.assign(s.sources, sources);
  return locateFor(detect(s), s);
}

function served(l: HealthLocation | undefined): { port: number; path: string; bodyFormat: string } {
  assert.ok(l && l.served, `expected an endpoint, got ${JSON.stringify(l)}`);
  return { port: l.port, path: l.path, bodyFormat: l.bodyFormat };
}

function notServed(l: HealthLocation | undefined, why: RegExp): void {
  assert.ok(l && !l.served, `expected not served, got ${JSON.stringify(l)}`);
  assert.match(l.reason, why);
}

const kpConfig = (extra: string) =>
  configMap('kube-system', 'kube-proxy', {
    'config.conf': `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ""\n${extra}`,
  });

const kubeProxy = (o: { image?: string; command?: string[]; config?: object } = {}) => [
  ...twoNodes(),
  kubeProxyDs({ ...(o.image ? { image: o.image } : {}), ...(o.command ? { command: o.command } : {}) }),
  kubeProxyPod('node-aaaa1', o.image ? { image: o.image } : {}),
  kubeProxyPod('node-bbbb2', o.image ? { image: o.image } : {}),
  ...(o.config ? [o.config] : []),
];

describe('kube-proxy', () => {
  it('defaults to :10256 and asks /livez from 1.28 (KEP-3836), /healthz before', () => {
    assert.deepEqual(served(locate(kubeProxy({ image: 'registry.k8s.io/kube-proxy:v1.31.2', config: kpConfig('') }))), {
      port: 10256,
      path: '/livez',
      bodyFormat: 'kube-proxy-json',
    });
    assert.deepEqual(served(locate(kubeProxy({ image: 'registry.k8s.io/kube-proxy:v1.27.9', config: kpConfig('') }))), {
      port: 10256,
      path: '/healthz',
      bodyFormat: 'kube-proxy-json',
    });
    assert.equal(
      served(locate(kubeProxy({ image: 'registry.k8s.io/kube-proxy@sha256:' + 'a'.repeat(64), config: kpConfig('') }))).path,
      '/healthz',
    );
  });

  it('reads healthzBindAddress from the KubeProxyConfiguration ConfigMap', () => {
    assert.equal(served(locate(kubeProxy({ config: kpConfig('healthzBindAddress: 0.0.0.0:10999\n') }))).port, 10999);
    assert.equal(served(locate(kubeProxy({ config: kpConfig('healthzBindAddress: "[::]:10257"\n') }))).port, 10257);
  });

  it('reads the EKS ConfigMap kube-proxy-config/config', () => {
    const eks = configMap('kube-system', 'kube-proxy-config', {
      config: 'kind: KubeProxyConfiguration\nhealthzBindAddress: 0.0.0.0:10300\nmode: iptables\n',
    });
    assert.equal(served(locate(kubeProxy({ config: eks }))).port, 10300);
  });

  it('an empty or loopback healthzBindAddress serves nothing reachable', () => {
    notServed(locate(kubeProxy({ config: kpConfig('healthzBindAddress: ""\n') })), /off/);
    notServed(locate(kubeProxy({ config: kpConfig('healthzBindAddress: 127.0.0.1:10256\n') })), /127\.0\.0\.1/);
  });

  it('--healthz-bind-address without --config; ignored when --config is given (kubernetes#107156)', () => {
    assert.equal(served(locate(kubeProxy({ command: ['kube-proxy', '--healthz-bind-address=0.0.0.0:12000'] }))).port, 12000);
    assert.equal(
      served(
        locate(
          kubeProxy({
            command: ['kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--healthz-bind-address=0.0.0.0:12000'],
            config: kpConfig(''),
          }),
        ),
      ).port,
      10256,
    );
  });

  it('an unparseable config says so instead of guessing', () => {
    notServed(locate(kubeProxy({ config: configMap('kube-system', 'kube-proxy', { 'config.conf': '[[[' }) })), /not a YAML/);
  });

  it('k3s binds its embedded kube-proxy to 127.0.0.1 unless --kube-proxy-arg says otherwise', () => {
    const k3s = (args: string[]) => [
      node('k3s-1', { annotations: { 'k3s.io/node-args': JSON.stringify(['server', ...args]) }, kubeletVersion: 'v1.31.4+k3s1' }),
    ];
    notServed(locate(k3s([])), /127\.0\.0\.1/);
    assert.equal(served(locate(k3s(['--kube-proxy-arg', 'healthz-bind-address=0.0.0.0:10256']))).port, 10256);
  });
});

describe('Cilium', () => {
  const cilium = (version: string, data: Record<string, string>, args?: string[]) => {
    const ds = ciliumDs(version) as any;
    if (args) ds.spec.template.spec.containers[0].args = args;
    return [
      ...twoNodes(),
      ds,
      ciliumPod('node-aaaa1', version),
      ciliumPod('node-bbbb2', version),
      ciliumConfig({ 'kube-proxy-replacement': 'true', ...data }),
    ];
  };

  it('kube-proxy-replacement-healthz-bind-address in cilium-config', () => {
    assert.deepEqual(served(locate(cilium('v1.18.3', { 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' }))), {
      port: 10256,
      path: '/healthz',
      bodyFormat: 'kube-proxy-json',
    });
    assert.equal(served(locate(cilium('v1.18.3', { 'kube-proxy-replacement-healthz-bind-address': ':10266' }))).port, 10266);
  });

  it('the agent flag wins over the ConfigMap', () => {
    const l = locate(
      cilium('v1.18.3', { 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' }, [
        '--config-dir=/tmp/cilium/config-map',
        '--kube-proxy-replacement-healthz-bind-address=0.0.0.0:10400',
      ]),
    );
    assert.equal(served(l).port, 10400);
  });

  it("unset (Cilium's default) is not served, named after kpr_healthz_unset", () => {
    notServed(locate(cilium('v1.18.3', {})), /kpr_healthz_unset/);
    notServed(locate(cilium('v1.18.3', { 'kube-proxy-replacement-healthz-bind-address': '' })), /empty/);
  });

  it('versions before 1.9 have no such server', () => {
    notServed(locate(cilium('v1.8.6', { 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' })), /1\.9/);
  });

  it('an unreadable cilium-config is not guessed', () => {
    notServed(
      locate(
        cilium('v1.18.3', { 'kube-proxy-replacement-healthz-bind-address': '0.0.0.0:10256' }),
        {},
        { 'configmap/cilium-config': 'forbidden' },
      ),
      /cannot be read/,
    );
  });
});

describe('Calico eBPF', () => {
  const calico = (version: string, felixSpec: object, env: Record<string, string> = {}) => [
    ...twoNodes(),
    daemonSet('calico-system', 'calico-node', {
      podLabels: { 'k8s-app': 'calico-node' },
      containers: [{ name: 'calico-node', image: `quay.io/calico/node:${version}`, env }],
    }),
    pod('calico-system', 'calico-node-aaaa1', {
      labels: { 'k8s-app': 'calico-node' },
      nodeName: 'node-aaaa1',
      owner: 'DaemonSet/calico-node',
      containers: [{ name: 'calico-node', image: `quay.io/calico/node:${version}` }],
    }),
    pod('calico-system', 'calico-node-bbbb2', {
      labels: { 'k8s-app': 'calico-node' },
      nodeName: 'node-bbbb2',
      owner: 'DaemonSet/calico-node',
      containers: [{ name: 'calico-node', image: `quay.io/calico/node:${version}` }],
    }),
    customResource('crd.projectcalico.org/v1', 'FelixConfiguration', 'default', { bpfEnabled: true, ...felixSpec }),
  ];
  const opts = { installedCrds: CALICO_CRDS };

  it('BPFKubeProxyHealthzPort defaults to 10256 from 3.30', () => {
    assert.deepEqual(served(locate(calico('v3.30.3', {}), opts)), { port: 10256, path: '/healthz', bodyFormat: 'kube-proxy-json' });
  });

  it('FelixConfiguration spec.bpfKubeProxyHealthzPort moves it; 0 turns it off', () => {
    assert.equal(served(locate(calico('v3.31.0', { bpfKubeProxyHealthzPort: 10258 }), opts)).port, 10258);
    notServed(locate(calico('v3.32.0', { bpfKubeProxyHealthzPort: 0 }), opts), /off/);
  });

  it('FELIX_BPFKUBEPROXYHEALTHZPORT on calico-node wins over the FelixConfiguration', () => {
    assert.equal(
      served(
        locate(
          calico('v3.30.3', { bpfKubeProxyHealthzPort: 10258 }, { FELIX_BPFENABLED: 'true', FELIX_BPFKUBEPROXYHEALTHZPORT: '10259' }),
          opts,
        ),
      ).port,
      10259,
    );
  });

  it('versions before 3.30 serve none', () => {
    notServed(locate(calico('v3.29.4', {}), opts), /3\.30/);
  });
});

describe('kube-router', () => {
  const kubeRouter = (args: string[]) => [
    ...twoNodes(),
    daemonSet('kube-system', 'kube-router', {
      podLabels: { 'k8s-app': 'kube-router' },
      containers: [{ name: 'kube-router', image: 'docker.io/cloudnativelabs/kube-router:v2.4.1', args }],
    }),
    pod('kube-system', 'kube-router-aaaa1', {
      labels: { 'k8s-app': 'kube-router' },
      nodeName: 'node-aaaa1',
      owner: 'DaemonSet/kube-router',
      containers: [{ name: 'kube-router', image: 'docker.io/cloudnativelabs/kube-router:v2.4.1', args }],
    }),
  ];

  it('--health-port, default 20244, text body', () => {
    assert.deepEqual(served(locate(kubeRouter(['--run-router=true']))), { port: 20244, path: '/healthz', bodyFormat: 'text' });
    assert.equal(served(locate(kubeRouter(['--health-port=20300']))).port, 20300);
  });

  it('--health-port=0 serves no HTTP', () => {
    notServed(locate(kubeRouter(['--health-port=0'])), /0/);
  });
});

describe('providers without an endpoint', () => {
  it('Antrea proxyAll and OVN-Kubernetes are not served, with a reason', () => {
    const antrea = [
      ...twoNodes(),
      daemonSet('kube-system', 'antrea-agent', {
        podLabels: { app: 'antrea', component: 'antrea-agent' },
        containers: [{ name: 'antrea-agent', image: 'antrea/antrea-agent-ubuntu:v2.2.0' }],
      }),
      pod('kube-system', 'antrea-agent-aaaa1', {
        labels: { app: 'antrea', component: 'antrea-agent' },
        nodeName: 'node-aaaa1',
        containers: [{ name: 'antrea-agent', image: 'antrea/antrea-agent-ubuntu:v2.2.0' }],
      }),
      configMap('kube-system', 'antrea-config', { 'antrea-agent.conf': 'antreaProxy:\n  proxyAll: true\n' }),
    ];
    notServed(locate(antrea), /Antrea/);
    const ovn = [
      ...twoNodes(),
      pod('ovn-kubernetes', 'ovnkube-node-aaaa1', {
        labels: { app: 'ovnkube-node' },
        nodeName: 'node-aaaa1',
        containers: [{ name: 'ovnkube-node', image: 'ghcr.io/ovn-org/ovn-kubernetes/ovn-kube-ubuntu:v1.0.0' }],
      }),
    ];
    notServed(locate(ovn), /OVN/);
  });

  it('no provider (none) or no verdict: nothing to locate', () => {
    assert.equal(locate(twoNodes()), undefined);
  });
});

describe('bind addresses', () => {
  it('IP:PORT, [IPv6]:PORT, :PORT, empty, port 0, junk', () => {
    assert.deepEqual(parseBindAddress('0.0.0.0:10256'), { kind: 'listen', host: '0.0.0.0', port: 10256, loopback: false });
    assert.deepEqual(parseBindAddress('[::]:10256'), { kind: 'listen', host: '::', port: 10256, loopback: false });
    assert.deepEqual(parseBindAddress(':10256'), { kind: 'listen', host: '', port: 10256, loopback: false });
    assert.equal(
      parseBindAddress('[::1]:10256').kind === 'listen' && (parseBindAddress('[::1]:10256') as { loopback: boolean }).loopback,
      true,
    );
    assert.deepEqual(parseBindAddress(''), { kind: 'off' });
    assert.deepEqual(parseBindAddress('0.0.0.0:0'), { kind: 'off' });
    assert.equal(parseBindAddress('nonsense').kind, 'invalid');
    assert.equal(parseBindAddress('1.2.3.4:99999').kind, 'invalid');
  });
});
