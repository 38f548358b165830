{{/* The chart's name. */}}
{{- define "spe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Object names. values.yaml sets fullnameOverride to the names of manifests/; cleared, names derive from the
release as in the prometheus-community charts.
*/}}
{{- define "spe.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The exporter looks its canary objects up by this fixed name (src/canary/objects.ts). */}}
{{- define "spe.canaryName" -}}
service-proxy-exporter-canary
{{- end }}

{{/* The session-affinity canary Service, also looked up by a fixed name; its slices are named after it. */}}
{{- define "spe.canaryAffinityName" -}}
{{ include "spe.canaryName" . }}-affinity
{{- end }}

{{- define "spe.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: exactly those of manifests/, so the two install ways select the same pods. */}}
{{- define "spe.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spe.name" . }}
app.kubernetes.io/component: exporter
{{- end }}

{{/* Helm's standard labels, on every object. */}}
{{- define "spe.standardLabels" -}}
helm.sh/chart: {{ include "spe.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: service-proxy-exporter
{{- end }}

{{/* The exporter's objects (workload, Service, ServiceMonitor). */}}
{{- define "spe.labels" -}}
{{ include "spe.selectorLabels" . }}
{{ include "spe.standardLabels" . }}
{{- end }}

{{/* Objects manifests/ labels with the name only (PrometheusRule, dashboards ConfigMap). */}}
{{- define "spe.nameLabels" -}}
app.kubernetes.io/name: {{ include "spe.name" . }}
{{ include "spe.standardLabels" . }}
{{- end }}

{{- define "spe.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "spe.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "spe.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "spe.webConfigFile" -}}
{{- printf "%s/%s" (trimSuffix "/" .Values.webConfig.mountPath) .Values.webConfig.fileName }}
{{- end }}

{{- define "spe.configMountPath" -}}
/etc/service-proxy-exporter/config
{{- end }}

{{/* http, or https when /metrics is served over TLS (webConfig). */}}
{{- define "spe.scheme" -}}
{{- if .Values.webConfig.secretName }}https{{ else }}http{{ end }}
{{- end }}

{{/* Measured requests and limits per mode (docs/benchmarks.md), unless values set resources. */}}
{{- define "spe.resources" -}}
{{- if .Values.resources }}
{{- toYaml .Values.resources }}
{{- else if eq .Values.mode "daemonset" }}
requests:
  cpu: 50m
  memory: 80Mi
limits:
  memory: 128Mi
{{- else }}
requests:
  cpu: 50m
  memory: 128Mi
limits:
  memory: 256Mi
{{- end }}
{{- end }}

{{/* The exporter's args: only the flags values set, so the exporter's own defaults apply otherwise. */}}
{{- define "spe.args" -}}
- serve
{{- with .Values.logFormat }}
- --log-format={{ . }}
{{- end }}
{{- if eq .Values.mode "daemonset" }}
- --mode=daemonset
- --node-name=$(NODE_NAME)
{{- end }}
{{- with .Values.logLevel }}
- --log-level={{ . }}
{{- end }}
{{- with .Values.probeInterval }}
- --probe-interval={{ . }}
{{- end }}
{{- with .Values.probeTimeout }}
- --probe-timeout={{ . }}
{{- end }}
{{- with .Values.probeConcurrency }}
- --probe-concurrency={{ . }}
{{- end }}
{{- with .Values.maxProbeTargets }}
- --max-probe-targets={{ . }}
{{- end }}
{{- with .Values.clusterDomain }}
- --cluster-domain={{ . }}
{{- end }}
{{- with .Values.sourceGracePeriod }}
- --source-grace-period={{ . }}
{{- end }}
{{- if not .Values.agentHealth.enabled }}
- --agent-health=off
{{- end }}
{{- with .Values.agentHealth.interval }}
- --agent-health-interval={{ . }}
{{- end }}
{{- with .Values.agentHealth.timeout }}
- --agent-health-timeout={{ . }}
{{- end }}
{{- with .Values.agentHealth.concurrency }}
- --agent-health-concurrency={{ . }}
{{- end }}
{{- if .Values.canary.enabled }}
{{- with .Values.canary.interval }}
- --canary-interval={{ . }}
{{- end }}
{{- with .Values.canary.poll }}
- --canary-poll={{ . }}
{{- end }}
{{- if ne (join "," .Values.canary.ports) "9810,9811" }}
- --canary-ports={{ join "," .Values.canary.ports }}
{{- end }}
{{- else }}
- --canary=off
{{- end }}
{{- if .Values.config }}
- --config={{ include "spe.configMountPath" . }}/config.yaml
{{- end }}
{{- if .Values.webConfig.secretName }}
- --web-config-file={{ include "spe.webConfigFile" . }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}
