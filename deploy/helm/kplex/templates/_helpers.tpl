{{/* Labels every object of the chart carries. */}}
{{- define "kplex.labels" -}}
app.kubernetes.io/name: kplex
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "kplex.selector" -}}
app.kubernetes.io/name: kplex
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* kplex keeps its signing keys and client CAs in kplex-system (src/auth/key-store.ts). */}}
{{- define "kplex.namespace" -}}
{{- if ne .Release.Namespace "kplex-system" -}}
{{- fail "install kplex into the namespace kplex-system (helm install -n kplex-system)" -}}
{{- end -}}
kplex-system
{{- end }}

{{/* kplex's host user, as the host's authenticator names it. */}}
{{- define "kplex.user" -}}
system:serviceaccount:{{ include "kplex.namespace" . }}:{{ .Values.serviceAccount.name }}
{{- end }}

{{/* The ClusterRole kplex binds to itself in every host namespace it creates. */}}
{{- define "kplex.namespaceRole" -}}
kplex-host-namespace
{{- end }}
