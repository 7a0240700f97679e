{{/*
Labels of every object: the spec's `app` label, the recommended app.kubernetes.io set and the platform's
part-of label, and managed-by Helm (the label Helm checks before it adopts an object), as charts/triptrip-api does.
*/}}
{{- define "triptrip-workers.labels" -}}
{{ include "triptrip-workers.podLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/*
The pods' labels: without helm.sh/chart, so a new chart version that changes nothing in the pod restarts nothing.
*/}}
{{- define "triptrip-workers.podLabels" -}}
app: {{ .Values.queueWorker.name }}
app.kubernetes.io/name: {{ .Values.queueWorker.name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.queueWorker.image.tag | quote }}
app.kubernetes.io/component: queue-worker
app.kubernetes.io/part-of: triptrip
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The selector: the spec's `app` label only (a Deployment's selector cannot change after creation).
*/}}
{{- define "triptrip-workers.selectorLabels" -}}
app: {{ .Values.queueWorker.name }}
{{- end }}

{{- define "triptrip-workers.image" -}}
{{- $tag := .Values.queueWorker.image.tag | toString }}
{{- if or (eq $tag "") (eq $tag "latest") }}
{{- fail (printf "queueWorker.image.tag=%q must name a release, not latest or nothing" $tag) }}
{{- end }}
{{- printf "%s:%s" .Values.queueWorker.image.repository $tag }}
{{- end }}

{{/*
host:port of every Kafka broker, comma-separated (the Kafka clients' bootstrap.servers).
*/}}
{{- define "triptrip-workers.kafkaBootstrap" -}}
{{- $servers := list }}
{{- range .Values.connections.kafka }}
{{- $servers = append $servers (printf "%s:%v" .host .port) }}
{{- end }}
{{- join "," $servers }}
{{- end }}
