// Runs in a worker thread that exits when done: loads the kubeconfig with @kubernetes/client-node
// (every auth method it supports: in-cluster token file, client certificates, exec plugins, OIDC,
// GCP/Azure auth providers, impersonation), asks it for the request options it would use, and posts
// them back as plain data. The main thread never imports client-node, whose KubeConfig module
// imports the whole generated API (~75 MB resident, docs/benchmarks.md).
//
// The worker narrows that one import: client-node's config.js takes only `createConfiguration` and
// `ServerConfiguration` from its generated barrel (for makeApiClient, which the worker never calls),
// so a module hook serves it a barrel of just those two. If a client-node release imports more from
// there, the narrowed load fails to link and the worker loads the full module instead (slower, same
// result).
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { ResolveRequest, ResolveResult, ResolvedConnection } from './connection-types.js';

const HOOKS = `
const SLIM = 'data:text/javascript,slim-client-node-gen';
export async function resolve(specifier, context, next) {
  if (specifier === './gen/index.js' && context.parentURL && context.parentURL.endsWith('/@kubernetes/client-node/dist/config.js')) {
    return { url: SLIM + '?' + encodeURIComponent(new URL('./gen/', context.parentURL).href), shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url.startsWith(SLIM + '?')) {
    const gen = decodeURIComponent(url.slice(SLIM.length + 1));
    return { format: 'module', shortCircuit: true, source: 'export { createConfiguration } from ' + JSON.stringify(gen + 'configuration.js') + '; export { ServerConfiguration } from ' + JSON.stringify(gen + 'servers.js') + ';' };
  }
  return next(url, context);
}`;

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

class ConfigProblem extends Error {}

// Only the parts of client-node's types the worker touches (it is imported dynamically).
interface KubeConfigLike {
  loadFromFile(path: string): void;
  loadFromCluster(): void;
  getCurrentCluster(): { server: string; proxyUrl?: string; skipTLSVerify?: boolean } | null;
  getCurrentUser(): {
    name: string;
    authProvider?: { name?: string; config?: Record<string, unknown> };
    exec?: unknown;
    token?: string;
  } | null;
  applyToHTTPSOptions(opts: Record<string, unknown>): Promise<void>;
}

async function loadClientNode(): Promise<{ KubeConfig: new () => KubeConfigLike }> {
  if (!(workerData as ResolveRequest).fullImport) {
    try {
      register(`data:text/javascript,${encodeURIComponent(HOOKS)}`);
      return (await import('@kubernetes/client-node/dist/config.js' as string)) as { KubeConfig: new () => KubeConfigLike };
    } catch {
      // a layout this hook does not know: take the whole package
    }
  }
  return (await import('@kubernetes/client-node')) as unknown as { KubeConfig: new () => KubeConfigLike };
}

/** --kubeconfig, else the in-cluster service account, else $KUBECONFIG, else ~/.kube/config. */
function choose(req: ResolveRequest, env: NodeJS.ProcessEnv): { how: 'file' | 'cluster'; path: string; where: string; origin: string } {
  if (req.explicit) return { how: 'file', path: req.explicit, where: '--kubeconfig', origin: req.explicit };
  if (env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN))
    return { how: 'cluster', path: '', where: 'in-cluster', origin: 'in-cluster service account' };
  if (env.KUBECONFIG) {
    const first = env.KUBECONFIG.split(':').find(Boolean) ?? '';
    return { how: 'file', path: first, where: 'KUBECONFIG', origin: first };
  }
  const home = join(env.HOME || homedir(), '.kube', 'config');
  if (existsSync(home)) return { how: 'file', path: home, where: '~/.kube/config', origin: home };
  throw new ConfigProblem(
    '--kubeconfig: no Kubernetes API configured (not in a cluster, $KUBECONFIG unset, no ~/.kube/config); pass --kubeconfig FILE',
  );
}

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return String(v);
}

/** `exp` of a JWT bearer token (projected service account tokens, OIDC id-tokens), in ms. */
function jwtExpiry(authorization: string | undefined): number | undefined {
  const m = /^Bearer\s+([\w-]+)\.([\w-]+)\.[\w-]*$/.exec(authorization ?? '');
  if (!m) return undefined;
  try {
    const exp = JSON.parse(Buffer.from(m[2]!, 'base64url').toString('utf8')).exp;
    return typeof exp === 'number' && exp > 0 ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

async function resolveConnection(req: ResolveRequest): Promise<ResolvedConnection> {
  const choice = choose(req, process.env);
  if (choice.how === 'file' && !existsSync(choice.path)) {
    throw new ConfigProblem(`${choice.where}: ${choice.path} does not exist; pass a readable kubeconfig file`);
  }
  const { KubeConfig } = await loadClientNode();
  const kc = new KubeConfig();
  if (choice.how === 'cluster') kc.loadFromCluster();
  else {
    try {
      kc.loadFromFile(choice.path);
    } catch (e) {
      throw new ConfigProblem(`${choice.where}: ${choice.path} is not a valid kubeconfig (${String((e as Error).message).split('\n')[0]})`);
    }
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ConfigProblem(`${choice.where}: ${choice.path} has no current context with a cluster; set current-context`);
  if (!/^https?:\/\//.test(cluster.server)) {
    throw new ConfigProblem(`${choice.where}: ${choice.path}: cluster server "${cluster.server}" is not an http(s) URL`);
  }
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new ConfigProblem(
      `${choice.where}: ${choice.path}: an http:// server needs insecure-skip-tls-verify: true on the cluster (and a user in the context)`,
    );
  }
  const opts: Record<string, unknown> = { headers: {} };
  // the same call client-node's own list/watch requests make: CA, client certs, TLS flags, headers,
  // the credential (running the exec plugin or refreshing the OIDC token as needed). A failing
  // plugin is a runtime fault, not a configuration error: the connection comes back without
  // credentials and the main thread tries again later.
  let credentialError: string | undefined;
  try {
    await kc.applyToHTTPSOptions(opts);
  } catch (e) {
    credentialError = String((e as Error)?.message ?? e).split('\n')[0] || 'unknown error';
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries((opts.headers as Record<string, unknown>) ?? {})) {
    if (v !== undefined && v !== null) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  if (typeof opts.auth === 'string' && !headers.Authorization) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  const user = kc.getCurrentUser();
  const provider = user?.authProvider;
  const tokenFile =
    provider && typeof provider.config?.tokenFile === 'string' && !provider.config.exec ? provider.config.tokenFile : undefined;
  // exec plugins say when their credential expires (client.authentication.k8s.io status.expirationTimestamp)
  let expiresAt: number | undefined;
  const exec = ((kc as unknown as { authenticators?: unknown[] }).authenticators ?? []).find(
    (a): a is { tokenCache: Record<string, { status?: { expirationTimestamp?: string } } | null> } =>
      typeof (a as { tokenCache?: unknown })?.tokenCache === 'object',
  );
  const stamp = user ? exec?.tokenCache[user.name]?.status?.expirationTimestamp : undefined;
  if (stamp && Number.isFinite(Date.parse(stamp))) expiresAt = Date.parse(stamp);
  expiresAt ??= tokenFile ? undefined : jwtExpiry(headers.Authorization);
  const rejectUnauthorized = opts.rejectUnauthorized === false ? false : undefined;
  const out: ResolvedConnection = {
    server: cluster.server.replace(/\/+$/, ''),
    origin: choice.origin,
    headers,
    pluginCredential: Boolean(user && (user.exec || (provider && !tokenFile))),
  };
  const ca = text(opts.ca);
  const cert = text(opts.cert);
  const key = text(opts.key);
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key) out.key = key;
  if (rejectUnauthorized === false) out.rejectUnauthorized = false;
  if (typeof opts.servername === 'string' && opts.servername) out.servername = opts.servername;
  if (cluster.proxyUrl) out.proxyUrl = cluster.proxyUrl;
  if (tokenFile) out.tokenFile = tokenFile;
  if (expiresAt) out.expiresAt = expiresAt;
  if (credentialError) out.credentialError = credentialError;
  return out;
}

const req = workerData as ResolveRequest;
let result: ResolveResult;
try {
  result = { ok: true, connection: await resolveConnection(req) };
} catch (e) {
  result = { ok: false, config: e instanceof ConfigProblem, message: String((e as Error)?.message ?? e).split('\n')[0] ?? 'unknown error' };
}
parentPort?.postMessage(result);
