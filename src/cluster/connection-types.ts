// What the resolver worker (resolve-worker.ts) hands the main thread: plain data only, so nothing of
// @kubernetes/client-node has to live in the main thread.

export interface ResolveRequest {
  /** --kubeconfig, or "" for the default order */
  explicit: string;
  /** load the whole client-node package instead of the narrowed KubeConfig module */
  fullImport?: boolean;
}

export interface ResolvedConnection {
  /** API server base URL, no trailing slash */
  server: string;
  /** where the configuration came from, for the start-up log line (never its content) */
  origin: string;
  /** request headers: Authorization (bearer or basic), Impersonate-User, ... */
  headers: Record<string, string>;
  /** PEM */
  ca?: string;
  cert?: string;
  key?: string;
  /** false with insecure-skip-tls-verify */
  rejectUnauthorized?: boolean;
  /** tls-server-name */
  servername?: string;
  /** the cluster's proxy-url */
  proxyUrl?: string;
  /** the bearer token is this file's content (in-cluster service account, tokenFile): re-read it, it rotates */
  tokenFile?: string;
  /** when the credential expires (ms since epoch): exec status.expirationTimestamp, or a JWT's exp */
  expiresAt?: number;
  /** the credential came from a plugin (exec, OIDC, GCP, Azure): on 401, resolve again */
  pluginCredential: boolean;
  /** the plugin failed: no credential this time (one line, no secrets) */
  credentialError?: string;
}

export type ResolveResult =
  | { ok: true; connection: ResolvedConnection }
  | { ok: false; /** a kubeconfig problem the user must fix (exit 2) */ config: boolean; message: string };
