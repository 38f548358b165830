// kube-proxy's configuration checks: the mode it runs in, clusterCIDR and the metrics bind address
// (docs/runbooks/KubeProxyDown.md). They read the configuration detection parsed (Finding.config).
import { isIP } from 'node:net';
import type { Finding, FindingConfig } from '../../detect/types.js';
import { sh } from '../hints.js';
import type { Check, ComponentCheck, ComponentCheckInput } from '../types.js';

interface KubeProxyConfig extends FindingConfig {
  command: string;
}

function withCommand(cfg: FindingConfig): KubeProxyConfig {
  const key = cfg.key ?? '';
  const command = `kubectl -n ${sh(cfg.namespace)} get cm ${sh(cfg.name)} -o jsonpath='{.data.${key.replace(/\./g, '\\.')}}' | grep -E '^(mode|clusterCIDR|metricsBindAddress):'`;
  return { ...cfg, command };
}

function skipKubeProxy(id: string, input: ComponentCheckInput): { f: Finding; cfg: KubeProxyConfig | undefined } | Check[] {
  const f = input.finding;
  if (!f) return [{ id, group: 'config', status: 'skipped', summary: 'kube-proxy is not installed.', evidence: {} }];
  if (!f.active)
    return [
      {
        id,
        group: 'config',
        status: 'skipped',
        summary: 'kube-proxy is installed but not running (its DaemonSet schedules no pod).',
        evidence: { component: f.type },
      },
    ];
  return { f, cfg: f.agents.embeddedInNode || !f.config ? undefined : withCommand(f.config) };
}

export const kubeProxyMode: ComponentCheck = (input) => {
  const id = 'config.kube_proxy_mode';
  const r = skipKubeProxy(id, input);
  if (Array.isArray(r)) return r;
  const { f, cfg } = r;
  const raw = cfg?.doc ? (cfg.doc.mode ?? '') : undefined;
  const evidence = {
    effectiveMode: f.mode,
    flavor: f.flavor,
    source: cfg?.where ?? 'command line / defaults',
    configMode: raw ?? null,
    ...(cfg?.parseError ? { parseError: cfg.parseError } : {}),
  };
  const bad = f.issues.includes('kube_proxy_mode_unknown');
  if (bad) {
    return [
      {
        id,
        group: 'config',
        status: 'fail',
        summary: `kube-proxy's mode is not one it knows (${cfg?.parseError ? `${cfg.where} does not parse: ${cfg.parseError}` : `mode ${JSON.stringify(raw ?? f.mode)}`}): it fails to start or falls back. Use "" (iptables), ipvs or nftables.`,
        details: f.evidence,
        evidence,
        ...(cfg ? { next: cfg.command } : {}),
        runbook: 'ServiceProxyConfigInvalid',
      },
    ];
  }
  const why = raw === '' ? ` (${cfg!.where} leaves mode empty: iptables)` : cfg ? ` (${cfg.where})` : '';
  return [{ id, group: 'config', status: 'ok', summary: `kube-proxy runs in ${f.mode} mode${why}.`, details: f.evidence, evidence }];
};

/** Every comma-separated entry is an IPv4 or IPv6 CIDR. */
function validCidrs(v: string): boolean {
  return v.split(',').every((c) => {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(c.trim());
    if (!m) return false;
    const fam = isIP(m[1]!);
    return fam !== 0 && Number(m[2]) <= (fam === 4 ? 32 : 128);
  });
}

export const kubeProxyClusterCidr: ComponentCheck = (input) => {
  const id = 'config.kube_proxy_cluster_cidr';
  const r = skipKubeProxy(id, input);
  if (Array.isArray(r)) return r;
  const { cfg } = r;
  if (!cfg?.doc) {
    const why = r.f.agents.embeddedInNode
      ? 'k3s passes kube-proxy its settings on the command line'
      : cfg?.parseError
        ? `${cfg.where} does not parse`
        : 'no kube-proxy ConfigMap is readable';
    return [{ id, group: 'config', status: 'skipped', summary: `clusterCIDR not checked: ${why}.`, evidence: {} }];
  }
  const cidr = typeof cfg.doc.clusterCIDR === 'string' ? cfg.doc.clusterCIDR.trim() : '';
  const detectLocalMode = typeof cfg.doc.detectLocalMode === 'string' ? cfg.doc.detectLocalMode : '';
  const evidence = { source: cfg.where, clusterCIDR: cidr, detectLocalMode };
  if (cidr === '') {
    if (detectLocalMode && detectLocalMode !== 'ClusterCIDR') {
      return [
        {
          id,
          group: 'config',
          status: 'ok',
          summary: `clusterCIDR is empty, which is fine with detectLocalMode ${detectLocalMode}.`,
          evidence,
        },
      ];
    }
    return [
      {
        id,
        group: 'config',
        status: 'warn',
        summary: `clusterCIDR is empty in ${cfg.where}: kube-proxy cannot tell pod traffic from external traffic, so traffic from outside the cluster to Service VIPs is not masqueraded.`,
        evidence,
        next: cfg.command,
      },
    ];
  }
  if (!validCidrs(cidr)) {
    return [
      {
        id,
        group: 'config',
        status: 'fail',
        summary: `clusterCIDR ${JSON.stringify(cidr)} in ${cfg.where} is not a list of CIDRs: kube-proxy refuses the configuration.`,
        evidence,
        next: cfg.command,
        runbook: 'ServiceProxyConfigInvalid',
      },
    ];
  }
  return [{ id, group: 'config', status: 'ok', summary: `clusterCIDR is ${cidr}.`, evidence }];
};

export const kubeProxyMetricsBind: ComponentCheck = (input) => {
  const id = 'config.kube_proxy_metrics_bind';
  const r = skipKubeProxy(id, input);
  if (Array.isArray(r)) return r;
  const { cfg } = r;
  if (!cfg?.doc)
    return [
      {
        id,
        group: 'config',
        status: 'skipped',
        summary: 'metricsBindAddress not checked: no readable kube-proxy configuration.',
        evidence: {},
      },
    ];
  const bind = typeof cfg.doc.metricsBindAddress === 'string' ? cfg.doc.metricsBindAddress.trim() : '';
  const evidence = { source: cfg.where, metricsBindAddress: bind };
  const host = bind === '' ? '127.0.0.1' : bind.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') {
    return [
      {
        id,
        group: 'config',
        status: 'warn',
        summary: `metricsBindAddress is ${bind ? JSON.stringify(bind) : 'empty (127.0.0.1:10249)'}: Prometheus cannot scrape kube-proxy, so the stock KubeProxyDown alert fires even while kube-proxy is healthy. Set it to 0.0.0.0:10249 if you scrape kube-proxy.`,
        evidence,
        next: cfg.command,
        runbook: 'KubeProxyDown',
      },
    ];
  }
  return [{ id, group: 'config', status: 'ok', summary: `kube-proxy serves metrics on ${bind}.`, evidence }];
};

export const kubeProxyChecks: ComponentCheck[] = [kubeProxyMode, kubeProxyClusterCidr, kubeProxyMetricsBind];
