// Pure functions from raw API objects (as JSON, or as client-node's typed objects) to the slim
// shapes in ./types.ts. They never throw: real clusters hold objects with missing or odd fields.
import type {
  SlimConfigMap,
  SlimContainer,
  SlimContainerStatus,
  SlimCustomResource,
  SlimDaemonSet,
  SlimEndpointSlice,
  SlimNode,
  SlimPod,
  SlimService,
  SlimTaint,
  SlimToleration,
  SlimNodeSelectorRequirement,
  SlimNodeSelectorTerm,
  NodeConditionType,
} from './types.js';
import { intern } from './intern.js';

type Obj = Record<string, any>;

const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
// Objects and arrays are not strings: String() on them is at best "[object Object]" and throws for
// one whose toString/valueOf is not callable (`{"toString": 1}` parses from JSON), so they read as "".
const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : '';
/** A low-cardinality string field (namespace, image, flag, label value): one shared copy (./intern.ts). */
const low = (v: unknown): string => intern(str(v));
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Keys become property names (V8 keeps one copy of those already); values are shared through intern(). */
function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(asObj(v))) if (typeof val === 'string') out[k] = intern(val);
  return out;
}

function pick(map: Record<string, string>, keep: (key: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) if (keep(k)) out[k] = v;
  return out;
}

/** Pod annotations detection reads: static (mirror) pod markers. */
export const POD_ANNOTATIONS = ['kubernetes.io/config.mirror', 'kubernetes.io/config.source'];
/** Node annotations detection reads: the server/agent flags of k3s and RKE2. */
export const NODE_ANNOTATIONS = ['k3s.io/node-args', 'rke2.io/node-args', 'k3s.io/node-config-hash'];
export const SERVICE_ANNOTATION_PREFIX = 'service-proxy-exporter.io/';

function slimContainers(spec: Obj): SlimContainer[] {
  return asArr(spec.containers).map((c0) => {
    const c = asObj(c0);
    const env: Record<string, string> = {};
    for (const e0 of asArr(c.env)) {
      const e = asObj(e0);
      if (typeof e.name === 'string' && typeof e.value === 'string') env[e.name] = intern(e.value);
    }
    return {
      name: low(c.name),
      image: low(c.image),
      argv: [...asArr(c.command), ...asArr(c.args)].map(low),
      env,
    };
  });
}

function slimTolerations(spec: Obj): SlimToleration[] {
  return asArr(spec.tolerations).map((t0) => {
    const t = asObj(t0);
    const out: SlimToleration = {};
    if (t.key != null) out.key = low(t.key);
    if (t.operator != null) out.operator = low(t.operator);
    if (t.value != null) out.value = low(t.value);
    if (t.effect != null) out.effect = low(t.effect);
    return out;
  });
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];

function requirements(list: unknown, fieldsOnlyName: boolean): SlimNodeSelectorRequirement[] | undefined {
  const out: SlimNodeSelectorRequirement[] = [];
  for (const r0 of asArr(list)) {
    const r = asObj(r0);
    const operator = str(r.operator);
    if (!OPERATORS.includes(operator) || typeof r.key !== 'string') return undefined;
    if (fieldsOnlyName && r.key !== 'metadata.name') return undefined;
    out.push({ key: r.key, operator: operator as SlimNodeSelectorRequirement['operator'], values: asArr(r.values).map(low) });
  }
  return out;
}

/** requiredDuringScheduling... → terms we can evaluate, or nothing when any part is beyond that. */
function nodeSelectorTerms(required: unknown): { requiredNodeAffinity: SlimNodeSelectorTerm[] } | undefined {
  const terms = asArr(asObj(required).nodeSelectorTerms);
  if (terms.length === 0) return undefined;
  const out: SlimNodeSelectorTerm[] = [];
  for (const t0 of terms) {
    const t = asObj(t0);
    const labels = requirements(t.matchExpressions, false);
    const names = requirements(t.matchFields, true);
    if (!labels || !names) return undefined;
    out.push({ labels, names });
  }
  return { requiredNodeAffinity: out };
}

export function slimDaemonSet(raw: unknown): SlimDaemonSet {
  const o = asObj(raw);
  const md = asObj(o.metadata);
  const podSpec = asObj(asObj(asObj(o.spec).template).spec);
  const st = asObj(o.status);
  const affinity = asObj(asObj(podSpec.affinity).nodeAffinity);
  return {
    namespace: low(md.namespace),
    name: str(md.name),
    labels: stringMap(md.labels),
    nodeSelector: stringMap(podSpec.nodeSelector),
    hasRequiredNodeAffinity: affinity.requiredDuringSchedulingIgnoredDuringExecution != null,
    ...(nodeSelectorTerms(affinity.requiredDuringSchedulingIgnoredDuringExecution) ?? {}),
    tolerations: slimTolerations(podSpec),
    containers: slimContainers(podSpec),
    desired: num(st.desiredNumberScheduled),
    current: num(st.currentNumberScheduled),
    ready: num(st.numberReady),
    available: num(st.numberAvailable),
    updated: num(st.updatedNumberScheduled),
    misscheduled: num(st.numberMisscheduled),
  };
}

function conditionStatus(conditions: unknown, type: string): string | undefined {
  for (const c0 of asArr(conditions)) {
    const c = asObj(c0);
    if (c.type === type) return low(c.status);
  }
  return undefined;
}

function slimContainerStatus(raw: unknown): SlimContainerStatus {
  const s = asObj(raw);
  const waiting = asObj(asObj(s.state).waiting);
  const terminated = asObj(asObj(s.lastState).terminated);
  const out: SlimContainerStatus = {
    name: low(s.name),
    ready: s.ready === true,
    restartCount: num(s.restartCount),
    image: low(s.image),
  };
  if (waiting.reason != null) out.waitingReason = low(waiting.reason);
  if (terminated.reason != null) out.lastTerminationReason = low(terminated.reason);
  if (typeof terminated.exitCode === 'number') out.lastTerminationExitCode = terminated.exitCode;
  return out;
}

function timestamp(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? v : undefined;
}

export function slimPod(raw: unknown): SlimPod {
  const o = asObj(raw);
  const md = asObj(o.metadata);
  const spec = asObj(o.spec);
  const st = asObj(o.status);
  const owner = asObj(asArr(md.ownerReferences)[0]);
  const pod: SlimPod = {
    namespace: low(md.namespace),
    name: str(md.name),
    uid: str(md.uid),
    labels: stringMap(md.labels),
    annotations: pick(stringMap(md.annotations), (k) => POD_ANNOTATIONS.includes(k)),
    nodeName: low(spec.nodeName),
    owner: owner.kind ? intern(`${str(owner.kind)}/${str(owner.name)}`) : '',
    phase: low(st.phase),
    ready: conditionStatus(st.conditions, 'Ready') === 'True',
    deleting: md.deletionTimestamp != null,
    podIP: str(st.podIP),
    containers: slimContainers(spec),
    containerStatuses: asArr(st.containerStatuses).map(slimContainerStatus),
  };
  const start = timestamp(st.startTime);
  if (start) pod.startTime = start;
  return pod;
}

const NODE_CONDITIONS: NodeConditionType[] = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

export function slimNode(raw: unknown): SlimNode {
  const o = asObj(raw);
  const md = asObj(o.metadata);
  const spec = asObj(o.spec);
  const st = asObj(o.status);
  const conditions: SlimNode['conditions'] = {};
  for (const t of NODE_CONDITIONS) {
    const s = conditionStatus(st.conditions, t);
    if (s !== undefined) conditions[t] = s;
  }
  const internals = asArr(st.addresses)
    .map(asObj)
    .filter((a) => a.type === 'InternalIP')
    .map((a) => str(a.address))
    .filter(Boolean);
  const info = asObj(st.nodeInfo);
  return {
    name: low(md.name),
    labels: stringMap(md.labels),
    annotations: pick(stringMap(md.annotations), (k) => NODE_ANNOTATIONS.includes(k)),
    unschedulable: spec.unschedulable === true,
    taints: asArr(spec.taints).map((t0): SlimTaint => {
      const t = asObj(t0);
      const taint: SlimTaint = { key: low(t.key), effect: low(t.effect) };
      if (t.value != null) taint.value = low(t.value);
      return taint;
    }),
    conditions,
    internalIP: internals[0] ?? '',
    internalIPs: internals,
    kubeletVersion: low(info.kubeletVersion),
    kubeProxyVersion: low(info.kubeProxyVersion),
    containerRuntimeVersion: low(info.containerRuntimeVersion),
  };
}

export function slimConfigMap(raw: unknown): SlimConfigMap {
  const o = asObj(raw);
  const md = asObj(o.metadata);
  return { namespace: str(md.namespace), name: str(md.name), data: stringMap(o.data) };
}

export function slimCustomResource(raw: unknown): SlimCustomResource {
  const o = asObj(raw);
  const md = asObj(o.metadata);
  return { namespace: str(md.namespace), name: str(md.name), spec: asObj(o.spec) };
}

export function slimService(raw: unknown): SlimService {
  const o = asObj(raw);
  const md = asObj(o.metadata);
  const spec = asObj(o.spec);
  const svc: SlimService = {
    namespace: low(md.namespace),
    name: str(md.name),
    uid: str(md.uid),
    type: low(spec.type) || 'ClusterIP',
    clusterIP: str(spec.clusterIP),
    clusterIPs: asArr(spec.clusterIPs).map(str),
    ports: asArr(spec.ports).map((p0) => {
      const p = asObj(p0);
      const port: SlimService['ports'][number] = {
        name: low(p.name),
        protocol: low(p.protocol) || 'TCP',
        port: num(p.port),
        targetPort: str(p.targetPort ?? p.port),
      };
      if (typeof p.nodePort === 'number') port.nodePort = p.nodePort;
      return port;
    }),
    annotations: optIn(
      pick(stringMap(md.annotations), (k) => k.startsWith(SERVICE_ANNOTATION_PREFIX)),
      stringMap(md.labels),
    ),
    selector: stringMap(spec.selector),
  };
  if (spec.externalTrafficPolicy === 'Local') svc.externalTrafficPolicy = 'Local';
  if (typeof spec.healthCheckNodePort === 'number' && spec.healthCheckNodePort > 0) svc.healthCheckNodePort = spec.healthCheckNodePort;
  if (spec.internalTrafficPolicy === 'Local') svc.internalTrafficPolicy = 'Local';
  return svc;
}

/**
 * The label `service-proxy-exporter.io/probe: "true"` opts a Service in like the annotation: a label
 * can be selected by the API server, so daemonset replicas watch only those Services. The other
 * settings (port, path, scheme) stay annotations.
 */
function optIn(annotations: Record<string, string>, labels: Record<string, string>): Record<string, string> {
  const key = `${SERVICE_ANNOTATION_PREFIX}probe`;
  if (labels[key]?.trim().toLowerCase() === 'true' && annotations[key] === undefined) annotations[key] = 'true';
  return annotations;
}

export function slimEndpointSlice(raw: unknown): SlimEndpointSlice {
  const o = asObj(raw);
  const md = asObj(o.metadata);
  return {
    namespace: low(md.namespace),
    name: str(md.name),
    serviceName: str(asObj(md.labels)['kubernetes.io/service-name']),
    addressType: low(o.addressType),
    ports: asArr(o.ports).map((p0) => {
      const p = asObj(p0);
      return { name: low(p.name), port: num(p.port), protocol: low(p.protocol) || 'TCP' };
    }),
    endpoints: asArr(o.endpoints).map((e0) => {
      const e = asObj(e0);
      const c = asObj(e.conditions);
      const ref = asObj(e.targetRef);
      return {
        addresses: asArr(e.addresses).map(str),
        // EndpointSlice semantics: a nil `ready` means ready.
        ready: c.ready !== false,
        serving: c.serving !== false,
        terminating: c.terminating === true,
        nodeName: low(e.nodeName),
        targetRef: ref.kind ? `${str(ref.kind)}/${str(ref.namespace)}/${str(ref.name)}` : '',
      };
    }),
  };
}

// Warning events of pods (diagnose-only source, see catalog.ts diagnoseSources).
export interface SlimEvent {
  namespace: string;
  /** involvedObject.name */
  pod: string;
  reason: string;
  /** truncated to MESSAGE_MAX characters */
  message: string;
  count: number;
  /** ISO time of the last occurrence ('' when the event carries none) */
  lastTimestamp: string;
}

export const MESSAGE_MAX = 240;

const eventStr = (v: unknown): string => (typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : v == null ? '' : String(v));

/** core/v1 Event → SlimEvent. Newer clients report repeats in `series` and the time in `eventTime`. */
export function slimEvent(raw: unknown): SlimEvent {
  const o = asObj(raw);
  const md = asObj(o.metadata);
  const inv = asObj(o.involvedObject);
  const series = asObj(o.series);
  const message = eventStr(o.message).replace(/\s+/g, ' ').trim();
  const count = typeof series.count === 'number' ? series.count : typeof o.count === 'number' ? o.count : 1;
  return {
    namespace: eventStr(inv.namespace) || eventStr(md.namespace),
    pod: eventStr(inv.name),
    reason: eventStr(o.reason),
    message: message.length > MESSAGE_MAX ? `${message.slice(0, MESSAGE_MAX - 1)}…` : message,
    count,
    lastTimestamp:
      eventStr(series.lastObservedTime) || eventStr(o.lastTimestamp) || eventStr(o.eventTime) || eventStr(md.creationTimestamp),
  };
}
