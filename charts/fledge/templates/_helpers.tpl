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
