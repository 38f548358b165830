// Where the API server is: --kubeconfig, else the in-cluster service account, else $KUBECONFIG,
// else ~/.kube/config (docs/deploy.md). client-node's loadFromDefault tries in-cluster last, which is
// the wrong way round for a pod that happens to carry a KUBECONFIG variable.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

export class KubeconfigError extends Error {}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeconfigChoice {
  kc: KubeConfig;
  /** where it came from, for the startup log line (never its content) */
  origin: string;
}

export function loadKubeconfig(explicit: string, env: NodeJS.ProcessEnv = process.env): KubeconfigChoice {
  if (explicit) return { kc: fromFile(explicit, '--kubeconfig'), origin: explicit };
  if (env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) {
    const kc = new KubeConfig();
    kc.loadFromCluster();
    return { kc, origin: 'in-cluster service account' };
  }
  if (env.KUBECONFIG) {
    const first = env.KUBECONFIG.split(':').find(Boolean) ?? '';
    return { kc: fromFile(first, 'KUBECONFIG'), origin: first };
  }
  const home = join(env.HOME || homedir(), '.kube', 'config');
  if (existsSync(home)) return { kc: fromFile(home, '~/.kube/config'), origin: home };
  throw new KubeconfigError(
    '--kubeconfig: no Kubernetes API configured (not in a cluster, $KUBECONFIG unset, no ~/.kube/config); pass --kubeconfig FILE',
  );
}

function fromFile(path: string, where: string): KubeConfig {
  if (!existsSync(path)) throw new KubeconfigError(`${where}: ${path} does not exist; pass a readable kubeconfig file`);
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (e) {
    throw new KubeconfigError(`${where}: ${path} is not a valid kubeconfig (${String((e as Error).message).split('\n')[0]})`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeconfigError(`${where}: ${path} has no current context with a cluster; set current-context`);
  if (!/^https?:\/\//.test(cluster.server)) {
    throw new KubeconfigError(`${where}: ${path}: cluster server "${cluster.server}" is not an http(s) URL`);
  }
  return kc;
}
