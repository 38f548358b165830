// The kubelet's "registry": which local program an image stands for. There is no container runtime here, so an image
// is its entrypoint, its default command, and a map from the paths inside the image that pods name (`/agnhost`,
// `/usr/local/bin/kube-proxy`) to programs on this machine. A pod whose image is not in the table stays Pending with
// ErrImagePull, as it would where the registry does not have the image.
//
// To add an image: one row here (and, if it is built from Go, one entry in ../binaries.ts BUILDS).
import { join } from 'node:path';
import { REPO_ROOT } from '../config.js';
import { binaryPath } from '../binaries.js';

export interface ImageEntry {
  /** The image's repository, without tag or digest. */
  repository: string;
  /** ENTRYPOINT and CMD as the image declares them (paths inside the image). */
  entrypoint: string[];
  cmd: string[];
  /** Paths inside the image → programs or files on this machine; any argv element equal to a key is mapped. */
  files: Record<string, string>;
  /** Environment the image sets (its ENV lines). */
  env?: Record<string, string>;
}

export function imageTable(bin: string): ImageEntry[] {
  return [
    {
      repository: 'registry.k8s.io/kube-proxy',
      entrypoint: ['/usr/local/bin/kube-proxy'],
      cmd: [],
      files: { '/usr/local/bin/kube-proxy': binaryPath(bin, 'kube-proxy') },
    },
    {
      repository: 'registry.k8s.io/coredns/coredns',
      entrypoint: ['/coredns'],
      cmd: [],
      files: { '/coredns': binaryPath(bin, 'coredns') },
    },
    {
      repository: 'registry.k8s.io/e2e-test-images/agnhost',
      entrypoint: ['/agnhost'],
      cmd: ['pause'],
      files: { '/agnhost': binaryPath(bin, 'agnhost') },
    },
    {
      // This project's image (Dockerfile): node running the built exporter, `serve` by default.
      repository: 'ghcr.io/service-proxy-exporter/service-proxy-exporter',
      entrypoint: ['/nodejs/bin/node', '/app/dist/cli/main.js'],
      cmd: ['serve'],
      files: { '/nodejs/bin/node': process.execPath, '/app/dist/cli/main.js': join(REPO_ROOT, 'dist', 'cli', 'main.js') },
      env: { NODE_ENV: 'production' },
    },
  ];
}

export function repositoryOf(image: string): string {
  const noDigest = image.split('@')[0]!;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
}

export function findImage(table: ImageEntry[], image: string): ImageEntry | undefined {
  const repo = repositoryOf(image);
  return table.find((e) => e.repository === repo);
}

/**
 * The argv a container runtime would exec: `command` replaces the entrypoint, `args` replace the image's CMD (and a
 * set `command` drops the CMD), each with `$(VAR)` expanded from the container's environment; then image paths are
 * mapped to local programs.
 */
export function containerArgv(
  entry: ImageEntry,
  command: string[] | undefined,
  args: string[] | undefined,
  env: Record<string, string>,
): string[] {
  const expand = (s: string) => expandVars(s, env);
  const head = command && command.length ? command.map(expand) : entry.entrypoint;
  const tail = args && args.length ? args.map(expand) : command && command.length ? [] : entry.cmd;
  return [...head, ...tail].map((a) => entry.files[a] ?? a);
}

/** Kubernetes' `$(VAR)` expansion: `$$` escapes, an unknown variable stays as written. */
export function expandVars(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && name in env ? env[name]! : m;
  });
}
