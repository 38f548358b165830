// Antrea's agent has no kube-proxy-compatible proxier health endpoint: its API (port 10350) is
// HTTPS with authentication and reports the agent, not AntreaProxy's sync state.
import type { HealthLocation, HealthLocator } from '../health.js';

export const locateAntreaHealth: HealthLocator = (): HealthLocation => ({
  served: false,
  reason:
    "Antrea serves no kube-proxy-compatible health endpoint (the agent API on 10350 needs authentication and says nothing about AntreaProxy's sync).",
});
