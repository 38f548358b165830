// A kubelet that runs processes instead of containers: it registers its Node (with the pod CIDR the address plan gives
// it), keeps the Node Lease renewed so the node-lifecycle controller keeps it Ready, watches the pods bound to it, and
// runs each through a PodRunner. Pods being deleted are stopped within their grace period and then removed from the
// API, as the real kubelet's final delete does.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KUBERNETES_VERSION, NET, type ClusterOptions, type NodePlan } from '../config.js';
import type { ApiClient } from '../api.js';
import { PodRunner, type NodeContext } from './pod.js';
import type { ImageEntry } from './images.js';

const LEASE_RENEW_MS = 10_000;

export class Kubelet {
  private runners = new Map<string, PodRunner>();
  private used = new Set<number>();
  private abort = new AbortController();
  private leaseTimer: NodeJS.Timeout | undefined;
  private readonly ctx: NodeContext;

  constructor(
    readonly node: NodePlan,
    private readonly api: ApiClient,
    opts: ClusterOptions,
    images: ImageEntry[],
    stateDir: string,
    createdOnHost: (path: string) => void,
    private readonly log: (line: string) => void,
  ) {
    const nodeRoot = join(stateDir, 'nodes', node.name);
    mkdirSync(join(nodeRoot, 'etc'), { recursive: true });
    // The node's resolver is the host bridge, where no DNS server listens: nothing resolves through the machine's own.
    writeFileSync(join(nodeRoot, 'etc', 'resolv.conf'), `nameserver ${NET.hostV4}\n`);
    this.ctx = {
      api,
      node,
      opts,
      images,
      stateDir,
      nodeRoot,
      createdOnHost,
      log: (l) => log(`${node.name}: ${l}`),
      allocateIp: () => {
        for (let n = 2; n < 255; n++) {
          if (!this.used.has(n)) {
            this.used.add(n);
            return n;
          }
        }
        throw new Error(`node ${node.name} has no pod address left in ${node.podCidrV4}`);
      },
      releaseIp: (n) => this.used.delete(n),
    };
  }

  get opts(): ClusterOptions {
    return this.ctx.opts;
  }

  async register(): Promise<void> {
    const { node, opts } = this;
    const podCIDRs = opts.dualStack ? [node.podCidrV4, node.podCidrV6] : [node.podCidrV4];
    try {
      await this.api.request('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: node.name,
          labels: { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
        },
        spec: { podCIDR: podCIDRs[0], podCIDRs },
      });
    } catch (err) {
      if ((err as { status?: number }).status !== 409) throw err;
    }
    await this.writeNodeStatus();
    await this.renewLease();
  }

  private async writeNodeStatus(): Promise<void> {
    const { node, opts } = this;
    const now = new Date().toISOString();
    const cond = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    });
    const resources = { cpu: '2', memory: '8Gi', pods: '110', 'ephemeral-storage': '50Gi' };
    await this.api.mergePatch(`/api/v1/nodes/${node.name}/status`, {
      status: {
        capacity: resources,
        allocatable: resources,
        addresses: [
          { type: 'InternalIP', address: node.ipV4 },
          ...(opts.dualStack ? [{ type: 'InternalIP', address: node.ipV6 }] : []),
          { type: 'Hostname', address: node.name },
        ],
        conditions: [
          cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
          cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
          cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
          cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status (test bed: processes, no container runtime)'),
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          machineID: node.name,
          systemUUID: node.name,
          bootID: node.name,
          kernelVersion: process.platform,
          osImage: 'service-proxy-exporter test bed',
          containerRuntimeVersion: 'testbed://processes',
          kubeletVersion: KUBERNETES_VERSION,
          kubeProxyVersion: '',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    });
  }

  private async renewLease(): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.node.name}`;
    const renewTime = new Date().toISOString().replace(/Z$/, '000Z');
    try {
      await this.api.mergePatch(path, { spec: { holderIdentity: this.node.name, renewTime, leaseDurationSeconds: 40 } });
    } catch (err) {
      if ((err as { status?: number }).status !== 404) {
        this.log(`${this.node.name}: lease not renewed: ${(err as Error).message}`);
      } else {
        await this.api
          .request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.node.name, namespace: 'kube-node-lease' },
            spec: { holderIdentity: this.node.name, renewTime, leaseDurationSeconds: 40 },
          })
          .catch((e) => this.log(`${this.node.name}: lease not created: ${(e as Error).message}`));
      }
    }
    if (!this.abort.signal.aborted) this.leaseTimer = setTimeout(() => void this.renewLease(), LEASE_RENEW_MS);
  }

  /** Watch the pods bound to this node until stop(). */
  run(): void {
    const path = `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${this.node.name}`)}`;
    void this.api.listWatch(
      path,
      (type, obj) => {
        if (type === 'SYNC') {
          const live = new Set((obj as any[]).map((p) => p.metadata.uid));
          for (const p of obj as any[]) this.sync(p);
          for (const [uid, r] of this.runners) if (!live.has(uid)) void this.remove(uid, r, 0);
        } else if (type === 'DELETED') {
          const r = this.runners.get(obj.metadata.uid);
          if (r) void this.remove(obj.metadata.uid, r, 0);
        } else {
          this.sync(obj);
        }
      },
      this.abort.signal,
    );
  }

  private sync(pod: any): void {
    const uid = pod.metadata.uid;
    let r = this.runners.get(uid);
    const done = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (!r) {
      if (pod.metadata.deletionTimestamp || done) {
        if (pod.metadata.deletionTimestamp) void this.finalDelete(pod);
        return;
      }
      r = new PodRunner(pod, this.ctx);
      this.runners.set(uid, r);
      void r.start();
      return;
    }
    r.update(pod);
    if (pod.metadata.deletionTimestamp && !r.terminating) {
      void this.remove(uid, r, pod.metadata.deletionGracePeriodSeconds ?? 30).then(() => this.finalDelete(pod));
    }
  }

  private async remove(uid: string, r: PodRunner, graceSeconds: number): Promise<void> {
    await r.stop(graceSeconds);
    this.runners.delete(uid);
  }

  private async finalDelete(pod: any): Promise<void> {
    try {
      await this.api.request('DELETE', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status !== 404 && status !== 409) this.log(`${this.node.name}: pod ${pod.metadata.name} not deleted: ${(err as Error).message}`);
    }
  }

  /** The pods this kubelet runs, with their containers' pids (for the daemon's status and the fault tests). */
  pods(): { key: string; uid: string; netns: string; pids: Record<string, number | undefined> }[] {
    return [...this.runners.values()].map((r) => ({ key: r.key, uid: r.uid, netns: r.netns, pids: r.pids() }));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    await Promise.all([...this.runners.values()].map((r) => r.stop(2)));
  }
}
