// Helpers for tests on the real cluster: kubectl with the admin kubeconfig, running a snippet of Node inside a pod's
// network namespace (there is no `kubectl exec`: the kubelet here serves no API), waiting on conditions.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { control, type Cluster } from './index.js';

export function kubectl(c: Cluster, args: string[], input?: string): string {
  const r = spawnSync(c.kubectl, ['--kubeconfig', c.kubeconfig, ...args], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export function kubectlJson<T = any>(c: Cluster, args: string[]): T {
  return JSON.parse(kubectl(c, [...args, '-o', 'json'])) as T;
}

export function apply(c: Cluster, objects: object[] | string): string {
  const input = typeof objects === 'string' ? objects : JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
  return kubectl(c, ['apply', '-f', '-'], input);
}

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => T | undefined | false | Promise<T | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface DaemonStatus {
  components: Record<string, { pid?: number; restarts: number }>;
  nodes: {
    name: string;
    netns: string;
    ip: string;
    pods: { key: string; uid: string; netns: string; pids: Record<string, number | undefined> }[];
  }[];
}

export function daemonStatus(): Promise<DaemonStatus> {
  return control<DaemonStatus>('GET', '/status');
}

/** The network namespace a pod runs in (its node's for hostNetwork pods). */
export async function podNetns(namespace: string, name: string): Promise<string> {
  const s = await daemonStatus();
  for (const n of s.nodes) for (const p of n.pods) if (p.key === `${namespace}/${name}`) return p.netns;
  throw new Error(`pod ${namespace}/${name} is not running on any node`);
}

/** Run `script` (an ES module body; what it prints is returned) with Node inside a network namespace. */
export function nodeIn(netns: string, script: string, timeoutMs = 20_000): string {
  const r = spawnSync('ip', ['netns', 'exec', netns, process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  if (r.status !== 0) throw new Error(`in ${netns}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
  return r.stdout.trim();
}

/** GET http://host:port/path from inside a network namespace: `${status} ${body}`. */
export function httpGetIn(netns: string, url: string, timeoutMs = 5000): string {
  return nodeIn(
    netns,
    `const r = await fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(${timeoutMs}) }); console.log(r.status + ' ' + (await r.text()));`,
    timeoutMs + 5000,
  );
}

/** The pid of the process in `netns` one of whose argv elements ends with `pattern` (e.g. kube-proxy, main.js). */
export function pidOf(netns: string, pattern: string): number {
  const pids = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try {
      if (
        readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .some((a) => a.endsWith(pattern))
      )
        return Number(pid);
    } catch {
      /* gone */
    }
  }
  throw new Error(`no ${pattern} process in ${netns}`);
}

/** agnhost netexec, as Kubernetes' own Service e2e tests run it: HTTP on 8080 (named http), Ready when it answers. */
export function netexecContainer(args: string[] = ['netexec', '--http-port=8080']): object {
  return {
    name: 'netexec',
    image: 'registry.k8s.io/e2e-test-images/agnhost:2.53',
    args,
    ports: [{ containerPort: 8080, name: 'http' }],
    readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2 },
  };
}
