"""Generated objects: ConfigMap and Secret generators (literals, files, env files) and
Kustomize's content hash that names them.

Files are read through a function the caller passes (the build's load restrictor
applies); the hash suffix is added at the end of the build, not here.
"""
