// The cluster's state file: which daemon runs it, with which options, how far it got, and what it had to create on
// the host's filesystem (mount targets) so that `down` removes exactly that.
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { stateDir, type ClusterOptions } from './config.js';

export interface ClusterState {
  pid: number;
  opts: ClusterOptions;
  phase: 'starting' | 'ready' | 'failed' | 'stopped';
  error?: string;
  kubeconfig?: string;
  kubectl?: string;
  bin?: string;
  createdPaths: string[];
}

const file = () => join(stateDir(), 'state.json');

export function readState(): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(file(), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

export function writeState(s: ClusterState): void {
  const tmp = `${file()}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2));
  renameSync(tmp, file());
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when `p` holds nothing but empty folders and empty files: what a mount target the kubelet made looks like. */
function emptyTree(p: string): boolean {
  const st = statSync(p);
  if (st.isFile()) return st.size === 0;
  if (!st.isDirectory()) return false;
  return readdirSync(p).every((e) => emptyTree(join(p, e)));
}

/** Other test bed clusters' daemons on this machine (each in a network namespace of its own, all in one pid space). */
function otherDaemons(): number[] {
  const r = spawnSync('pgrep', ['-f', 'testkit/cluster/daemon.ts'], { encoding: 'utf8' });
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/**
 * Mount targets the kubelet had to create on the host, removed when nothing was put in them meanwhile — unless another
 * test bed cluster runs: its containers' mounts sit on the same paths, and removing a path detaches every mount on it
 * in every mount namespace (a CoreDNS of the other cluster lost its ServiceAccount token that way).
 */
export function removeCreatedPaths(paths: string[], exceptPid?: number): void {
  if (otherDaemons().some((pid) => pid !== exceptPid)) return;
  for (const p of paths) {
    try {
      if (existsSync(p) && emptyTree(p)) rmSync(p, { recursive: true });
    } catch {
      /* in use or not ours to judge: left alone */
    }
  }
}
