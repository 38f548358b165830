// Grafana dashboards, built from code. generate.ts writes them to dashboards/*.json and into the
// dashboards ConfigMap; the artifact tests parse every query and run them against a real Prometheus.
//
// Every selector carries `cluster=~"$cluster"`. The `cluster` variable comes from
// label_values(proxy_provider, cluster) with "All" = `.*`, and `=~".*"` also matches series that
// have no cluster label at all, so single-cluster setups (no external `cluster` label) work unchanged.

import { EXPORTER_JOB } from './metrics.js';

export const DASHBOARD_TAGS = ['service-proxy-exporter'];
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

export interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  format?: 'time_series' | 'table';
  datasource: typeof DATASOURCE;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource?: typeof DATASOURCE;
  targets?: Target[];
  options?: Record<string, unknown>;
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
  transformations?: unknown[];
  collapsed?: boolean;
  panels?: Panel[];
}

export interface TemplateVariable {
  name: string;
  label: string;
  type: 'datasource' | 'query';
  query: unknown;
  [k: string]: unknown;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  panels: Panel[];
  templating: { list: TemplateVariable[] };
  [k: string]: unknown;
}

// ---------------------------------------------------------------------------------------------------
// Query helpers

/** `metric{cluster=~"$cluster", extra...}` */
export function sel(metric: string, ...matchers: string[]): string {
  return `${metric}{${['cluster=~"$cluster"', ...matchers].join(', ')}}`;
}

/** A per-node selector: cluster and node variables. */
export function nsel(metric: string, ...matchers: string[]): string {
  return sel(metric, 'node=~"$node"', ...matchers);
}

type Q = { expr: string; legend?: string; instant?: boolean; format?: 'time_series' | 'table' };

function targets(qs: Q[]): Target[] {
  return qs.map((q, i) => ({
    refId: String.fromCharCode(65 + i),
    expr: q.expr,
    ...(q.legend !== undefined ? { legendFormat: q.legend } : {}),
    ...(q.instant ? { instant: true, range: false } : {}),
    ...(q.format ? { format: q.format } : {}),
    datasource: DATASOURCE,
  }));
}

// ---------------------------------------------------------------------------------------------------
// Panel helpers. Sizes are given as [w, h]; layout() flows them left to right into the 24-column grid.

type Size = [w: number, h: number];
type Mapping = Record<string, { text: string; color: string }>;

interface PanelOpts {
  description?: string;
  unit?: string;
  min?: number;
  max?: number;
  mappings?: Mapping;
  thresholds?: { value: number | null; color: string }[];
  options?: Record<string, unknown>;
  custom?: Record<string, unknown>;
}

export function panel(type: string, title: string, size: Size, qs: Q[], o: PanelOpts = {}): Panel {
  const defaults: Record<string, unknown> = {};
  if (o.unit) defaults.unit = o.unit;
  if (o.min !== undefined) defaults.min = o.min;
  if (o.max !== undefined) defaults.max = o.max;
  if (o.mappings) {
    defaults.mappings = [
      {
        type: 'value',
        options: Object.fromEntries(Object.entries(o.mappings).map(([v, m], index) => [v, { ...m, index }])),
      },
    ];
  }
  if (o.thresholds) defaults.thresholds = { mode: 'absolute', steps: o.thresholds };
  if (o.custom) defaults.custom = o.custom;
  return {
    id: 0,
    type,
    title,
    ...(o.description ? { description: o.description } : {}),
    gridPos: { x: 0, y: 0, w: size[0], h: size[1] },
    datasource: DATASOURCE,
    targets: targets(qs),
    options: o.options ?? {},
    fieldConfig: { defaults, overrides: [] },
  };
}

export function stat(title: string, size: Size, qs: Q[], o: PanelOpts & { textMode?: string } = {}): Panel {
  return panel(
    'stat',
    title,
    size,
    qs.map((q) => ({ instant: true, ...q })),
    {
      ...o,
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'background',
        graphMode: 'none',
        textMode: o.textMode ?? 'auto',
        justifyMode: 'auto',
        orientation: 'auto',
        ...o.options,
      },
    },
  );
}

export function timeseries(title: string, size: Size, qs: Q[], o: PanelOpts = {}): Panel {
  return panel('timeseries', title, size, qs, {
    ...o,
    custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false, ...o.custom },
    options: {
      legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] },
      tooltip: { mode: 'multi', sort: 'desc' },
      ...o.options,
    },
  });
}

export function stateTimeline(title: string, size: Size, qs: Q[], o: PanelOpts = {}): Panel {
  return panel('state-timeline', title, size, qs, {
    ...o,
    custom: { fillOpacity: 80, lineWidth: 0, ...o.custom },
    options: { showValue: 'never', mergeValues: true, rowHeight: 0.9, legend: { showLegend: false }, ...o.options },
  });
}

export function table(title: string, size: Size, qs: Q[], o: PanelOpts = {}): Panel {
  return {
    ...panel(
      'table',
      title,
      size,
      qs.map((q) => ({ instant: true, format: 'table' as const, ...q })),
      o,
    ),
    transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }],
  };
}

export function row(title: string): Panel {
  return { id: 0, type: 'row', title, collapsed: false, panels: [], gridPos: { x: 0, y: 0, w: 24, h: 1 } };
}

/** Assign ids and grid positions: panels flow left to right, wrapping at 24 columns. */
export function layout(panels: Panel[]): Panel[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return panels.map((p, i) => {
    const { w, h } = p.gridPos;
    if (p.type === 'row' || x + w > 24) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    const placed = { ...p, id: i + 1, gridPos: { x, y, w, h } };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    if (p.type === 'row') {
      y += h;
      x = 0;
      rowHeight = 0;
    }
    return placed;
  });
}

// ---------------------------------------------------------------------------------------------------
// Template variables

export const datasourceVariable: TemplateVariable = {
  name: 'datasource',
  label: 'Data source',
  type: 'datasource',
  query: 'prometheus',
  current: {},
  hide: 0,
  refresh: 1,
  regex: '',
  includeAll: false,
  multi: false,
};

function queryVariable(name: string, label: string, query: string, multi: boolean): TemplateVariable {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    current: { selected: true, text: 'All', value: '$__all' },
    includeAll: true,
    allValue: '.*',
    multi,
    refresh: 2,
    sort: 1,
    hide: 0,
    regex: '',
    options: [],
  };
}

export const clusterVariable = queryVariable('cluster', 'Cluster', 'label_values(proxy_provider, cluster)', false);
export const nodeVariable = queryVariable('node', 'Node', 'label_values(service_lb_functional{cluster=~"$cluster"}, node)', true);

function dashboard(uid: string, title: string, description: string, variables: TemplateVariable[], panels: Panel[]): Dashboard {
  return {
    uid,
    title,
    description,
    tags: [...DASHBOARD_TAGS],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    annotations: { list: [] },
    links: [
      {
        type: 'dashboards',
        title: 'Service proxy',
        tags: [...DASHBOARD_TAGS],
        asDropdown: false,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
      },
    ],
    templating: { list: variables },
    panels: layout(panels),
  };
}

// ---------------------------------------------------------------------------------------------------
// Shared pieces

const YES_NO: Mapping = { '0': { text: 'No', color: 'green' }, '1': { text: 'Yes', color: 'red' } };
const OK_BROKEN: Mapping = { '1': { text: 'Working', color: 'green' }, '0': { text: 'Broken', color: 'red' } };
const OK_FAIL: Mapping = { '1': { text: 'OK', color: 'green' }, '0': { text: 'Failing', color: 'red' } };
const PASS_FAIL_CHECK: Mapping = { '0': { text: 'OK', color: 'green' }, '1': { text: 'Failing', color: 'red' } };
const INFO_COLOR = [{ value: null, color: 'blue' }];

/**
 * Verdicts ordered from best to worst for the service proxy, so `max` over replicas shows the worst one. The
 * state timeline needs one number per probe: each one-hot series becomes its verdict's code.
 */
const VERDICT_ORDER: [verdict: string, text: string, color: string][] = [
  ['ok', 'ok', 'green'],
  ['endpoint_degraded', 'endpoint degraded', 'yellow'],
  ['unknown', 'unknown', 'blue'],
  ['backend_error', 'backend error', 'orange'],
  ['no_endpoint', 'no endpoint', 'orange'],
  ['backend_down', 'backend down', 'orange'],
  ['nodeport_broken', 'node port broken', 'red'],
  ['proxy_broken', 'proxy broken', 'red'],
];
const VERDICT_MAPPING: Mapping = Object.fromEntries(VERDICT_ORDER.map(([, text, color], i) => [String(i), { text, color }]));
const VERDICT_CODE =
  'max by (probe, family) (\n' +
  VERDICT_ORDER.map(([v], i) => `  (${sel('service_lb_probe_verdict', `verdict="${v}"`)} == 1) * ${i}`).join('\n  or\n') +
  '\n)';

const rate = (metric: string, by: string, ...m: string[]) => `sum by (${by}) (rate(${sel(metric, ...m)}[$__rate_interval]))`;
const nrate = (metric: string, by: string, ...m: string[]) => `sum by (${by}) (rate(${nsel(metric, ...m)}[$__rate_interval]))`;

// ---------------------------------------------------------------------------------------------------
// Overview

export const overviewDashboard: Dashboard = dashboard(
  'service-proxy-overview',
  'Service proxy / Overview',
  'Which component load-balances Kubernetes Services (kube-proxy or a replacement such as Cilium KPR), ' +
    'whether it is healthy, and whether Service load-balancing works. Replacement-aware: nothing here ' +
    'needs kube-proxy metrics.',
  [datasourceVariable, clusterVariable],
  [
    row('Who load-balances Services'),
    stat('Service proxy', [4, 4], [{ expr: `max by (type) (${sel('proxy_provider_info')})`, legend: '{{type}}' }], {
      textMode: 'name',
      thresholds: INFO_COLOR,
      description:
        'The effective service proxy (proxy_provider_info). `none`: nothing handles Services; `unknown`: the exporter could not read the API.',
    }),
    stat('Mode', [3, 4], [{ expr: `max by (mode) (${sel('proxy_provider_info')})`, legend: '{{mode}}' }], {
      textMode: 'name',
      thresholds: INFO_COLOR,
    }),
    stat('Version', [3, 4], [{ expr: `max by (version) (${sel('proxy_provider_info')})`, legend: '{{version}}' }], {
      textMode: 'name',
      thresholds: INFO_COLOR,
    }),
    stat('Flavor', [3, 4], [{ expr: `max by (flavor) (${sel('proxy_provider_info')})`, legend: '{{flavor}}' }], {
      textMode: 'name',
      thresholds: INFO_COLOR,
    }),
    stat('Conflict', [3, 4], [{ expr: `max(${sel('proxy_provider_conflict')})` }], {
      mappings: YES_NO,
      description: 'More than one component programs Services (e.g. kube-proxy next to full Cilium KPR).',
    }),
    stat('Service load-balancing', [4, 4], [{ expr: `min(${sel('service_lb_functional')})` }], {
      mappings: OK_BROKEN,
      description:
        'service_lb_functional (worst replica): Broken when the last round holds evidence against the service proxy — a probe ' +
        'proxy_broken or nodeport_broken, or no VIP reaching any backend. A backend answering with errors or down is not the proxy: see Verdict per probe.',
    }),
    stat('Failing config checks', [4, 4], [{ expr: `sum(max by (check) (${sel('proxy_provider_config_issue')}))` }], {
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: 'orange' },
      ],
    }),
    stat('Agents ready', [4, 4], [{ expr: `sum(${sel('proxy_provider_agents', 'state="ready"')})` }], {
      thresholds: [{ value: null, color: 'green' }],
    }),
    stat('Agents unready', [4, 4], [{ expr: `sum(${sel('proxy_provider_agents', 'state="unready"')})` }], {
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: 'red' },
      ],
    }),
    stat('Agents missing', [4, 4], [{ expr: `sum(${sel('proxy_provider_agents', 'state="missing"')})` }], {
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: 'red' },
      ],
      description: 'Ready, schedulable nodes that should run a proxy agent and have none.',
    }),
    stat('Probe success (5m, worst)', [4, 4], [{ expr: `min(${sel('service_proxy:probe_success:ratio_rate5m')})` }], {
      unit: 'percentunit',
      thresholds: [
        { value: null, color: 'red' },
        { value: 0.99, color: 'orange' },
        { value: 1, color: 'green' },
      ],
    }),
    stat('Exporter targets up', [4, 4], [{ expr: `sum(${sel('up', `job="${EXPORTER_JOB}"`)})` }], {
      thresholds: [
        { value: null, color: 'red' },
        { value: 1, color: 'green' },
      ],
    }),
    stat('Kubernetes sources down', [4, 4], [{ expr: `sum(1 - ${sel('service_proxy_exporter_source_up')})` }], {
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: 'red' },
      ],
    }),
    stateTimeline('Effective service proxy', [12, 6], [{ expr: `max by (type) (${sel('proxy_provider')} == 1)`, legend: '{{type}}' }], {
      description: 'proxy_provider over time: a migration (e.g. kube-proxy → cilium-kpr) shows as a change of row.',
      thresholds: INFO_COLOR,
    }),
    stateTimeline('Conflict', [12, 6], [{ expr: `max(${sel('proxy_provider_conflict')})`, legend: 'conflict' }], {
      mappings: YES_NO,
    }),
    timeseries('Agents by state', [12, 8], [{ expr: `sum by (state) (${sel('proxy_provider_agents')})`, legend: '{{state}}' }], {
      min: 0,
      description: 'Nodes by the state of their service proxy agent (ready, unready, missing).',
    }),
    stateTimeline('Config checks', [12, 8], [{ expr: `max by (check) (${sel('proxy_provider_config_issue')})`, legend: '{{check}}' }], {
      mappings: PASS_FAIL_CHECK,
      description: 'One row per known check (proxy_provider_config_issue). See the ServiceProxyConfigInvalid runbook.',
    }),
    row('Does Service load-balancing work'),
    timeseries(
      'Service load-balancing functional',
      [12, 8],
      [
        { expr: `min(${sel('service_lb_functional')})`, legend: 'functional (last round, worst replica)' },
        { expr: `min(${sel('service_proxy:lb_functional:avg_over_time5m')})`, legend: 'share of last 5m working' },
      ],
      { min: 0, max: 1 },
    ),
    stateTimeline(
      'Last probe result',
      [12, 8],
      [{ expr: `min by (probe, path, family) (${sel('service_lb_probe_success')})`, legend: '{{probe}} {{path}} {{family}}' }],
      {
        mappings: OK_FAIL,
        description: 'VIP failing while endpoint succeeds: the service proxy is broken. Both failing: the backend or network is.',
      },
    ),
    stateTimeline('Verdict per probe', [12, 8], [{ expr: VERDICT_CODE, legend: '{{probe}} {{family}}' }], {
      mappings: VERDICT_MAPPING,
      description:
        'service_lb_probe_verdict: what the VIP and the backend reached directly say together (worst replica). proxy_broken and ' +
        'nodeport_broken are the service proxy; backend_error, backend_down and no_endpoint are the backend, not the proxy. ' +
        'A dual-stack Service has a row per IP family.',
    }),
    table('Verdict per probe (now)', [12, 8], [{ expr: `max by (probe, family, verdict) (${sel('service_lb_probe_verdict')} == 1)` }], {
      description: 'The current verdict of every probe, built-in and opted-in (service_lb_probe_verdict == 1).',
    }),
    timeseries(
      'Probe success ratio (5m)',
      [12, 8],
      [{ expr: sel('service_proxy:probe_success:ratio_rate5m'), legend: '{{probe}} {{path}} {{family}}' }],
      {
        unit: 'percentunit',
        min: 0,
        max: 1,
      },
    ),
    timeseries(
      'Probe latency',
      [12, 8],
      [
        {
          expr: `histogram_quantile(0.95, ${rate('service_lb_probe_duration_seconds_bucket', 'probe, path, family, le')})`,
          legend: 'p95 {{probe}} {{path}} {{family}}',
        },
        {
          expr: `histogram_quantile(0.5, ${rate('service_lb_probe_duration_seconds_bucket', 'probe, path, family, le')})`,
          legend: 'p50 {{probe}} {{path}} {{family}}',
        },
      ],
      { unit: 's', min: 0 },
    ),
    timeseries(
      'Probe failures by reason',
      [12, 8],
      [
        {
          expr: rate('service_lb_probe_failures_total', 'probe, path, family, reason'),
          legend: '{{probe}} {{path}} {{family}} {{reason}}',
        },
      ],
      {
        unit: 'ops',
        min: 0,
      },
    ),
    timeseries(
      'Probes run',
      [12, 8],
      [{ expr: rate('service_lb_probes_total', 'probe, path, family'), legend: '{{probe}} {{path}} {{family}}' }],
      {
        unit: 'ops',
        min: 0,
      },
    ),
    // Behaviour checks: bugs users hit that the VIP probes cannot see (issue "Probes shaped after the bugs users hit").
    row('Behaviour'),
    stateTimeline(
      'Health-check node ports consistent',
      [12, 8],
      [{ expr: `min by (probe) (${sel('service_lb_health_check_consistent')})`, legend: '{{probe}}' }],
      {
        mappings: OK_FAIL,
        description:
          "Per externalTrafficPolicy: Local LoadBalancer Service: did every asked node's healthCheckNodePort answer as its " +
          'ready endpoints say (200 with one, 503 without)? See ServiceHealthCheckNodePortWrong.',
      },
    ),
    timeseries(
      'Health-check node port mismatches',
      [12, 8],
      [{ expr: rate('service_lb_health_check_mismatches_total', 'probe, kind'), legend: '{{probe}} {{kind}}' }],
      {
        unit: 'ops',
        min: 0,
        description:
          'serves_without_endpoint: 200 on a node without a ready endpoint (the load balancer black-holes traffic); ' +
          'refuses_with_endpoint: not 200 on a node with one (the load balancer leaves it out).',
      },
    ),
    // The behaviour checks (src/canary/): worst replica per check. A check that does not apply on a replica has no
    // series there (hairpin only on the canary writer), so an empty row means "not checked", never "passing".
    stateTimeline('Behaviour checks', [12, 8], [{ expr: `min by (check) (${sel('service_lb_check_success')})`, legend: '{{check}}' }], {
      mappings: OK_FAIL,
      description:
        'service_lb_check_success, worst replica. session_affinity: the 10 connections a round through the sessionAffinity: ClientIP ' +
        'canary Service reached one target; hairpin: the canary writer reached its own pod through the canary VIP. No row: the check ' +
        'does not apply (reason on the status page and /diagnose). Failing for 15m warns ServiceProxyBehaviourBroken.',
    }),
    timeseries('Behaviour check failures', [12, 8], [{ expr: rate('service_lb_check_failures_total', 'check'), legend: '{{check}}' }], {
      unit: 'ops',
      min: 0,
      description:
        'Failed behaviour check rounds per second (service_lb_check_failures_total), all replicas: a check failing now and then ' +
        'shows here before it has failed long enough to warn.',
    }),
    row("Agents' own health endpoints"),
    timeseries(
      'Agent health endpoints by state',
      [12, 8],
      [{ expr: `sum by (state) (${sel('proxy_provider_agent_health')})`, legend: '{{state}}' }],
      {
        min: 0,
        description:
          "Nodes by their agent's own health endpoint (kube-proxy :10256, Cilium KPR healthz, Calico eBPF, kube-router :20244): healthy (200), unhealthy (non-200), unreachable (no answer), not_served (this provider/config has none). See ServiceProxyAgentUnhealthy.",
      },
    ),
    timeseries(
      'Agent sync age (worst node)',
      [12, 8],
      [{ expr: `max(${sel('proxy_provider_agent_sync_age_seconds')})`, legend: 'currentTime - lastUpdated' }],
      {
        unit: 's',
        min: 0,
        description:
          "Largest currentTime - lastUpdated in the agents' health answers: 0 while they sync, growing while a proxier is stuck. See ServiceProxySyncStale.",
      },
    ),
    // The canary (src/canary/): changes are sparse (one per --canary-interval), so latency
    // quantiles use a fixed 5m window rather than $__rate_interval.
    row('Service programming'),
    stat('Pending change (worst replica)', [6, 4], [{ expr: `max(${sel('service_lb_programming_pending_seconds', 'protocol="tcp"')})` }], {
      unit: 's',
      thresholds: [
        { value: null, color: 'green' },
        { value: 10, color: 'orange' },
        { value: 60, color: 'red' },
      ],
      description:
        'service_lb_programming_pending_seconds{protocol="tcp"}: how long the newest canary change has waited to reach the data plane over new connections (0: programmed). Over 60 s for 5m pages ServiceProxyProgrammingStalled. The long-lived UDP flow is in "Pending change by replica".',
    }),
    stat(
      'Programming latency p99 (30m)',
      [6, 4],
      [
        {
          expr: `histogram_quantile(0.99, sum by (le) (rate(${sel('service_lb_programming_duration_seconds_bucket', 'protocol="tcp"')}[30m])))`,
        },
      ],
      {
        unit: 's',
        thresholds: [
          { value: null, color: 'green' },
          { value: 30, color: 'orange' },
        ],
        description: 'Above 30 s (SIG Scalability network programming latency SLO) for 15m warns ServiceProxyProgrammingSlow.',
      },
    ),
    stat('Canary changes (1h)', [6, 4], [{ expr: `sum(increase(${sel('service_lb_programming_changes_total')}[1h]))` }], {
      thresholds: INFO_COLOR,
    }),
    stat('Canary writers', [6, 4], [{ expr: `sum(${sel('service_proxy_exporter_canary_writer')})` }], {
      thresholds: [
        { value: null, color: 'red' },
        { value: 1, color: 'green' },
        { value: 2, color: 'red' },
      ],
      description:
        'Replicas holding the canary Lease: exactly 1 (0 for longer than the 15 s lease: nobody writes; see service_proxy_exporter_canary_write_errors_total).',
    }),
    timeseries(
      'Service programming latency',
      [12, 8],
      [
        {
          expr: `histogram_quantile(0.5, sum by (le) (rate(${sel('service_lb_programming_duration_seconds_bucket', 'protocol="tcp"')}[5m])))`,
          legend: 'p50',
        },
        {
          expr: `histogram_quantile(0.99, sum by (le) (rate(${sel('service_lb_programming_duration_seconds_bucket', 'protocol="tcp"')}[5m])))`,
          legend: 'p99',
        },
      ],
      {
        unit: 's',
        min: 0,
        description:
          'Canary EndpointSlice change seen on the watch → first answer from the new target through the canary VIP (service_lb_programming_duration_seconds).',
      },
    ),
    timeseries(
      "p99: end to end vs the service proxy's own account",
      [12, 8],
      [
        {
          expr: [
            `label_replace(histogram_quantile(0.99, sum by (le) (rate(${sel('service_lb_programming_duration_seconds_bucket', 'protocol="tcp"')}[5m]))), "source", "canary (end to end)", "", "")`,
            `label_replace(histogram_quantile(0.99, sum by (le) (rate(${sel('kubeproxy_network_programming_duration_seconds_bucket')}[5m]))), "source", "kube-proxy (own account)", "", "")`,
            `label_replace(histogram_quantile(0.99, sum by (le) (rate(${sel('cilium_service_implementation_delay_bucket')}[5m]))), "source", "cilium (own account)", "", "")`,
          ].join('\nor\n'),
          legend: '{{source}}',
        },
      ],
      {
        unit: 's',
        min: 0,
        description:
          'kubeproxy_network_programming_duration_seconds and cilium_service_implementation_delay, where those are scraped, next to the canary. Theirs fast and ours slow: the delay is before the agent (watch lag) or in the kernel.',
      },
    ),
    timeseries(
      'Pending change by replica',
      [12, 8],
      [
        {
          expr: `max by (instance, protocol, family) (${sel('service_lb_programming_pending_seconds')})`,
          legend: '{{instance}} {{protocol}}/{{family}}',
        },
      ],
      {
        unit: 's',
        min: 0,
        description:
          'Per replica, protocol and family. udp climbing while tcp stays near 0: the long-lived UDP flow is stuck on a removed endpoint by a stale conntrack entry (ServiceProxyStaleConntrack).',
      },
    ),
    timeseries(
      'Canary writes',
      [12, 8],
      [
        { expr: rate('service_lb_programming_changes_total', 'instance'), legend: 'changes seen {{instance}}' },
        {
          expr: rate('service_proxy_exporter_canary_write_errors_total', 'resource, reason'),
          legend: 'write errors {{resource}} {{reason}}',
        },
      ],
      {
        unit: 'ops',
        min: 0,
        description: 'write errors with reason="forbidden": the canary Role (manifests/base/canary-role.yaml) is missing.',
      },
    ),
    row('Exporter'),
    stateTimeline(
      'Kubernetes sources',
      [12, 6],
      [{ expr: `min by (source) (${sel('service_proxy_exporter_source_up')})`, legend: '{{source}}' }],
      {
        mappings: OK_FAIL,
      },
    ),
    table(
      'Exporter build',
      [12, 6],
      [{ expr: `count by (version, revision, nodejs_version) (${sel('service_proxy_exporter_build_info')})` }],
    ),
  ],
);

// ---------------------------------------------------------------------------------------------------
// Per node (daemonset mode)

export const nodesDashboard: Dashboard = dashboard(
  'service-proxy-nodes',
  'Service proxy / Nodes',
  'Per-node view for daemonset mode: every exporter replica probes Services from its own node and judges ' +
    'the proxy agent on it. Series carry the `node` target label the ServiceMonitor sets.',
  [datasourceVariable, clusterVariable, nodeVariable],
  [
    stat('Nodes probing', [6, 4], [{ expr: `count(${nsel('service_lb_functional')})` }], { thresholds: INFO_COLOR }),
    stat('Nodes with broken load-balancing', [6, 4], [{ expr: `sum(1 - ${nsel('service_lb_functional')})` }], {
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: 'red' },
      ],
    }),
    stat('Agents unready or missing', [6, 4], [{ expr: `sum(${nsel('proxy_provider_agents', 'state=~"unready|missing"')})` }], {
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: 'red' },
      ],
    }),
    stat('Exporter replicas up', [6, 4], [{ expr: `sum(${nsel('up', `job="${EXPORTER_JOB}"`)})` }], {
      thresholds: [
        { value: null, color: 'red' },
        { value: 1, color: 'green' },
      ],
    }),
    stateTimeline(
      'Service load-balancing by node',
      [24, 8],
      [{ expr: `min by (node) (${nsel('service_lb_functional')})`, legend: '{{node}}' }],
      {
        mappings: OK_BROKEN,
      },
    ),
    stateTimeline(
      'Last probe result by node',
      [24, 10],
      [
        {
          expr: `min by (node, probe, path, family) (${nsel('service_lb_probe_success')})`,
          legend: '{{node}} {{probe}} {{path}} {{family}}',
        },
      ],
      {
        mappings: OK_FAIL,
        description: "VIP failing while endpoint succeeds on a node: that node's service proxy agent is broken.",
      },
    ),
    timeseries(
      'Probe success ratio by node',
      [12, 8],
      [
        {
          expr:
            `1 - ((${nrate('service_lb_probe_failures_total', 'node, probe, path, family')} or 0 * ${nrate('service_lb_probes_total', 'node, probe, path, family')})` +
            ` / (${nrate('service_lb_probes_total', 'node, probe, path, family')} > 0))`,
          legend: '{{node}} {{probe}} {{path}} {{family}}',
        },
      ],
      { unit: 'percentunit', min: 0, max: 1 },
    ),
    timeseries(
      'Probe latency p95 by node',
      [12, 8],
      [
        {
          expr: `histogram_quantile(0.95, ${nrate('service_lb_probe_duration_seconds_bucket', 'node, path, le')})`,
          legend: '{{node}} {{path}}',
        },
      ],
      { unit: 's', min: 0 },
    ),
    timeseries(
      'Probe failures by node and reason',
      [12, 8],
      [{ expr: nrate('service_lb_probe_failures_total', 'node, reason'), legend: '{{node}} {{reason}}' }],
      {
        unit: 'ops',
        min: 0,
      },
    ),
    timeseries(
      'Proxy agent state by node',
      [12, 8],
      [{ expr: `sum by (node, state) (${nsel('proxy_provider_agents')})`, legend: '{{node}} {{state}}' }],
      {
        min: 0,
        description: 'In daemonset mode each replica judges the agent on its own node.',
      },
    ),
    timeseries(
      'Service programming pending by node',
      [12, 8],
      [
        {
          expr: `max by (node, protocol, family) (${nsel('service_lb_programming_pending_seconds')})`,
          legend: '{{node}} {{protocol}}/{{family}}',
        },
      ],
      {
        unit: 's',
        min: 0,
        description:
          'Each replica asks the canary VIP from its own node: a node whose service proxy agent stopped taking changes stands out here.',
      },
    ),
    timeseries(
      'Service programming latency p99 by node',
      [12, 8],
      [
        {
          expr: `histogram_quantile(0.99, sum by (node, le) (rate(${nsel('service_lb_programming_duration_seconds_bucket', 'protocol="tcp"')}[5m])))`,
          legend: '{{node}}',
        },
      ],
      { unit: 's', min: 0 },
    ),
    stateTimeline(
      'Behaviour checks by node',
      [24, 8],
      [{ expr: `min by (node, check) (${nsel('service_lb_check_success')})`, legend: '{{node}} {{check}}' }],
      {
        mappings: OK_FAIL,
        description:
          "service_lb_check_success per replica: session_affinity on every node (its own service proxy agent), hairpin on the canary writer's node only.",
      },
    ),
    table('Exporter replicas', [24, 8], [{ expr: `max by (node, instance) (${nsel('up', `job="${EXPORTER_JOB}"`)})` }]),
  ],
);

export const DASHBOARDS: Dashboard[] = [overviewDashboard, nodesDashboard];
