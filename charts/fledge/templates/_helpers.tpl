{{- define "fledge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "fledge.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "fledge.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "fledge.labels" -}}
{{ include "fledge.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "fledge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fledge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The account the controller runs as: always in the release namespace. */}}
{{- define "fledge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "fledge.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Whether the controller elects a leader through a Lease (no Redis to share the work). */}}
{{- define "fledge.leaderElection" -}}
{{- if not (or .Values.redis.url .Values.redis.existingSecret) -}}true{{- end -}}
{{- end -}}

{{/* Mesh providers whose objects the controller manages: the default one and .Values.providers. */}}
{{- define "fledge.providers" -}}
{{- append .Values.providers .Values.meshProvider | uniq | sortAlpha | join "," -}}
{{- end -}}

{{/* Scrape settings shared by the ServiceMonitor and the PodMonitor endpoint. */}}
{{- define "fledge.scrapeEndpoint" -}}
port: http
path: /metrics
{{- with .interval }}
interval: {{ . }}
{{- end }}
{{- with .scrapeTimeout }}
scrapeTimeout: {{ . }}
{{- end }}
{{- if .honorLabels }}
honorLabels: true
{{- end }}
{{- end -}}

{{/*
The V8 heap cap in MiB: heapLimitPercent of resources.limits.memory, so that the heap is collected
before the container reaches its limit (V8 sizes its heap from the node's memory, not the
container's). Empty without a memory limit or with heapLimitPercent 0.
*/}}
{{- define "fledge.heapLimitMiB" -}}
{{- $limit := dig "limits" "memory" "" (.Values.resources | default dict) | toString -}}
{{- $percent := int .Values.heapLimitPercent -}}
{{- if and $limit (gt $percent 0) -}}
{{- $mib := 0.0 -}}
{{- if regexMatch "^[0-9]+(\\.[0-9]+)?$" $limit -}}
{{- $mib = divf (float64 $limit) 1048576.0 -}}
{{- else -}}
{{- $factors := dict "Ki" 0.0009765625 "Mi" 1.0 "Gi" 1024.0 "Ti" 1048576.0 "k" 0.00095367431640625 "M" 0.95367431640625 "G" 953.67431640625 "T" 953674.31640625 -}}
{{- $number := regexReplaceAll "(Ki|Mi|Gi|Ti|k|M|G|T)$" $limit "" -}}
{{- $suffix := trimPrefix $number $limit -}}
{{- if or (not (hasKey $factors $suffix)) (not (regexMatch "^[0-9]+(\\.[0-9]+)?$" $number)) -}}
{{- fail (printf "resources.limits.memory: %q is not a memory quantity this chart reads (use e.g. 512Mi or 1Gi), or set heapLimitPercent=0" $limit) -}}
{{- end -}}
{{- $mib = mulf (float64 $number) (get $factors $suffix) -}}
{{- end -}}
{{- $heap := floor (divf (mulf $mib (float64 $percent)) 100.0) | int -}}
{{- if lt $heap 16 -}}
{{- fail (printf "resources.limits.memory: %q leaves a heap of %d MiB at heapLimitPercent=%d; the controller needs far more" $limit $heap $percent) -}}
{{- end -}}
{{- $heap -}}
{{- end -}}
{{- end -}}

{{/*
Node's command-line flags: the heap cap, then v8Flags; none when .Values.env sets NODE_OPTIONS (the
user's own flags then). The benchmark reads the same values (bench/chart-node-flags.ts) and the chart
tests hold the two to the same flags.
*/}}
{{- define "fledge.nodeFlags" -}}
{{- if not (include "fledge.userNodeOptions" .) -}}
{{- $flags := list -}}
{{- $heap := include "fledge.heapLimitMiB" . -}}
{{- if $heap -}}
{{- $flags = append $flags (printf "--max-old-space-size=%s" $heap) -}}
{{- end -}}
{{- range .Values.v8Flags -}}
{{- $flags = append $flags . -}}
{{- end -}}
{{- join " " $flags -}}
{{- end -}}
{{- end -}}

{{/* The script the image's ENTRYPOINT runs with node (Dockerfile; the chart tests compare the two). */}}
{{- define "fledge.entrypointScript" -}}
/app/dist/src/cli/main.js
{{- end -}}

{{/* Whether .Values.env sets NODE_OPTIONS itself (then the chart gives node no flags of its own). */}}
{{- define "fledge.userNodeOptions" -}}
{{- include "fledge.userEnv" (dict "env" .Values.env "name" "NODE_OPTIONS") -}}
{{- end -}}

{{/* "true" when the list .env sets the variable .name. */}}
{{- define "fledge.userEnv" -}}
{{- $name := .name -}}
{{- range .env -}}
{{- if eq .name $name -}}true{{- end -}}
{{- end -}}
{{- end -}}
