// Where the API server is: --kubeconfig, else the in-cluster service account, else $KUBECONFIG,
// else ~/.kube/config (docs/deploy.md; client-node's loadFromDefault tries in-cluster last, which is the wrong way
// round for a pod that happens to carry a KUBECONFIG variable). The choice and the loading happen in
// the resolver worker (resolve-worker.ts); this is the main thread's entry point.
import { ApiConnection, KubeconfigError, resolveInWorker, type ConnectionOptions } from './connection.js';

export { KubeconfigError, ApiConnection };

/**
 * Resolve the kubeconfig (a mistake in it throws KubeconfigError: exit 2) and return a connection
 * that keeps its credential fresh. `env` stands in for process.env (tests).
 */
export function openConnection(explicit: string, env?: NodeJS.ProcessEnv, opts: ConnectionOptions = {}): Promise<ApiConnection> {
  return ApiConnection.open(() => resolveInWorker({ explicit }, env), opts);
}
