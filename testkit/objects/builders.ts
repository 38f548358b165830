// Building blocks for scenario fixtures. Deterministic: every uid, hash and suffix derives from
// the scenario name and the object's identity, so regenerating gives byte-identical files.
import { createHash } from 'node:crypto';
import type {
  IConfigMap,
  IContainer,
  IContainerStatus,
  IEnvVar,
  IHostPathVolumeSource,
  INamespace,
  INode,
  INodeCondition,
  INodeSpec,
  IPod,
  IPodCondition,
  IPodSpec,
  IPodStatus,
  IService,
  IServicePort,
  IServiceSpec,
  ITaint,
  IToleration,
  IVolume,
} from 'kubernetes-models/v1';
import type { IDaemonSet, IDaemonSetStatus, IDeployment, IDeploymentStatus } from 'kubernetes-models/apps/v1';
import type { IEndpoint, IEndpointPort, IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1';
import type { CalicoInstallation, FelixConfiguration } from './calico.js';
import type { ObjectMeta, OwnerReference } from './meta.js';

/** An object a scenario holds: one of the kinds the builders and components make. */
export type KubeObject =
  INamespace | INode | IPod | IService | IEndpointSlice | IConfigMap | IDaemonSet | IDeployment | CalicoInstallation | FelixConfiguration;

/** The API server sends `lastProbeTime: null` on pod conditions; kubernetes-models types the field as an optional string. */
export const NULL_TIME = null as unknown as string;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** the characters Kubernetes draws generated name suffixes from */
export const K8S_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export class Ctx {
  objects: KubeObject[] = [];
  constructor(public scenario: string) {}
  uid(key: string): string {
    const h = sha(`${this.scenario}/uid/${key}`);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16]!, 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  hex(key: string, n = 64): string {
    let out = '';
    let i = 0;
    while (out.length < n) out += sha(`${this.scenario}/hex/${key}/${i++}`);
    return out.slice(0, n);
  }
  suffix(key: string, n = 5): string {
    const h = sha(`${this.scenario}/sfx/${key}`);
    let s = '';
    for (let i = 0; i < n; i++) s += K8S_ALPHABET[parseInt(h.slice(i * 2, i * 2 + 2), 16) % K8S_ALPHABET.length];
    return s;
  }
  /** pod-template-hash style: 8-10 chars of the k8s alphabet */
  templateHash(key: string): string {
    return this.suffix(`tpl/${key}`, 10);
  }
  add(...objs: KubeObject[]): void {
    this.objects.push(...objs);
  }
}

export const T = (iso: string) => iso;
/** base time plus minutes */
export function at(base: string, minutes: number): string {
  return new Date(Date.parse(base) + minutes * 60_000).toISOString().replace('.000Z', 'Z');
}

// ---------------------------------------------------------------- Namespaces

export function namespace(ctx: Ctx, name: string, created: string, labels: Record<string, string> = {}): INamespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: ctx.uid(`ns/${name}`),
      creationTimestamp: created,
      labels: { 'kubernetes.io/metadata.name': name, ...labels },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

// ---------------------------------------------------------------- Nodes

export interface NodeOpts {
  name: string;
  ip: string;
  podCIDR: string;
  controlPlane?: boolean;
  /** add node-role.kubernetes.io/control-plane=true style (k3s/rke2) instead of "" */
  roleValue?: string;
  extraRoles?: string[];
  kubelet: string;
  kubeProxyVersion?: string;
  runtime: string;
  osImage: string;
  kernel: string;
  os?: 'linux' | 'windows';
  arch?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: ITaint[];
  ready?: boolean;
  unschedulable?: boolean;
  providerID?: string;
  created: string;
  heartbeat: string;
  networkCondition?: { reason: string; message: string };
  cpu?: string;
  memoryKi?: number;
  /** kubeadm adds node.kubernetes.io/exclude-from-external-load-balancers on control planes */
  kubeadm?: boolean;
}

/**
 * The conditions a kubelet reports on its Node: no memory, disk or PID pressure since `since`, and Ready since
 * `readySince` (default `since`) or, with `ready: false`, not Ready because the CNI plugin is not initialised.
 */
export function kubeletConditions(o: { heartbeat: string; since: string; readySince?: string; ready?: boolean }): INodeCondition[] {
  return [
    {
      type: 'MemoryPressure',
      status: 'False',
      lastHeartbeatTime: o.heartbeat,
      lastTransitionTime: o.since,
      reason: 'KubeletHasSufficientMemory',
      message: 'kubelet has sufficient memory available',
    },
    {
      type: 'DiskPressure',
      status: 'False',
      lastHeartbeatTime: o.heartbeat,
      lastTransitionTime: o.since,
      reason: 'KubeletHasNoDiskPressure',
      message: 'kubelet has no disk pressure',
    },
    {
      type: 'PIDPressure',
      status: 'False',
      lastHeartbeatTime: o.heartbeat,
      lastTransitionTime: o.since,
      reason: 'KubeletHasSufficientPID',
      message: 'kubelet has sufficient PID available',
    },
    (o.ready ?? true)
      ? {
          type: 'Ready',
          status: 'True',
          lastHeartbeatTime: o.heartbeat,
          lastTransitionTime: o.readySince ?? o.since,
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
        }
      : {
          type: 'Ready',
          status: 'False',
          lastHeartbeatTime: o.heartbeat,
          lastTransitionTime: o.since,
          reason: 'KubeletNotReady',
          message:
            'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
        },
  ];
}

/** The labels a kubelet puts on its Node. */
export function kubeletLabels(name: string, os = 'linux', arch = 'amd64'): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': os,
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': os,
  };
}

export function node(ctx: Ctx, o: NodeOpts): INode {
  const os = o.os ?? 'linux';
  const arch = o.arch ?? 'amd64';
  const labels = kubeletLabels(o.name, os, arch);
  if (o.controlPlane) {
    labels['node-role.kubernetes.io/control-plane'] = o.roleValue ?? '';
    if (o.kubeadm) labels['node.kubernetes.io/exclude-from-external-load-balancers'] = '';
  }
  for (const r of o.extraRoles ?? []) labels[`node-role.kubernetes.io/${r}`] = o.roleValue ?? '';
  Object.assign(labels, o.labels ?? {});
  const ready = o.ready ?? true;
  const conds: INodeCondition[] = [];
  if (o.networkCondition) {
    conds.push({
      type: 'NetworkUnavailable',
      status: 'False',
      lastHeartbeatTime: at(o.created, 3),
      lastTransitionTime: at(o.created, 3),
      reason: o.networkCondition.reason,
      message: o.networkCondition.message,
    });
  }
  conds.push(...kubeletConditions({ heartbeat: o.heartbeat, since: o.created, readySince: at(o.created, 2), ready }));
  const taints: ITaint[] = [...(o.taints ?? [])];
  if (o.controlPlane && o.kubeadm) taints.unshift({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
  if (!ready) {
    taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
  }
  if (o.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: o.heartbeat });
  const spec: INodeSpec = o.podCIDR ? { podCIDR: o.podCIDR, podCIDRs: [o.podCIDR] } : {};
  if (o.providerID) spec.providerID = o.providerID;
  if (taints.length) spec.taints = taints;
  if (o.unschedulable) spec.unschedulable = true;
  const memKi = o.memoryKi ?? 16_374_584;
  const cpu = o.cpu ?? '4';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.name,
      uid: ctx.uid(`node/${o.name}`),
      creationTimestamp: o.created,
      labels,
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...(o.annotations ?? {}),
      },
    },
    spec,
    status: {
      addresses: [
        { type: 'InternalIP', address: o.ip },
        { type: 'Hostname', address: o.name },
      ],
      allocatable: {
        cpu,
        'ephemeral-storage': '95491281146',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: `${memKi - 102_400}Ki`,
        pods: '110',
      },
      capacity: {
        cpu,
        'ephemeral-storage': '103614872Ki',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: `${memKi}Ki`,
        pods: '110',
      },
      conditions: conds,
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: arch,
        bootID: ctx.uid(`boot/${o.name}`),
        containerRuntimeVersion: o.runtime,
        kernelVersion: o.kernel,
        kubeProxyVersion: o.kubeProxyVersion ?? '',
        kubeletVersion: o.kubelet,
        machineID: ctx.hex(`machine/${o.name}`, 32),
        operatingSystem: os,
        osImage: o.osImage,
        systemUUID: ctx.uid(`sysuuid/${o.name}`),
      },
    },
  };
}

export const nodeName = (n: INode): string => n.metadata!.name!;
export const nodeIP = (n: INode): string => n.status!.addresses![0]!.address;
const isReadyTrue = (c: INodeCondition | IPodCondition): boolean => c.type === 'Ready' && c.status === 'True';
export const nodeReady = (n: INode): boolean => n.status!.conditions!.some(isReadyTrue);
export const podReady = (p: IPod): boolean => p.status!.conditions!.some(isReadyTrue);

/** pod address bases for nodes without spec.podCIDR (EKS VPC CNI, OVN-Kubernetes) */
export const POD_BASES = new Map<string, string>();

/** the n-th pod IP in a node's podCIDR (a /24) */
export function podIP(n: INode, i: number): string {
  const cidr = n.spec!.podCIDR ?? POD_BASES.get(nodeName(n));
  if (!cidr) throw new Error(`node ${nodeName(n)} has no pod address range`);
  const base = cidr.split('/')[0]!.split('.');
  return `${base[0]}.${base[1]}.${base[2]}.${i}`;
}

// ---------------------------------------------------------------- Containers & pods

export interface ContainerState {
  ready?: boolean;
  restartCount?: number;
  /** waiting.reason, e.g. CrashLoopBackOff */
  waiting?: { reason: string; message?: string };
  lastTerminated?: { reason: string; exitCode: number; minutesAgo: number };
  image?: string;
}

export interface PodPlacement {
  node: INode | null;
  /** default true */
  ready?: boolean;
  containers?: Record<string, ContainerState>;
  /** override images of named containers (version skew) */
  images?: Record<string, string>;
  started: string;
  now: string;
  ipIndex?: number;
  phase?: IPodStatus['phase'];
}

function withContainerDefaults(c: IContainer): IContainer {
  return {
    imagePullPolicy: 'IfNotPresent',
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    ...c,
  };
}

export function podTemplateSpec(spec: IPodSpec): IPodSpec {
  const out: IPodSpec = {
    dnsPolicy: spec.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
    ...spec,
  };
  out.containers = spec.containers.map(withContainerDefaults);
  if (spec.initContainers) out.initContainers = spec.initContainers.map(withContainerDefaults);
  return out;
}

function imageID(ctx: Ctx, image: string): string {
  const repo = image.split('@')[0]!.replace(/:[^/:]+$/, '');
  const digest = image.includes('@') ? image.split('@')[1]! : `sha256:${ctx.hex(`imageid/${image}`)}`;
  return `${repo}@${digest}`;
}

function containerStatus(
  ctx: Ctx,
  podKey: string,
  c: IContainer,
  st: ContainerState,
  started: string,
  now: string,
  podReady: boolean,
): IContainerStatus {
  // every container the builders make names its image
  const image = st.image ?? c.image!;
  const ready = st.ready ?? (podReady && !st.waiting);
  const out: IContainerStatus = {
    containerID: `containerd://${ctx.hex(`cid/${podKey}/${c.name}/${st.restartCount ?? 0}`)}`,
    image,
    imageID: imageID(ctx, image),
    lastState: {},
    name: c.name,
    ready,
    restartCount: st.restartCount ?? 0,
    started: !st.waiting,
    state: st.waiting
      ? { waiting: { reason: st.waiting.reason, ...(st.waiting.message ? { message: st.waiting.message } : {}) } }
      : { running: { startedAt: st.lastTerminated ? at(now, -st.lastTerminated.minutesAgo + 1) : started } },
  };
  if (st.lastTerminated) {
    out.lastState = {
      terminated: {
        containerID: `containerd://${ctx.hex(`cid/${podKey}/${c.name}/${(st.restartCount ?? 1) - 1}`)}`,
        exitCode: st.lastTerminated.exitCode,
        finishedAt: at(now, -st.lastTerminated.minutesAgo),
        reason: st.lastTerminated.reason,
        startedAt: at(now, -st.lastTerminated.minutesAgo - 1),
      },
    };
  }
  return out;
}

function podConditions(p: PodPlacement, ready: boolean, unready: string[]): IPodCondition[] {
  if (!p.node) {
    return [
      {
        type: 'PodScheduled',
        status: 'False',
        lastProbeTime: NULL_TIME,
        lastTransitionTime: p.started,
        reason: 'Unschedulable',
        message:
          '0/3 nodes are available: 3 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
      },
    ];
  }
  const notReady = unready.length
    ? { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` }
    : {};
  return [
    { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: NULL_TIME, lastTransitionTime: at(p.started, 0) },
    { type: 'Initialized', status: 'True', lastProbeTime: NULL_TIME, lastTransitionTime: at(p.started, 1) },
    { type: 'Ready', status: ready ? 'True' : 'False', lastProbeTime: NULL_TIME, lastTransitionTime: at(p.started, 1), ...notReady },
    {
      type: 'ContainersReady',
      status: ready ? 'True' : 'False',
      lastProbeTime: NULL_TIME,
      lastTransitionTime: at(p.started, 1),
      ...notReady,
    },
    { type: 'PodScheduled', status: 'True', lastProbeTime: NULL_TIME, lastTransitionTime: p.started },
  ];
}

export interface PodOpts {
  ns: string;
  name: string;
  generateName?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  owner: OwnerReference;
  spec: IPodSpec;
  placement: PodPlacement;
  priority?: number;
  qosClass?: IPodStatus['qosClass'];
}

export function pod(ctx: Ctx, o: PodOpts): IPod {
  const p = o.placement;
  const key = `${o.ns}/${o.name}`;
  const spec: IPodSpec = structuredClone(o.spec);
  if (p.images) for (const c of spec.containers) if (p.images[c.name]) c.image = p.images[c.name];
  if (p.node) spec.nodeName = nodeName(p.node);
  if (o.priority !== undefined) spec.priority = o.priority;
  spec.enableServiceLinks = true;
  spec.preemptionPolicy = 'PreemptLowerPriority';
  const containerStates = p.containers ?? {};
  const anyWaiting = Object.values(containerStates).some((s) => s.waiting || s.ready === false);
  const ready = p.node ? (p.ready ?? !anyWaiting) : false;
  const unready: string[] = [];
  const statuses = p.node
    ? spec.containers.map((c) => {
        const st = { ...(containerStates[c.name] ?? {}) };
        if (p.images?.[c.name]) st.image = p.images[c.name];
        const s = containerStatus(ctx, key, c, st, at(p.started, 1), p.now, ready);
        if (!s.ready) unready.push(c.name);
        return s;
      })
    : undefined;
  const status: IPodStatus = {
    conditions: podConditions(p, ready, unready),
    phase: p.phase ?? (p.node ? 'Running' : 'Pending'),
    qosClass: o.qosClass ?? 'Burstable',
  };
  if (p.node) {
    const hostIP = nodeIP(p.node);
    const ip = spec.hostNetwork ? hostIP : podIP(p.node, p.ipIndex ?? 2);
    Object.assign(status, {
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: p.started,
      containerStatuses: statuses,
    });
    if (spec.initContainers) {
      status.initContainerStatuses = spec.initContainers.map((c) => ({
        containerID: `containerd://${ctx.hex(`cid/${key}/init/${c.name}`)}`,
        image: c.image!,
        imageID: imageID(ctx, c.image!),
        lastState: {},
        name: c.name,
        ready: true,
        restartCount: 0,
        started: false,
        state: {
          terminated: {
            containerID: `containerd://${ctx.hex(`cid/${key}/init/${c.name}`)}`,
            exitCode: 0,
            finishedAt: at(p.started, 0),
            reason: 'Completed',
            startedAt: at(p.started, 0),
          },
        },
      }));
    }
  }
  const metadata: ObjectMeta = {
    name: o.name,
    ...(o.generateName ? { generateName: o.generateName } : {}),
    namespace: o.ns,
    uid: ctx.uid(`pod/${key}`),
    creationTimestamp: p.started,
    labels: o.labels,
  };
  if (o.annotations && Object.keys(o.annotations).length) metadata.annotations = o.annotations;
  metadata.ownerReferences = [o.owner];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec, status };
}

// ---------------------------------------------------------------- DaemonSets

export interface DsOpts {
  ns: string;
  name: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  selector: Record<string, string>;
  podLabels: Record<string, string>;
  podAnnotations?: Record<string, string>;
  podSpec: IPodSpec;
  created: string;
  maxUnavailable?: number | string;
  generation?: number;
}

export class DaemonSetBuilder {
  obj: IDaemonSet;
  pods: IPod[] = [];
  /** pods still on an older template revision: not counted in updatedNumberScheduled */
  private outdated = new Set<IPod>();
  revisionHash: string;
  constructor(
    private ctx: Ctx,
    private o: DsOpts,
  ) {
    this.revisionHash = ctx.suffix(`rev/${o.ns}/${o.name}/${o.generation ?? 1}`, 10);
    const spec = podTemplateSpec(o.podSpec);
    this.obj = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: {
        name: o.name,
        namespace: o.ns,
        uid: ctx.uid(`ds/${o.ns}/${o.name}`),
        generation: o.generation ?? 1,
        creationTimestamp: o.created,
        labels: o.labels,
        annotations: { 'deprecated.daemonset.template.generation': String(o.generation ?? 1), ...(o.annotations ?? {}) },
      },
      spec: {
        revisionHistoryLimit: 10,
        selector: { matchLabels: o.selector },
        template: {
          metadata: { ...(o.podAnnotations ? { annotations: o.podAnnotations } : {}), labels: o.podLabels },
          spec,
        },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: o.maxUnavailable ?? 1 } },
      },
      // status: set by finish(), from the pods placed
    };
  }

  get templateSpec(): IPodSpec {
    return this.obj.spec!.template.spec!;
  }

  /** one pod on a node; `outdated` marks a pod still on an older template revision */
  addPod(p: PodPlacement, outdated = false): IPod {
    const ctx = this.ctx;
    const nName = p.node ? nodeName(p.node) : 'pending';
    const podName = `${this.o.name}-${ctx.suffix(`pod/${this.o.ns}/${this.o.name}/${nName}`)}`;
    const spec: IPodSpec = structuredClone(this.templateSpec);
    if (p.node) {
      spec.affinity = {
        ...(spec.affinity ?? {}),
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nName] }] }],
          },
        },
      };
    }
    // tolerations the DaemonSet controller adds to every daemon pod
    const extra: IToleration[] = [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
    ];
    if (spec.hostNetwork) extra.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
    spec.tolerations = [...(spec.tolerations ?? []), ...extra];
    const rev = outdated ? ctx.suffix(`rev/${this.o.ns}/${this.o.name}/old`, 10) : this.revisionHash;
    const gen = outdated ? (this.o.generation ?? 1) - 1 : (this.o.generation ?? 1);
    const prio =
      spec.priorityClassName === 'system-node-critical'
        ? 2000001000
        : spec.priorityClassName === 'system-cluster-critical'
          ? 2000000000
          : undefined;
    const po = pod(ctx, {
      ns: this.o.ns,
      name: podName,
      generateName: `${this.o.name}-`,
      labels: { ...this.o.podLabels, 'controller-revision-hash': rev, 'pod-template-generation': String(gen) },
      annotations: this.o.podAnnotations,
      owner: {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        name: this.o.name,
        uid: this.obj.metadata!.uid!,
        controller: true,
        blockOwnerDeletion: true,
      },
      spec,
      placement: p,
      priority: prio,
    });
    if (outdated) this.outdated.add(po);
    this.pods.push(po);
    return po;
  }

  /** status from the pods placed; desired = nodes the DaemonSet targets */
  finish(desired: number): [IDaemonSet, ...IPod[]] {
    const scheduled = this.pods.filter((p) => p.spec!.nodeName);
    const ready = scheduled.filter(podReady).length;
    const updated = scheduled.filter((p) => !this.outdated.has(p)).length;
    const status: IDaemonSetStatus = {
      currentNumberScheduled: scheduled.length,
      desiredNumberScheduled: desired,
      numberAvailable: ready,
      numberMisscheduled: 0,
      numberReady: ready,
      observedGeneration: this.obj.metadata!.generation,
      updatedNumberScheduled: updated,
    };
    if (desired - ready > 0) status.numberUnavailable = desired - ready;
    this.obj.status = status;
    return [this.obj, ...this.pods];
  }
}

// ---------------------------------------------------------------- Deployments (and their pods)

export interface DeployOpts {
  ns: string;
  name: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  podLabels: Record<string, string>;
  podAnnotations?: Record<string, string>;
  podSpec: IPodSpec;
  created: string;
  replicas: number;
  /** placements for the pods; omitted → only the Deployment */
  pods?: PodPlacement[];
  annotations?: Record<string, string>;
}

export function deployment(ctx: Ctx, o: DeployOpts): [IDeployment, ...IPod[]] {
  const spec = podTemplateSpec(o.podSpec);
  const hash = ctx.templateHash(`${o.ns}/${o.name}`);
  const rsName = `${o.name}-${hash}`;
  const rsUid = ctx.uid(`rs/${o.ns}/${rsName}`);
  const pods = (o.pods ?? []).map((p, i) =>
    pod(ctx, {
      ns: o.ns,
      name: `${rsName}-${ctx.suffix(`pod/${o.ns}/${rsName}/${i}`)}`,
      generateName: `${rsName}-`,
      labels: { ...o.podLabels, 'pod-template-hash': hash },
      annotations: o.podAnnotations,
      owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rsUid, controller: true, blockOwnerDeletion: true },
      spec,
      placement: p,
      priority:
        spec.priorityClassName === 'system-cluster-critical'
          ? 2000000000
          : spec.priorityClassName === 'system-node-critical'
            ? 2000001000
            : 0,
    }),
  );
  const readyCount = o.pods ? pods.filter(podReady).length : o.replicas;
  const status: IDeploymentStatus = {
    observedGeneration: 1,
    replicas: o.replicas,
    updatedReplicas: o.replicas,
    conditions: [
      readyCount > 0
        ? {
            type: 'Available',
            status: 'True',
            lastTransitionTime: at(o.created, 5),
            lastUpdateTime: at(o.created, 5),
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
          }
        : {
            type: 'Available',
            status: 'False',
            lastTransitionTime: o.created,
            lastUpdateTime: o.created,
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
      {
        type: 'Progressing',
        status: 'True',
        lastTransitionTime: o.created,
        lastUpdateTime: at(o.created, 5),
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${rsName}" has successfully progressed.`,
      },
    ],
  };
  if (readyCount > 0) Object.assign(status, { readyReplicas: readyCount, availableReplicas: readyCount });
  if (o.replicas - readyCount > 0) status.unavailableReplicas = o.replicas - readyCount;
  const dep: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: o.name,
      namespace: o.ns,
      uid: ctx.uid(`deploy/${o.ns}/${o.name}`),
      generation: 1,
      creationTimestamp: o.created,
      labels: o.labels,
      annotations: { 'deployment.kubernetes.io/revision': '1', ...(o.annotations ?? {}) },
    },
    spec: {
      progressDeadlineSeconds: 600,
      replicas: o.replicas,
      revisionHistoryLimit: 10,
      selector: { matchLabels: o.selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: { metadata: { ...(o.podAnnotations ? { annotations: o.podAnnotations } : {}), labels: o.podLabels }, spec },
    },
    status,
  };
  return [dep, ...pods];
}

// ---------------------------------------------------------------- ConfigMaps

export function configMap(
  ctx: Ctx,
  ns: string,
  name: string,
  data: Record<string, string>,
  created: string,
  labels?: Record<string, string>,
  annotations?: Record<string, string>,
): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: ns,
      uid: ctx.uid(`cm/${ns}/${name}`),
      creationTimestamp: created,
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
    },
    data,
  };
}

// ---------------------------------------------------------------- Services & EndpointSlices

export interface SvcPort {
  name: string;
  port: number;
  protocol: IServicePort['protocol'];
  targetPort: number | string;
  nodePort?: number;
}

export function service(
  ctx: Ctx,
  o: {
    ns: string;
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    clusterIP: string;
    ports: SvcPort[];
    selector?: Record<string, string>;
    created: string;
    type?: IServiceSpec['type'];
  },
): IService {
  const spec: IServiceSpec = {
    clusterIP: o.clusterIP,
    clusterIPs: [o.clusterIP],
    internalTrafficPolicy: 'Cluster',
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports: o.ports,
    ...(o.selector ? { selector: o.selector } : {}),
    sessionAffinity: 'None',
    type: o.type ?? 'ClusterIP',
  };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: o.name,
      namespace: o.ns,
      uid: ctx.uid(`svc/${o.ns}/${o.name}`),
      creationTimestamp: o.created,
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec,
    status: { loadBalancer: {} },
  };
}

export function endpointSliceForPods(ctx: Ctx, svc: IService, pods: IPod[], ports: IEndpointPort[], now: string): IEndpointSlice {
  const sm = svc.metadata!;
  const ns = sm.namespace;
  const name = `${sm.name}-${ctx.suffix(`eps/${ns}/${sm.name}`)}`;
  const scheduled = pods.filter((p) => p.status!.podIP);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      generateName: `${sm.name}-`,
      namespace: ns,
      uid: ctx.uid(`eps/${ns}/${name}`),
      creationTimestamp: sm.creationTimestamp,
      labels: {
        ...(sm.labels ?? {}),
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        'kubernetes.io/service-name': sm.name!,
      },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': now },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: sm.name!, uid: sm.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: 'IPv4',
    endpoints: scheduled.length
      ? scheduled.map((p) => ({
          addresses: [p.status!.podIP!],
          conditions: { ready: podReady(p), serving: podReady(p), terminating: false },
          nodeName: p.spec!.nodeName,
          targetRef: { kind: 'Pod', name: p.metadata!.name, namespace: ns, uid: p.metadata!.uid },
        }))
      : // the API server sends null for a slice without endpoints; kubernetes-models types the field as a list
        (null as unknown as IEndpoint[]),
    ports,
  };
}

/** default/kubernetes Service and the apiserver-managed EndpointSlice */
export function apiserverService(ctx: Ctx, created: string, endpointIPs: string[], port = 6443): [IService, IEndpointSlice] {
  const svc = service(ctx, {
    ns: 'default',
    name: 'kubernetes',
    labels: { component: 'apiserver', provider: 'kubernetes' },
    clusterIP: '198.19.0.1',
    ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
    created,
  });
  const eps: IEndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      uid: ctx.uid('eps/default/kubernetes'),
      creationTimestamp: created,
      labels: { 'kubernetes.io/service-name': 'kubernetes' },
    },
    addressType: 'IPv4',
    endpoints: endpointIPs.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
  return [svc, eps];
}

// ---------------------------------------------------------------- common node-agent pieces

export const DS_TOLERATE_ALL: IToleration[] = [{ operator: 'Exists' }];
export const NODE_NAME_ENV: IEnvVar = { name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } };

export function fieldEnv(name: string, fieldPath: string): IEnvVar {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

export function hostPathVol(name: string, path: string, type?: IHostPathVolumeSource['type']): IVolume {
  return { name, hostPath: { path, ...(type ? { type } : {}) } };
}
