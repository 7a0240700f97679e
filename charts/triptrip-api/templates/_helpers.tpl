{{/*
Names and labels shared by every object of the chart.
*/}}

{{/* The app name: the chart name unless nameOverride says otherwise; also the value of the `app` label. */}}
{{- define "triptrip-api.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Object names: fullnameOverride, else the release name when it already holds the app name (release triptrip-api
gives triptrip-api, not triptrip-api-triptrip-api), else <release>-<name>. 63 characters: a DNS label.
*/}}
{{- define "triptrip-api.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "triptrip-api.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart-version, for the helm.sh/chart label (a label value: no "+"). */}}
{{- define "triptrip-api.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The image tag: image.tag, or the chart's appVersion when it is empty. */}}
{{- define "triptrip-api.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion | toString }}
{{- end }}

{{/* The version as a label value (at most 63 characters of [A-Za-z0-9_.-]). */}}
{{- define "triptrip-api.version" -}}
{{- include "triptrip-api.tag" . | replace "+" "_" | replace ":" "_" | trunc 63 | trimSuffix "-" | trimSuffix "." }}
{{- end }}

{{/* The pods' `version` label, which the Istio subsets select on: versionLabel, else the version. */}}
{{- define "triptrip-api.podVersion" -}}
{{- .Values.versionLabel | default (include "triptrip-api.version" .) }}
{{- end }}

{{/* The selector: the spec selects the API's pods by `app` alone (Service, PDB, anti-affinity, spread). */}}
{{- define "triptrip-api.selectorLabels" -}}
app: {{ include "triptrip-api.name" . }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "triptrip-api.labels" -}}
{{ include "triptrip-api.selectorLabels" . }}
helm.sh/chart: {{ include "triptrip-api.chart" . }}
app.kubernetes.io/name: {{ include "triptrip-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "triptrip-api.version" . | quote }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: triptrip
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The ServiceAccount's name: serviceAccount.name, else <fullname> when the chart creates it, else default. */}}
{{- define "triptrip-api.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "triptrip-api.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the API reads its credentials from: the ExternalSecret's target, else existingSecret, else none. */}}
{{- define "triptrip-api.secretName" -}}
{{- if .Values.externalSecrets.enabled }}
{{- printf "%s-secrets" (include "triptrip-api.fullname" .) }}
{{- else }}
{{- .Values.existingSecret }}
{{- end }}
{{- end }}

{{/* A namespace selector by the label Kubernetes sets on every namespace. */}}
{{- define "triptrip-api.namespaceSelector" -}}
namespaceSelector:
  matchLabels:
    kubernetes.io/metadata.name: {{ . }}
{{- end }}
