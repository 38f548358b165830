// Slimmed views of the Kubernetes objects detection and probing read. Sources keep only these
// shapes in memory (a whole Cilium agent pod is ~14 KB; this is a few hundred bytes), and
// detection sees nothing else, so what is here is exactly what the exporter depends on.
export function emptySnapshot() {
    return {
        daemonSets: [],
        agentPods: [],
        nodes: [],
        configMaps: [],
        calicoInstallations: [],
        felixConfigurations: [],
        sources: {},
    };
}
