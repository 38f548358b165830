// A pod's volumes on this machine: configMap, secret, projected (ServiceAccount token, CA, namespace), downwardAPI,
// emptyDir and hostPath. Contents are written the way the kubelet's atomic writer does (files are links into `..data`,
// which is swapped in one rename), so a program watching a mounted Secret for rotation sees what it sees on a node.
import { existsSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ApiClient } from '../api.js';

export interface VolumeContext {
  api: ApiClient;
  pod: any;
  /** Tokens already issued to this pod, by volume path: kept until 80 % of their life, as the kubelet keeps them. */
  tokens?: Map<string, { token: string; expiresAt: number; refreshAt: number }>;
  /** The pod's folder on this machine. */
  podDir: string;
  /** The node's folder standing for its root filesystem (hostPath volumes of node-local state live under it). */
  nodeRoot: string;
}

export interface PreparedVolume {
  name: string;
  /** The file or folder on this machine that is bind-mounted at the container's mountPath. */
  source: string;
  readOnly: boolean;
  /** ServiceAccount tokens in it expire: when to write it again. */
  refreshAt?: number;
}

/** Write `files` into `dir` as the kubelet's atomic writer does: `..<stamp>/` filled, `..data` swapped, links beside. */
export function atomicWrite(dir: string, files: Record<string, string | Buffer>): void {
  mkdirSync(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${process.hrtime.bigint()}`;
  const tsDir = join(dir, stamp);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(tsDir, path)), { recursive: true });
    writeFileSync(join(tsDir, path), content, { mode: 0o644 });
  }
  mkdirSync(tsDir, { recursive: true });
  let old: string | undefined;
  try {
    old = readlinkSync(join(dir, '..data'));
  } catch {
    old = undefined;
  }
  rmSync(join(dir, '..data_tmp'), { force: true });
  symlinkSync(stamp, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const top of new Set(Object.keys(files).map((p) => p.split('/')[0]!))) {
    const link = join(dir, top);
    if (!existsSync(link)) symlinkSync(join('..data', top), link);
  }
  if (old && old !== stamp) rmSync(join(dir, old), { recursive: true, force: true });
  // Keys that left the source leave the volume.
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('..')) continue;
    if (!Object.keys(files).some((p) => p.split('/')[0] === entry)) rmSync(join(dir, entry), { force: true });
  }
}

const decode = (data: Record<string, string> | undefined, binary: boolean) =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, binary ? Buffer.from(v, 'base64') : v]));

function pick(all: Record<string, string | Buffer>, items: { key: string; path: string }[] | undefined): Record<string, string | Buffer> {
  if (!items || items.length === 0) return all;
  return Object.fromEntries(items.filter((i) => i.key in all).map((i) => [i.path, all[i.key]!]));
}

async function configMapData(ctx: VolumeContext, name: string, optional: boolean): Promise<Record<string, string | Buffer>> {
  try {
    const cm = await ctx.api.get(`/api/v1/namespaces/${ctx.pod.metadata.namespace}/configmaps/${name}`);
    return { ...decode(cm.data, false), ...decode(cm.binaryData, true) };
  } catch (err) {
    if (optional) return {};
    throw err;
  }
}

async function secretData(ctx: VolumeContext, name: string, optional: boolean): Promise<Record<string, string | Buffer>> {
  try {
    const s = await ctx.api.get(`/api/v1/namespaces/${ctx.pod.metadata.namespace}/secrets/${name}`);
    return decode(s.data, true);
  } catch (err) {
    if (optional) return {};
    throw err;
  }
}

/** A downward API field of the pod, as `fieldRef.fieldPath` names it. */
export function fieldValue(pod: any, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return pod.metadata[m[1]!]?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((p: { ip: string }) => p.ip).join(',');
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.hostIPs':
      return (pod.status?.hostIPs ?? []).map((p: { ip: string }) => p.ip).join(',');
    case 'metadata.labels':
      return Object.entries(pod.metadata.labels ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n');
    case 'metadata.annotations':
      return Object.entries(pod.metadata.annotations ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n');
    default:
      return '';
  }
}

async function serviceAccountToken(
  ctx: VolumeContext,
  src: { audience?: string; expirationSeconds?: number },
): Promise<{ token: string; expiresAt: number }> {
  const { pod } = ctx;
  const expirationSeconds = src.expirationSeconds ?? 3607;
  const res = await ctx.api.request(
    'POST',
    `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${pod.spec.serviceAccountName ?? 'default'}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: src.audience ? [src.audience] : null,
        expirationSeconds,
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    },
  );
  return { token: res.status.token, expiresAt: new Date(res.status.expirationTimestamp).getTime() };
}

async function projected(ctx: VolumeContext, sources: any[]): Promise<{ files: Record<string, string | Buffer>; refreshAt?: number }> {
  const files: Record<string, string | Buffer> = {};
  let refreshAt: number | undefined;
  for (const s of sources) {
    if (s.serviceAccountToken) {
      const cacheKey = `${s.serviceAccountToken.path}/${s.serviceAccountToken.audience ?? ''}`;
      let cached = ctx.tokens?.get(cacheKey);
      if (!cached || Date.now() >= cached.refreshAt) {
        const { token, expiresAt } = await serviceAccountToken(ctx, s.serviceAccountToken);
        // The kubelet renews at 80 % of the token's life.
        cached = { token, expiresAt, refreshAt: Date.now() + 0.8 * (expiresAt - Date.now()) };
        ctx.tokens?.set(cacheKey, cached);
      }
      files[s.serviceAccountToken.path] = cached.token;
      refreshAt = Math.min(refreshAt ?? cached.refreshAt, cached.refreshAt);
    } else if (s.configMap) {
      Object.assign(files, pick(await configMapData(ctx, s.configMap.name, s.configMap.optional ?? false), s.configMap.items));
    } else if (s.secret) {
      Object.assign(files, pick(await secretData(ctx, s.secret.name, s.secret.optional ?? false), s.secret.items));
    } else if (s.downwardAPI) {
      for (const item of s.downwardAPI.items ?? []) if (item.fieldRef) files[item.path] = fieldValue(ctx.pod, item.fieldRef.fieldPath);
    }
  }
  return { files, refreshAt };
}

/** hostPath volumes: node-local state (the xtables lock) lives under the node's root; read-only system paths map to themselves. */
function hostPathSource(ctx: VolumeContext, hp: { path: string; type?: string }): string {
  const local = join(ctx.nodeRoot, hp.path);
  if (hp.type === 'FileOrCreate' || hp.type === 'File') {
    mkdirSync(dirname(local), { recursive: true });
    if (!existsSync(local)) writeFileSync(local, '');
    return local;
  }
  if (existsSync(hp.path) && hp.type !== 'DirectoryOrCreate') return hp.path;
  mkdirSync(local, { recursive: true });
  return local;
}

/** Write (or write again) every volume of the pod; returns where each one is on this machine. */
export async function prepareVolumes(ctx: VolumeContext): Promise<PreparedVolume[]> {
  const out: PreparedVolume[] = [];
  for (const v of ctx.pod.spec.volumes ?? []) {
    const dir = join(ctx.podDir, 'volumes', v.name);
    if (v.configMap) {
      atomicWrite(dir, pick(await configMapData(ctx, v.configMap.name, v.configMap.optional ?? false), v.configMap.items));
      out.push({ name: v.name, source: dir, readOnly: true });
    } else if (v.secret) {
      atomicWrite(dir, pick(await secretData(ctx, v.secret.secretName, v.secret.optional ?? false), v.secret.items));
      out.push({ name: v.name, source: dir, readOnly: true });
    } else if (v.projected) {
      const { files, refreshAt } = await projected(ctx, v.projected.sources ?? []);
      atomicWrite(dir, files);
      out.push({ name: v.name, source: dir, readOnly: true, refreshAt });
    } else if (v.downwardAPI) {
      const files = Object.fromEntries(
        (v.downwardAPI.items ?? []).filter((i: any) => i.fieldRef).map((i: any) => [i.path, fieldValue(ctx.pod, i.fieldRef.fieldPath)]),
      );
      atomicWrite(dir, files);
      out.push({ name: v.name, source: dir, readOnly: true });
    } else if (v.emptyDir) {
      mkdirSync(dir, { recursive: true });
      out.push({ name: v.name, source: dir, readOnly: false });
    } else if (v.hostPath) {
      out.push({ name: v.name, source: hostPathSource(ctx, v.hostPath), readOnly: false });
    }
  }
  return out;
}

export { configMapData, secretData };
