// One pod on one node: its network namespace (or the node's, for hostNetwork), its volumes, a process per container
// started as a container runtime would start it, its probes, and the status the kubelet reports for it.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CLUSTER_DOMAIN, NET, REPO_ROOT, type ClusterOptions, type NodePlan } from '../config.js';
import type { ApiClient } from '../api.js';
import { ManagedProcess, type ExitInfo } from '../process.js';
import { setUpPod, tearDownPod, type PodNet } from '../network.js';
import { containerArgv, expandVars, findImage, type ImageEntry } from './images.js';
import { configMapData, fieldValue, prepareVolumes, secretData, type PreparedVolume } from './volumes.js';
import { ProbeLoop } from './probes.js';

export interface NodeContext {
  api: ApiClient;
  node: NodePlan;
  opts: ClusterOptions;
  images: ImageEntry[];
  stateDir: string;
  nodeRoot: string;
  allocateIp(): number;
  releaseIp(n: number): void;
  /** Records a folder or file the kubelet had to create on the host for a mount target, for `down` to remove. */
  createdOnHost(path: string): void;
  log(line: string): void;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15, SIGABRT: 6 };

/** Where a container's mount namespace stages its volumes (a tmpfs of its own there; the folder is made by the daemon). */
export const STAGE = '/run/tb-stage';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

class Container {
  proc: ManagedProcess | undefined;
  ready = false;
  probes: ProbeLoop[] = [];
  waitingReason: string | undefined = 'ContainerCreating';
  waitingMessage: string | undefined;

  constructor(readonly spec: any) {}
}

export class PodRunner {
  private net: PodNet | undefined;
  private ipNumber: number | undefined;
  private volumes: PreparedVolume[] = [];
  private containers: Container[] = [];
  private statusTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastStatus = '';
  private startTime = new Date().toISOString();
  private podIPs: string[] = [];
  readonly dir: string;
  terminating = false;
  stopped = false;

  constructor(
    private pod: any,
    private readonly ctx: NodeContext,
  ) {
    this.dir = join(ctx.stateDir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid.slice(0, 8)}`);
  }

  get uid(): string {
    return this.pod.metadata.uid;
  }

  get key(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  private get hostNetwork(): boolean {
    return this.pod.spec.hostNetwork === true;
  }

  get netns(): string {
    return this.net?.netns ?? this.ctx.node.netns;
  }

  update(pod: any): void {
    this.pod = pod;
  }

  /** The pids of the containers' processes, by container name. */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.containers.map((c) => [c.spec.name, c.proc?.pid]));
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    mkdirSync(join(this.ctx.stateDir, 'logs', 'pods', basename(this.dir)), { recursive: true });
    this.containers = (this.pod.spec.containers ?? []).map((c: any) => new Container(c));
    const missing = this.containers.find((c) => !findImage(this.ctx.images, c.spec.image));
    if (missing) {
      for (const c of this.containers) {
        c.waitingReason = 'ErrImagePull';
        c.waitingMessage = `image ${c.spec.image} is not in the test bed kubelet's image table (testkit/cluster/kubelet/images.ts)`;
      }
      this.ctx.log(`${this.key}: ${missing.waitingMessage}`);
      this.scheduleStatus();
      return;
    }
    try {
      await this.setUpNetwork();
    } catch (err) {
      this.ctx.log(`${this.key}: no network: ${(err as Error).message}`);
      for (const c of this.containers) c.waitingReason = 'CreateContainerError';
      this.scheduleStatus();
      return;
    }
    this.scheduleStatus();
    await this.startContainers();
  }

  /** Volumes and processes; a missing ConfigMap, Secret or token is tried again, as the kubelet's sync loop does. */
  private async startContainers(attempt = 0): Promise<void> {
    if (this.stopped || this.terminating) return;
    try {
      this.volumes = await prepareVolumes(this.volumeContext());
      this.writeResolvConf();
      this.scheduleRefresh();
      for (const c of this.containers) if (!c.proc) await this.startContainer(c);
    } catch (err) {
      if (attempt % 10 === 0) this.ctx.log(`${this.key}: could not start (will retry): ${(err as Error).message}`);
      for (const c of this.containers) {
        c.waitingReason = 'CreateContainerConfigError';
        c.waitingMessage = (err as Error).message.slice(0, 500);
      }
      this.scheduleStatus();
      setTimeout(() => void this.startContainers(attempt + 1), Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
    }
  }

  private async setUpNetwork(): Promise<void> {
    const { node, opts } = this.ctx;
    if (this.hostNetwork) {
      this.podIPs = opts.dualStack ? [node.ipV4, node.ipV6] : [node.ipV4];
      return;
    }
    const n = this.ctx.allocateIp();
    this.ipNumber = n;
    const id = this.uid.replace(/-/g, '').slice(0, 8);
    this.net = {
      netns: `tb-pod-${id}`,
      hostVeth: `tbp${id}`.slice(0, 15),
      ipV4: node.podCidrV4.replace(/\.0\/24$/, `.${n}`),
      ipV6: opts.dualStack ? node.podCidrV6.replace(/::\/64$/, `::${n.toString(16)}`) : undefined,
    };
    await setUpPod(node, this.net);
    this.podIPs = [this.net.ipV4, ...(this.net.ipV6 ? [this.net.ipV6] : [])];
  }

  private tokens = new Map<string, { token: string; expiresAt: number; refreshAt: number }>();

  private volumeContext() {
    return { api: this.ctx.api, pod: this.withIPs(), podDir: this.dir, nodeRoot: this.ctx.nodeRoot, tokens: this.tokens };
  }

  /** The pod as the downward API sees it once it has addresses. */
  private withIPs(): any {
    return { ...this.pod, status: { ...(this.pod.status ?? {}), ...this.addressStatus() } };
  }

  private addressStatus() {
    const { node, opts } = this.ctx;
    const hostIPs = opts.dualStack ? [node.ipV4, node.ipV6] : [node.ipV4];
    return {
      hostIP: hostIPs[0],
      hostIPs: hostIPs.map((ip) => ({ ip })),
      ...(this.podIPs.length ? { podIP: this.podIPs[0], podIPs: this.podIPs.map((ip) => ({ ip })) } : {}),
    };
  }

  private writeResolvConf(): void {
    const policy = this.pod.spec.dnsPolicy ?? 'ClusterFirst';
    const clusterFirst = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !this.hostNetwork);
    const ns = this.pod.metadata.namespace;
    // Default-policy pods get the node's resolver: the host bridge, where nothing answers DNS, so a lookup the cluster
    // cannot answer fails here instead of going to the machine's real upstream.
    const body = clusterFirst
      ? `search ${ns}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}\nnameserver ${NET.dnsServiceV4}\noptions ndots:5\n`
      : `nameserver ${NET.hostV4}\n`;
    writeFileSync(join(this.dir, 'resolv.conf'), body);
  }

  private async containerEnv(c: any, image: ImageEntry): Promise<Record<string, string>> {
    const pod = this.withIPs();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOSTNAME: this.hostNetwork ? this.ctx.node.name : pod.metadata.name,
      ...(image.env ?? {}),
      KUBERNETES_SERVICE_HOST: NET.kubernetesServiceV4,
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: `tcp://${NET.kubernetesServiceV4}:443`,
      KUBERNETES_PORT_443_TCP: `tcp://${NET.kubernetesServiceV4}:443`,
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: NET.kubernetesServiceV4,
    };
    const vctx = { api: this.ctx.api, pod, podDir: this.dir, nodeRoot: this.ctx.nodeRoot };
    for (const from of c.envFrom ?? []) {
      const data = from.configMapRef
        ? await configMapData(vctx, from.configMapRef.name, from.configMapRef.optional ?? false)
        : from.secretRef
          ? await secretData(vctx, from.secretRef.name, from.secretRef.optional ?? false)
          : {};
      for (const [k, v] of Object.entries(data)) env[`${from.prefix ?? ''}${k}`] = v.toString();
    }
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = expandVars(e.value, env);
      else if (e.valueFrom?.fieldRef) env[e.name] = fieldValue(pod, e.valueFrom.fieldRef.fieldPath);
      else if (e.valueFrom?.resourceFieldRef) env[e.name] = resourceValue(c, e.valueFrom.resourceFieldRef);
      else if (e.valueFrom?.configMapKeyRef) {
        const r = e.valueFrom.configMapKeyRef;
        const d = await configMapData(vctx, r.name, r.optional ?? false);
        if (r.key in d) env[e.name] = d[r.key]!.toString();
      } else if (e.valueFrom?.secretKeyRef) {
        const r = e.valueFrom.secretKeyRef;
        const d = await secretData(vctx, r.name, r.optional ?? false);
        if (r.key in d) env[e.name] = d[r.key]!.toString();
      } else env[e.name] = '';
    }
    return env;
  }

  /** Make a mount target exist on the host (a bind mount needs one), remembering what had to be created. */
  private ensureTarget(target: string, file: boolean): void {
    if (existsSync(target)) return;
    let top = file ? dirname(target) : target;
    while (!existsSync(dirname(top))) top = dirname(top);
    const firstMissing = existsSync(file ? dirname(target) : target) ? target : top;
    mkdirSync(file ? dirname(target) : target, { recursive: true });
    if (file) writeFileSync(target, '');
    this.ctx.createdOnHost(firstMissing);
  }

  private mounts(c: any): Mount[] {
    const out: Mount[] = [];
    for (const m of c.volumeMounts ?? []) {
      const v = this.volumes.find((x) => x.name === m.name);
      if (!v) continue;
      const source = m.subPath ? join(v.source, m.subPath) : v.source;
      out.push({ source, target: m.mountPath, readOnly: m.readOnly ?? v.readOnly });
    }
    const policy = this.pod.spec.dnsPolicy ?? 'ClusterFirst';
    if (!(this.hostNetwork && policy === 'ClusterFirst'))
      out.push({ source: join(this.dir, 'resolv.conf'), target: '/etc/resolv.conf', readOnly: true });
    return out;
  }

  /**
   * The argv that runs a container: `ip netns exec` enters the pod's network namespace in a mount namespace of its own
   * (iproute2 unshares one, as slave of the host's), a shell bind-mounts the volumes there, then execs the program.
   */
  private launcher(mounts: Mount[], argv: string[]): string[] {
    // Every source is first bind-mounted into a private staging tmpfs, then the targets are mounted from there,
    // parents before children as a runtime does: a target may hide a later mount's source otherwise (an emptyDir at
    // /tmp hid a checkout under /tmp, where the pods' volumes live).
    const lines = ['set -e', `mount -t tmpfs tb-stage ${STAGE}`];
    const staged = mounts.map((m, i) => {
      let isFile: boolean;
      try {
        isFile = statSync(m.source).isFile();
      } catch {
        isFile = false;
      }
      this.ensureTarget(m.target, isFile);
      const stage = `${STAGE}/${i}`;
      lines.push(isFile ? `touch ${stage}` : `mkdir ${stage}`);
      lines.push(`mount --bind ${q(m.source)} ${stage}`);
      return { ...m, stage };
    });
    // The image's own files (this project's image is the checkout's dist/) are staged too when a mount would hide
    // them: an emptyDir at /tmp hides a checkout under /tmp.
    const hidden = (path: string) => mounts.some((m) => path === m.target || path.startsWith(`${m.target.replace(/\/$/, '')}/`));
    const extra: string[] = [];
    argv = argv.map((a) => {
      if (!a.startsWith('/') || !existsSync(a) || !hidden(a)) return a;
      const root = a.startsWith(`${REPO_ROOT}/`) ? REPO_ROOT : dirname(a);
      let i = extra.indexOf(root);
      if (i < 0) i = extra.push(root) - 1;
      return `${STAGE}/image${i}${a.slice(root.length)}`;
    });
    extra.forEach((root, i) => lines.push(`mkdir ${STAGE}/image${i}`, `mount --bind ${q(root)} ${STAGE}/image${i}`));
    for (const m of [...staged].sort((a, b) => a.target.split('/').length - b.target.split('/').length)) {
      lines.push(`mount --bind ${m.stage} ${q(m.target)}`);
      if (m.readOnly) lines.push(`mount -o remount,bind,ro ${q(m.target)}`);
    }
    // A container runtime gives every pod a UTS namespace named after it (agnhost's /hostname answers with it);
    // hostNetwork pods share the node's, whose name is the node's.
    const hostname = this.hostNetwork ? this.ctx.node.name : this.pod.spec.hostname || this.pod.metadata.name;
    lines.push(`echo ${q(hostname.slice(0, 63))} > /proc/sys/kernel/hostname`);
    lines.push('exec "$@"');
    return ['ip', 'netns', 'exec', this.netns, 'unshare', '--uts', 'sh', '-c', lines.join('\n'), 'container', ...argv];
  }

  private async startContainer(c: Container): Promise<void> {
    const image = findImage(this.ctx.images, c.spec.image)!;
    const env = await this.containerEnv(c.spec, image);
    const argv = containerArgv(image, c.spec.command, c.spec.args, env);
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    c.proc = new ManagedProcess({
      name: c.spec.name,
      argv: this.launcher(this.mounts(c.spec), argv),
      env,
      cwd: this.dir,
      logFile: join(this.ctx.stateDir, 'logs', 'pods', basename(this.dir), `${c.spec.name}.log`),
      restart: policy !== 'Never',
    });
    c.proc.on('start', () => {
      c.waitingReason = undefined;
      c.waitingMessage = undefined;
      this.startProbes(c);
      this.scheduleStatus();
    });
    c.proc.on('exit', (info: ExitInfo) => {
      this.stopProbes(c);
      c.ready = false;
      if (policy === 'OnFailure' && info.code === 0) void c.proc?.stop();
      this.scheduleStatus();
    });
    c.proc.on('backoff', (ms: number) => {
      c.waitingReason = 'CrashLoopBackOff';
      c.waitingMessage = `back-off ${Math.round(ms / 1000)}s restarting failed container=${c.spec.name} pod=${this.pod.metadata.name}`;
      // The kubelet writes its volumes again before a restart: a ConfigMap changed since is what the new run reads.
      void prepareVolumes(this.volumeContext())
        .then((v) => (this.volumes = v))
        .catch(() => undefined);
      this.scheduleStatus();
    });
    c.proc.start();
  }

  private startProbes(c: Container): void {
    this.stopProbes(c);
    const target = {
      host: this.podIPs[0] ?? this.ctx.node.ipV4,
      netns: this.netns,
      ports: Object.fromEntries((c.spec.ports ?? []).filter((p: any) => p.name).map((p: any) => [p.name, p.containerPort])),
    };
    if (c.spec.readinessProbe) {
      const loop = new ProbeLoop(c.spec.readinessProbe, target, 'readiness', (passing) => {
        c.ready = passing;
        this.scheduleStatus();
      });
      c.probes.push(loop);
      loop.start();
    } else {
      c.ready = true;
    }
    if (c.spec.livenessProbe) {
      const loop = new ProbeLoop(c.spec.livenessProbe, target, 'liveness', (passing) => {
        if (!passing) {
          this.ctx.log(`${this.key}: container ${c.spec.name} failed its liveness probe, restarting it`);
          c.proc?.kill('SIGKILL');
        }
      });
      c.probes.push(loop);
      loop.start();
    }
  }

  private stopProbes(c: Container): void {
    for (const p of c.probes) p.stop();
    c.probes = [];
  }

  /** Volumes holding ServiceAccount tokens are written again before the tokens expire; the others every minute. */
  private scheduleRefresh(): void {
    const next = Math.min(60_000, ...this.volumes.filter((v) => v.refreshAt).map((v) => Math.max(1000, v.refreshAt! - Date.now())));
    this.refreshTimer = setTimeout(() => {
      if (this.stopped) return;
      prepareVolumes(this.volumeContext())
        .then((v) => (this.volumes = v))
        .catch((err) => this.ctx.log(`${this.key}: volumes not refreshed: ${(err as Error).message}`))
        .finally(() => this.scheduleRefresh());
    }, next);
  }

  private containerStatus(c: Container): any {
    const p = c.proc;
    const last = p?.lastExit;
    const terminated = (e: ExitInfo) => ({
      terminated: {
        exitCode: e.code ?? 128 + (SIGNALS[e.signal ?? ''] ?? 0),
        ...(e.signal ? { signal: SIGNALS[e.signal] ?? 0 } : {}),
        reason: e.code === 0 ? 'Completed' : 'Error',
        startedAt: e.startedAt.toISOString(),
        finishedAt: e.finishedAt.toISOString(),
        containerID: `testbed://${this.uid}/${c.spec.name}`,
      },
    });
    const state = p?.running
      ? { running: { startedAt: p.startedAt!.toISOString() } }
      : c.waitingReason
        ? { waiting: { reason: c.waitingReason, ...(c.waitingMessage ? { message: c.waitingMessage } : {}) } }
        : last
          ? terminated(last)
          : { waiting: { reason: 'ContainerCreating' } };
    return {
      name: c.spec.name,
      image: c.spec.image,
      imageID: `testbed://${c.spec.image}`,
      containerID: `testbed://${this.uid}/${c.spec.name}`,
      ready: c.ready && (p?.running ?? false),
      started: p?.running ?? false,
      restartCount: p?.restarts ?? 0,
      state,
      lastState: last && (p?.running || c.waitingReason === 'CrashLoopBackOff') ? terminated(last) : {},
    };
  }

  private status(): any {
    const containerStatuses = this.containers.map((c) => this.containerStatus(c));
    const allReady = containerStatuses.length > 0 && containerStatuses.every((s) => s.ready);
    const anyStarted = containerStatuses.some((s) => s.started || s.restartCount > 0);
    const now = new Date().toISOString();
    const cond = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now });
    return {
      phase: anyStarted ? 'Running' : 'Pending',
      conditions: [
        cond('PodReadyToStartContainers', this.podIPs.length > 0),
        cond('Initialized', true),
        cond('Ready', allReady),
        cond('ContainersReady', allReady),
        cond('PodScheduled', true),
      ],
      ...this.addressStatus(),
      startTime: this.startTime,
      containerStatuses,
    };
  }

  private scheduleStatus(): void {
    if (this.statusTimer || this.stopped) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      void this.writeStatus();
    }, 100);
  }

  private async writeStatus(): Promise<void> {
    if (this.stopped) return;
    const status = this.status();
    // Transition times are only worth a write when something else changed.
    const key = JSON.stringify(status, (k, v) => (k === 'lastTransitionTime' ? undefined : v));
    if (key === this.lastStatus) return;
    const previous = this.pod.status?.conditions ?? [];
    for (const c of status.conditions) {
      const was = previous.find((p: any) => p.type === c.type);
      if (was && was.status === c.status && was.lastTransitionTime) c.lastTransitionTime = was.lastTransitionTime;
    }
    try {
      const updated = await this.ctx.api.mergePatch(
        `/api/v1/namespaces/${this.pod.metadata.namespace}/pods/${this.pod.metadata.name}/status`,
        {
          status,
        },
      );
      if (updated?.metadata?.uid === this.uid) this.pod = updated;
      this.lastStatus = key;
    } catch (err) {
      // A pod deleted meanwhile has no status to write; anything else is tried again.
      if ((err as { status?: number }).status !== 404) {
        this.ctx.log(`${this.key}: status not written: ${(err as Error).message}`);
        setTimeout(() => this.scheduleStatus(), 1000);
      }
    }
  }

  /** Stop every container (SIGTERM, SIGKILL after the grace period) and free the pod's network. */
  async stop(graceSeconds: number): Promise<void> {
    this.terminating = true;
    for (const c of this.containers) this.stopProbes(c);
    await Promise.all(this.containers.map((c) => c.proc?.stop(graceSeconds * 1000)));
    this.stopped = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    if (this.net) await tearDownPod(this.net);
    if (this.ipNumber !== undefined) this.ctx.releaseIp(this.ipNumber);
  }
}

function resourceValue(c: any, ref: { resource: string; divisor?: string }): string {
  const [kind, name] = ref.resource.split('.') as ['limits' | 'requests', string];
  const v = c.resources?.[kind]?.[name];
  if (v === undefined) return name === 'cpu' ? '2' : String(8 * 1024 ** 3);
  const units: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9, m: 0.001 };
  const m = /^([0-9.]+)([A-Za-z]*)$/.exec(String(v));
  if (!m) return String(v);
  const bytes = Number(m[1]) * (units[m[2]!] ?? 1);
  const div = ref.divisor ? Number(/^([0-9.]+)/.exec(ref.divisor)?.[1] ?? 1) * (units[ref.divisor.replace(/^[0-9.]+/, '')] ?? 1) : 1;
  return String(Math.ceil(bytes / div));
}
