// RBAC rule evaluation, as the API server's authorizer does it for resource requests (reads and
// writes; non-resource URLs are not checked here): ClusterRole rules apply everywhere, a Role's
// rules only in its namespace.
import { parseFieldSelector } from './selectors.js';
import type { Verb } from './faults.js';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface RequestAttributes {
  verb: Verb;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  fieldSelector?: string;
}

/** The user every request is attributed to (the token in the kubeconfig stands for it). */
export const FAKE_USER = 'system:serviceaccount:service-proxy-exporter:service-proxy-exporter';

/**
 * The object name a request is about. For list/watch the API server takes it from a field selector
 * that is exactly `metadata.name=<x>`, which is what lets resourceNames rules authorise such watches.
 */
export function requestName(attrs: RequestAttributes): string | undefined {
  if (attrs.name !== undefined || attrs.verb === 'get') return attrs.name;
  if (!attrs.fieldSelector) return undefined;
  try {
    const reqs = parseFieldSelector(attrs.fieldSelector);
    if (reqs.length === 1 && reqs[0]!.path === 'metadata.name' && reqs[0]!.operator === '=') return reqs[0]!.value;
  } catch {
    // a malformed selector names nothing; the request is then rejected later as a bad request
  }
  return undefined;
}

function ruleAllows(rule: PolicyRule, attrs: RequestAttributes): boolean {
  const has = (list: string[], v: string) => list.includes('*') || list.includes(v);
  if (!has(rule.apiGroups, attrs.group) || !has(rule.resources, attrs.resource) || !has(rule.verbs, attrs.verb)) return false;
  if (!rule.resourceNames || rule.resourceNames.length === 0) return true;
  const name = requestName(attrs);
  return name !== undefined && rule.resourceNames.includes(name);
}

/** Rules bound in one namespace (a Role and its RoleBinding). */
export interface NamespacedRules {
  namespace: string;
  rules: PolicyRule[];
}

/** `rules` null: everything is allowed (roles are then irrelevant). */
export function authorize(rules: readonly PolicyRule[] | null, attrs: RequestAttributes, roles: readonly NamespacedRules[] = []): boolean {
  if (rules === null || rules.some((r) => ruleAllows(r, attrs))) return true;
  return (
    attrs.namespace !== undefined &&
    roles.some((role) => role.namespace === attrs.namespace && role.rules.some((r) => ruleAllows(r, attrs)))
  );
}

/** The message a real API server puts in a 403 body. */
export function forbiddenMessage(attrs: RequestAttributes, user = FAKE_USER): string {
  const named = attrs.verb === 'get' || attrs.verb === 'update' || attrs.verb === 'patch' || attrs.verb === 'delete';
  const subject = named && attrs.name ? `${attrs.resource} "${attrs.name}"` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${user}" cannot ${attrs.verb} resource "${attrs.resource}" in API group "${attrs.group}" ${scope}`;
}
