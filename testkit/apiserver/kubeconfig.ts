// A kubeconfig pointing at the fake server. client-node refuses http:// servers unless the cluster
// skips TLS verification, and that flag only takes effect when the context has a user.
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export const FAKE_TOKEN = 'fake-token';

export function kubeconfigYaml(url: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'fake-user', user: { token: FAKE_TOKEN } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake-user' } }],
    'current-context': 'fake',
    preferences: {},
  });
}

export function writeKubeconfig(url: string, file: string): void {
  writeFileSync(file, kubeconfigYaml(url), { mode: 0o600 });
}
