// Kubeconfigs with embedded certificates, so a kubeconfig can be handed out alone (KUBECONFIG=<path>).
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

const b64 = (path: string) => readFileSync(path).toString('base64');

export function writeKubeconfig(path: string, server: string, caCert: string, client: { cert: string; key: string }, user: string): void {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'spe-testbed', cluster: { server, 'certificate-authority-data': b64(caCert) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) } }],
    contexts: [{ name: `${user}@spe-testbed`, context: { cluster: 'spe-testbed', user } }],
    'current-context': `${user}@spe-testbed`,
  };
  writeFileSync(path, stringify(doc), { mode: 0o600 });
}
