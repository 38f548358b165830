// Shared by the deploy tests: render manifests/ like `kubectl apply -k` would, and validate objects
// against the Kubernetes and Prometheus Operator schemas.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectlAvailable, objectId, renderKustomization, renderWithKubectl, type K8sObject } from './kustomize.js';

import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Service } from 'kubernetes-models/v1/Service';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';

export type { K8sObject };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MANIFESTS = path.join(ROOT, 'manifests');
/** The install command of docs/deploy.md and the README renders exactly these directories. */
export const INSTALLS = {
  deployment: { dir: MANIFESTS, command: 'kubectl apply -k manifests/' },
  daemonset: { dir: path.join(MANIFESTS, 'overlays', 'daemonset'), command: 'kubectl apply -k manifests/overlays/daemonset' },
} as const;

export const HAS_KUBECTL = kubectlAvailable();

export function sortObjects(objs: K8sObject[]): K8sObject[] {
  return [...objs].sort((a, b) => objectId(a).localeCompare(objectId(b)));
}

/** `kubectl kustomize` when kubectl is installed, else the project's own renderer. */
export function render(dir: string): K8sObject[] {
  try {
    return sortObjects(HAS_KUBECTL ? renderWithKubectl(dir) : renderKustomization(dir));
  } catch (err) {
    const e = err as { message: string; stderr?: string | Buffer };
    const detail = e.stderr ? String(e.stderr).trim() : e.message;
    throw new Error(
      `cannot render ${path.relative(ROOT, dir) || '.'} with ${HAS_KUBECTL ? 'kubectl kustomize' : 'test/deploy/kustomize.ts'}: ${detail}`,
      { cause: err },
    );
  }
}

type Model = new (data: any) => { validate(): void };

/** Schema per apiVersion/kind of every kind manifests/ and the chart may contain. A kind missing here fails the test. */
export const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  // the chart's canary Lease (charts/service-proxy-exporter/templates/canary.yaml)
  'coordination.k8s.io/v1/Lease': Lease,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** Throws with the object's identity when it does not validate against its schema. */
export function validateObject(o: K8sObject): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`${objectId(o)}: no schema known for ${o.apiVersion} ${o.kind} (add it to MODELS in test/deploy/helpers.ts)`);
  try {
    new Model(o).validate();
  } catch (err) {
    throw new Error(`${objectId(o)}: ${(err as Error).message}`, { cause: err });
  }
}

export function find(objs: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

export function one(objs: K8sObject[], kind: string): any {
  const found = find(objs, kind);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}, found ${found.length}`);
  return found[0];
}

/** The ClusterRole rules as the fake API server wants them. */
export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export function clusterRoleRules(objs: K8sObject[]): Rule[] {
  return (one(objs, 'ClusterRole').rules ?? []) as Rule[];
}

/** The canary's namespaced Role rules (manifests/base/canary-role.yaml). */
export function canaryRoleRules(objs: K8sObject[]): Rule[] {
  return (one(objs, 'Role').rules ?? []) as Rule[];
}

/** The exporter's own Service (there is also the canary Service). */
export function exporterService(objs: K8sObject[]): any {
  const found = find(objs, 'Service', 'service-proxy-exporter');
  if (found.length !== 1) throw new Error(`expected the Service service-proxy-exporter, found ${found.length}`);
  return found[0];
}
