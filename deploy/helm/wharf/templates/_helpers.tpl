{{/* Names */}}
{{- define "wharf.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "wharf.fullname" -}}
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

{{/* The name of one component's objects: <fullname>-<component>, e.g. wharf-core. */}}
{{- define "wharf.componentName" -}}
{{- printf "%s-%s" (include "wharf.fullname" .root | trunc 47 | trimSuffix "-") .component }}
{{- end }}

{{- define "wharf.secretName" -}}
{{- default (include "wharf.fullname" .) .Values.existingSecret }}
{{- end }}

{{- define "wharf.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "wharf.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Labels */}}
{{- define "wharf.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "wharf.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: wharf
{{- end }}

{{/* Selector labels of one component: (dict "root" $ "component" "core") */}}
{{- define "wharf.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wharf.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "wharf.componentLabels" -}}
{{ include "wharf.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The image of one component: (dict "root" $ "component" "core") */}}
{{- define "wharf.image" -}}
{{- $image := .root.Values.image }}
{{- $repository := printf "%s/%s" $image.prefix .component }}
{{- if $image.registry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" $image.registry) $repository }}
{{- end }}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion $image.tag) }}
{{- end }}

{{/* The address clients use (https when the Ingress or the proxy terminates TLS). */}}
{{- define "wharf.externalURL" -}}
{{- if .Values.externalURL }}
{{- trimSuffix "/" .Values.externalURL }}
{{- else if .Values.ingress.enabled }}
{{- $https := or .Values.ingress.tls.enabled (ne (toString .Values.proxy.tls.secretName) "") }}
{{- printf "%s://%s" (ternary "https" "http" $https) (required "ingress.host is required when externalURL is empty" .Values.ingress.host) }}
{{- else }}
{{- fail "set externalURL: the address clients use to reach Wharf (the Ingress is disabled)" }}
{{- end }}
{{- end }}

{{/* In-cluster URLs of the services. */}}
{{- define "wharf.coreURL" -}}
{{- printf "http://%s:%v" (include "wharf.componentName" (dict "root" . "component" "core")) .Values.core.service.port }}
{{- end }}
{{- define "wharf.registryURL" -}}
{{- printf "http://%s:%v" (include "wharf.componentName" (dict "root" . "component" "registry-facade")) .Values.registryFacade.service.port }}
{{- end }}
{{- define "wharf.adapterURL" -}}
{{- printf "http://%s:%v" (include "wharf.componentName" (dict "root" . "component" "adapter")) .Values.adapter.service.port }}
{{- end }}
{{- define "wharf.jobserviceURL" -}}
{{- printf "http://%s:%v" (include "wharf.componentName" (dict "root" . "component" "jobservice")) .Values.jobservice.service.port }}
{{- end }}

{{/*
Environment of AMQP_URL (jobservice's RabbitMQ), as wharf.redisEnv does for Redis: a whole
URL from the Secret, or one built from host/port/vhost/user with the password from a Secret.
*/}}
{{- define "wharf.amqpEnv" -}}
{{- $mq := .Values.rabbitmq }}
{{- if $mq.url }}
- name: AMQP_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "wharf.fullname" . }}
      key: rabbitmq-url
{{- else }}
{{- $where := printf "%s:%v/%s" (required "rabbitmq.host is required (or rabbitmq.url)" $mq.host) $mq.port (urlquery $mq.vhost) }}
{{- if or $mq.password $mq.existingSecret }}
- name: WHARF_RABBITMQ_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (include "wharf.fullname" .) $mq.existingSecret }}
      key: {{ ternary (default "password" $mq.existingSecretPasswordKey) "rabbitmq-password" (ne $mq.existingSecret "") }}
- name: AMQP_URL
  value: {{ printf "amqp://%s:$(WHARF_RABBITMQ_PASSWORD)@%s" $mq.user $where | quote }}
{{- else }}
- name: AMQP_URL
  value: {{ printf "amqp://%s@%s" $mq.user $where | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Environment of DATABASE_URL. A password from a Secret is an env var of its own that
DATABASE_URL refers to with $(…), which Kubernetes expands in the container's environment.
*/}}
{{- define "wharf.databaseEnv" -}}
{{- $db := .Values.database }}
{{- if $db.url }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "wharf.fullname" . }}
      key: database-url
{{- else }}
{{- $query := ternary (printf "?sslmode=%s" $db.sslmode) "" (ne (toString $db.sslmode) "") }}
{{- $where := printf "%s:%v/%s%s" (required "database.host is required (or database.url)" $db.host) $db.port $db.name $query }}
{{- if or $db.password $db.existingSecret }}
- name: WHARF_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (include "wharf.fullname" .) $db.existingSecret }}
      key: {{ ternary $db.existingSecretPasswordKey "database-password" (ne $db.existingSecret "") }}
- name: DATABASE_URL
  value: {{ printf "postgres://%s:$(WHARF_DATABASE_PASSWORD)@%s" $db.user $where | quote }}
{{- else }}
- name: DATABASE_URL
  value: {{ printf "postgres://%s@%s" $db.user $where | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Environment of REDIS_URL (core and jobservice). */}}
{{- define "wharf.redisEnv" -}}
{{- $redis := .Values.redis }}
{{- if $redis.url }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "wharf.fullname" . }}
      key: redis-url
{{- else }}
{{- $scheme := ternary "rediss" "redis" (eq (toString $redis.tls) "true") }}
{{- $where := printf "%s:%v/%v" (required "redis.host is required (or redis.url)" $redis.host) $redis.port $redis.db }}
{{- if or $redis.password $redis.existingSecret }}
- name: WHARF_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (include "wharf.fullname" .) $redis.existingSecret }}
      key: {{ ternary $redis.existingSecretPasswordKey "redis-password" (ne $redis.existingSecret "") }}
- name: REDIS_URL
  value: {{ printf "%s://:$(WHARF_REDIS_PASSWORD)@%s" $scheme $where | quote }}
{{- else }}
- name: REDIS_URL
  value: {{ printf "%s://%s" $scheme $where | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Environment of the S3 credentials (registry-facade), when there are any. */}}
{{- define "wharf.s3CredentialsEnv" -}}
{{- $s3 := .Values.storage.s3 }}
{{- if $s3.existingSecret }}
- name: REGISTRY_STORAGE_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s3.existingSecret }}
      key: {{ $s3.existingSecretAccessKeyKey }}
- name: REGISTRY_STORAGE_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s3.existingSecret }}
      key: {{ $s3.existingSecretSecretKeyKey }}
{{- else if or $s3.accessKey $s3.secretKey }}
{{- if not (and $s3.accessKey $s3.secretKey) }}
{{- fail "set both storage.s3.accessKey and storage.s3.secretKey, or neither" }}
{{- end }}
- name: REGISTRY_STORAGE_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "wharf.fullname" . }}
      key: s3-access-key
- name: REGISTRY_STORAGE_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "wharf.fullname" . }}
      key: s3-secret-key
{{- end }}
{{- end }}

{{/*
Pod settings every component shares: (dict "root" $ "component" "core" "values" .Values.core)
*/}}
{{- define "wharf.podScheduling" -}}
serviceAccountName: {{ include "wharf.serviceAccountName" .root }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Restart pods when the configuration or the secrets change. */}}
{{- define "wharf.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}

{{/* HTTP probes on the service's port: (dict "port" "http" "scheme" "HTTP") */}}
{{- define "wharf.probes" -}}
startupProbe:
  httpGet: { path: /healthz, port: {{ .port }}, scheme: {{ .scheme }} }
  periodSeconds: 5
  failureThreshold: 60
livenessProbe:
  httpGet: { path: /healthz, port: {{ .port }}, scheme: {{ .scheme }} }
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 3
readinessProbe:
  httpGet: { path: /readyz, port: {{ .port }}, scheme: {{ .scheme }} }
  periodSeconds: 5
  timeoutSeconds: 5
  failureThreshold: 3
{{- end }}
