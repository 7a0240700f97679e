{{/*
Labels of every object: the spec's `app` label, the recommended app.kubernetes.io set and the platform's
part-of label, and managed-by Helm (the label Helm checks before it adopts an object), as charts/triptrip-api does.
*/}}
{{- define "triptrip-redis.labels" -}}
{{ include "triptrip-redis.podLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/*
The pods' labels: without helm.sh/chart, so a new chart version that changes nothing in the pod restarts no member.
*/}}
{{- define "triptrip-redis.podLabels" -}}
app: {{ .Values.name }}
app.kubernetes.io/name: {{ .Values.name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/component: cache
app.kubernetes.io/part-of: triptrip
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The selector: the spec's `app` label only (a StatefulSet's selector cannot change after creation).
*/}}
{{- define "triptrip-redis.selectorLabels" -}}
app: {{ .Values.name }}
{{- end }}

{{- define "triptrip-redis.serviceAccountName" -}}
{{- required "serviceAccount.name is required (the spec's redis-cluster)" .Values.serviceAccount.name }}
{{- end }}

{{/*
Refuse a member count Redis Cluster cannot use: whole shards of (1 + clusterReplicas) pods, at least three primaries;
and a disruption budget that lets a drain take more members at once than a shard has replicas, which could take a
primary and all its replicas together, and their slots with them. values.schema.json cannot compare two values; the
preflight holds the inventory to the same rules (plugins/filter/chart_values_errors.py).
*/}}
{{- define "triptrip-redis.validate" -}}
{{- $shard := add1 (int .Values.clusterReplicas) }}
{{- $replicas := int .Values.replicas }}
{{- if ne (mod $replicas $shard) 0 }}
{{- fail (printf "replicas=%d is not a multiple of 1 + clusterReplicas (%d)" $replicas $shard) }}
{{- end }}
{{- if lt (div $replicas $shard) 3 }}
{{- fail (printf "replicas=%d gives %d primaries; Redis Cluster needs at least 3" $replicas (div $replicas $shard)) }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (lt (int .Values.clusterReplicas) 1) }}
{{- fail "clusterReplicas=0 leaves no replica to fail over to; a disruption budget cannot keep such a cluster up" }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (gt (int .Values.podDisruptionBudget.maxUnavailable) (int .Values.clusterReplicas)) }}
{{- fail (printf "podDisruptionBudget.maxUnavailable=%d is above clusterReplicas=%d: a drain could take a primary and all its replicas at once" (int .Values.podDisruptionBudget.maxUnavailable) (int .Values.clusterReplicas)) }}
{{- end }}
{{- end }}
