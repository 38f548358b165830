import { detectAntrea } from './antrea.js';
import { detectCalico } from './calico.js';
import { detectCilium } from './cilium.js';
import { detectKubeProxy } from './kube-proxy.js';
import { detectKubeRouter } from './kube-router.js';
import { detectOvnKubernetes } from './ovn-kubernetes.js';
export const DETECTORS = [
    { name: 'kube-proxy', detect: detectKubeProxy, enabledByDefault: true },
    { name: 'cilium', detect: detectCilium, enabledByDefault: true },
    { name: 'calico', detect: detectCalico, enabledByDefault: true },
    { name: 'antrea', detect: detectAntrea, enabledByDefault: true },
    { name: 'kube-router', detect: detectKubeRouter, enabledByDefault: true },
    { name: 'ovn-kubernetes', detect: detectOvnKubernetes, enabledByDefault: true },
];
export const DETECTOR_NAMES = DETECTORS.map((d) => d.name);
/**
 * The detectors to run: defaults, minus `disabled`, plus `enabled` (for one that is off by
 * default). Unknown names are ignored here; configuration validation reports them.
 */
export function activeDetectors(opts = {}) {
    const off = new Set(opts.disabled ?? []);
    const on = new Set(opts.enabled ?? []);
    return DETECTORS.filter((d) => !off.has(d.name) && (d.enabledByDefault || on.has(d.name)));
}
