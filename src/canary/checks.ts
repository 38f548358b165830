// The behaviour checks: two service-proxy bugs that leave every VIP probe green, checked every round on the
// canary's own objects (docs/runbooks/ServiceProxyBehaviourBroken.md).
// - session_affinity: connections through the sessionAffinity: ClientIP affinity Service, whose slices hold the two
//   canary ports of the writer's pod, must all reach one of them (cilium/cilium#35254, cilium/cilium#9076).
// - hairpin: the replica holding the canary Lease, whose pod the canary VIP points at, must reach itself through it
//   (cloudnativelabs/kube-router#1235).
// A round with too few answers to judge (the VIP itself not forwarding: the probes and the canary say so) leaves the
// last result as it was: these checks are about behaviour, not reachability.
import type { BehaviourCheck, BehaviourCheckView } from '../state/checks.js';
import { BEHAVIOUR_CHECKS } from '../state/checks.js';
import { AFFINITY_NAME, affinityTargets, type AffinityService, type IpFamily } from './objects.js';
import type { AskResult } from './listeners.js';

/**
 * Connections per family and round through the affinity VIP: a proxy ignoring affinity over two targets sends all of
 * them to one with probability 2^-9.
 */
export const AFFINITY_CONNECTIONS = 10;

export interface Judgement {
  outcome: 'pass' | 'fail' | 'inconclusive';
  detail: string;
}

/** A VIP a check connects to: one family's ClusterIP and the Service port. */
export interface VipTarget {
  family: IpFamily;
  clusterIp: string;
  port: number;
}

/** Why a check cannot be judged here now, or the VIPs to ask. */
export type CheckPlan = { notApplicable: string } | { plan: VipTarget[] };

/** One family's affinity round: every answered connection must name the same port; two answers at least. */
export function judgeAffinity(family: IpFamily, answers: readonly AskResult[]): Judgement {
  const ports = answers.flatMap((a) => ('port' in a ? [a.port] : []));
  const distinct = [...new Set(ports)].sort((a, b) => a - b);
  const failed = answers.length - ports.length;
  const tail = failed ? `, ${failed} unanswered (${errorOf(answers)})` : '';
  if (distinct.length > 1) {
    const counts = distinct.map((p) => `${ports.filter((x) => x === p).length} to port ${p}`).join(', ');
    return { outcome: 'fail', detail: `${answers.length} connections over ${family} from one client: ${counts}${tail}` };
  }
  if (ports.length < 2)
    return { outcome: 'inconclusive', detail: `${ports.length} of ${answers.length} connections over ${family} answered${tail}` };
  return { outcome: 'pass', detail: `${ports.length} connections over ${family}, all to port ${distinct[0]}${tail}` };
}

/** One family's hairpin attempt: any answer from a canary port is this pod answering itself. */
export function judgeHairpin(family: IpFamily, vip: string, answer: AskResult): Judgement {
  if ('port' in answer) return { outcome: 'pass', detail: `reached itself through ${vip} over ${family} (port ${answer.port})` };
  return { outcome: 'fail', detail: `no answer from itself through ${vip} over ${family}: ${answer.error}` };
}

/** Several families' judgements as one: any fail fails; otherwise any pass passes; else inconclusive. */
export function combine(js: readonly Judgement[]): Judgement | undefined {
  if (js.length === 0) return undefined;
  const pick = (o: Judgement['outcome']) => js.filter((j) => j.outcome === o);
  const fail = pick('fail');
  if (fail.length) return { outcome: 'fail', detail: fail.map((j) => j.detail).join('; ') };
  const pass = pick('pass');
  if (pass.length) return { outcome: 'pass', detail: js.map((j) => j.detail).join('; ') };
  return { outcome: 'inconclusive', detail: js.map((j) => j.detail).join('; ') };
}

function errorOf(answers: readonly AskResult[]): string {
  return [...new Set(answers.flatMap((a) => ('error' in a ? [a.error] : [])))].join(', ');
}

/** What the runner reads of the canary at each round. */
export interface CheckInputs {
  /** this replica holds the canary Lease */
  writer(): boolean;
  /** this pod's canary addresses, one per family */
  podIps: readonly string[];
  /** the canary Service: its port and ClusterIP per family; undefined when missing */
  canaryVip(): { port: number; families: { family: IpFamily; clusterIp: string }[] } | undefined;
  /** the canary slice's current target address (the writer's pod IP once it took over) */
  canaryTargetAddress(): string | undefined;
  /** the affinity Service (undefined when missing), its slices, and whether both watches have listed */
  affinity(): { synced: boolean; svc: AffinityService | undefined; slices: unknown[] };
  /** the last probe round's service_lb_functional on this replica (false: VIPs do not forward here; hairpin is not judged) */
  functional?(): boolean | undefined;
  /** called at the start of each round (the writer's slices are put right there when a write failed) */
  beforeRound?(): void;
  ask(host: string, port: number, signal: AbortSignal): Promise<AskResult>;
}

export interface CheckRecorder {
  checkFailed(check: BehaviourCheck): void;
}

/** Why session_affinity cannot be judged here now, or the families to ask (VIP, port, with two targets each). */
export function affinityPlan(a: ReturnType<CheckInputs['affinity']>): CheckPlan {
  if (!a.synced) return { notApplicable: `waiting for the first list of the ${AFFINITY_NAME} Service and its EndpointSlices` };
  if (!a.svc)
    return {
      notApplicable: `the Service ${AFFINITY_NAME} is missing or has no ClusterIP (apply manifests/base/canary-service.yaml)`,
    };
  if (!a.svc.clientIp) return { notApplicable: `the Service ${AFFINITY_NAME} does not ask for sessionAffinity: ClientIP` };
  const svc = a.svc;
  const plan = svc.families
    .filter((f) => affinityTargets(a.slices, f.family).length >= 2)
    .map((f) => ({ family: f.family, clusterIp: f.clusterIp, port: svc.port }));
  if (plan.length === 0)
    return { notApplicable: `the EndpointSlices of ${AFFINITY_NAME} do not hold two ready targets yet (the canary writer writes them)` };
  return { plan };
}

/** Why hairpin cannot be judged here now, or the VIPs to ask. */
export function hairpinPlan(i: Pick<CheckInputs, 'writer' | 'podIps' | 'canaryVip' | 'canaryTargetAddress'>): CheckPlan {
  if (!i.writer()) return { notApplicable: 'checked by the replica holding the canary Lease (its pod is the canary target)' };
  const vip = i.canaryVip();
  if (!vip || vip.families.length === 0) return { notApplicable: 'the canary Service is missing or has no ClusterIP' };
  const target = i.canaryTargetAddress();
  if (!target || !i.podIps.includes(target)) return { notApplicable: 'the canary EndpointSlice does not point at this pod yet' };
  return { plan: vip.families.map((f) => ({ ...f, port: vip.port })) };
}

/**
 * Runs both checks every interval and keeps `view` (one entry per check) up to date. Connections are made one at a
 * time: the first of an affinity round sets the proxy's affinity entry, the others must follow it.
 */
export class BehaviourChecks {
  readonly view: BehaviourCheckView[] = BEHAVIOUR_CHECKS.map((check) => ({ check, notApplicable: 'no round yet' }));
  /** TCP connections made through VIPs */
  connections = 0;
  rounds = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly stopper = new AbortController();

  constructor(
    private readonly i: CheckInputs,
    private readonly recorder: CheckRecorder,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.round().finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One round of both checks (the timer calls it; tests call it directly). */
  async round(): Promise<void> {
    this.i.beforeRound?.();
    this.rounds++;
    await this.run('session_affinity', affinityPlan(this.i.affinity()), async (f) => {
      const answers: AskResult[] = [];
      for (let n = 0; n < AFFINITY_CONNECTIONS && !this.stopper.signal.aborted; n++) {
        answers.push(await this.ask(f.clusterIp, f.port));
        // a VIP that does not answer twice in a row will not judge affinity this round: do not wait out the rest
        if (answers.length >= 2 && answers.slice(-2).every((a) => 'error' in a)) break;
      }
      return judgeAffinity(f.family, answers);
    });
    await this.run('hairpin', hairpinPlan(this.i), async (f) => {
      // The writer's own VIP traffic is all hairpin: with Service load-balancing broken on this node it fails for that
      // reason (ServiceLoadBalancingBroken pages for it), not for a hairpin bug.
      if (this.i.functional?.() === false)
        return { outcome: 'inconclusive', detail: 'Service load-balancing is broken on this node (service_lb_functional 0)' };
      let answer = await this.ask(f.clusterIp, f.port);
      // one retry: a single lost SYN is not a hairpin bug
      if ('error' in answer && !this.stopper.signal.aborted) answer = await this.ask(f.clusterIp, f.port);
      return judgeHairpin(f.family, f.clusterIp, answer);
    });
  }

  private ask(host: string, port: number): Promise<AskResult> {
    this.connections++;
    return this.i.ask(host, port, this.stopper.signal);
  }

  private async run(check: BehaviourCheck, p: CheckPlan, one: (f: VipTarget) => Promise<Judgement>): Promise<void> {
    const v = this.view.find((x) => x.check === check)!;
    if ('notApplicable' in p) {
      v.notApplicable = p.notApplicable;
      delete v.success;
      delete v.detail;
      delete v.at;
      return;
    }
    const js: Judgement[] = [];
    for (const f of p.plan) {
      if (this.stopper.signal.aborted) return;
      js.push(await one(f));
    }
    const j = combine(js);
    if (!j || this.stopper.signal.aborted) return;
    if (j.outcome === 'inconclusive') {
      // keep the last conclusive result; say what this round saw
      if (v.notApplicable !== undefined) {
        v.notApplicable = `no conclusive round yet: ${j.detail}`;
      } else v.detail = `last round inconclusive: ${j.detail}`;
      return;
    }
    delete v.notApplicable;
    v.success = j.outcome === 'pass';
    v.detail = j.detail;
    v.at = this.now();
    if (!v.success) this.recorder.checkFailed(check);
  }
}
