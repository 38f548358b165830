// ClusterRole rule evaluation, as the API server's RBAC authorizer does it for the requests the
// exporter makes (get/list/watch on resources; non-resource URLs are not checked here).
import { parseFieldSelector } from './selectors.js';
/** The user every request is attributed to (the token in the kubeconfig stands for it). */
export const FAKE_USER = 'system:serviceaccount:service-proxy-exporter:service-proxy-exporter';
/**
 * The object name a request is about. For list/watch the API server takes it from a field selector
 * that is exactly `metadata.name=<x>`, which is what lets resourceNames rules authorise such watches.
 */
export function requestName(attrs) {
    if (attrs.name !== undefined || attrs.verb === 'get')
        return attrs.name;
    if (!attrs.fieldSelector)
        return undefined;
    try {
        const reqs = parseFieldSelector(attrs.fieldSelector);
        if (reqs.length === 1 && reqs[0].path === 'metadata.name' && reqs[0].operator === '=')
            return reqs[0].value;
    }
    catch {
        // a malformed selector names nothing; the request is then rejected later as a bad request
    }
    return undefined;
}
function ruleAllows(rule, attrs) {
    const has = (list, v) => list.includes('*') || list.includes(v);
    if (!has(rule.apiGroups, attrs.group) || !has(rule.resources, attrs.resource) || !has(rule.verbs, attrs.verb))
        return false;
    if (!rule.resourceNames || rule.resourceNames.length === 0)
        return true;
    const name = requestName(attrs);
    return name !== undefined && rule.resourceNames.includes(name);
}
export function authorize(rules, attrs) {
    return rules === null || rules.some((r) => ruleAllows(r, attrs));
}
/** The message a real API server puts in a 403 body. */
export function forbiddenMessage(attrs, user = FAKE_USER) {
    const subject = attrs.verb === 'get' && attrs.name ? `${attrs.resource} "${attrs.name}"` : attrs.resource;
    const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
    return `${subject} is forbidden: User "${user}" cannot ${attrs.verb} resource "${attrs.resource}" in API group "${attrs.group}" ${scope}`;
}
