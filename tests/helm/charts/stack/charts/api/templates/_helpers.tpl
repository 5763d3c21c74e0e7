{{- define "api.name" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}
