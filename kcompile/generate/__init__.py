"""Generated objects: ConfigMap and Secret generators (literals, files, env files) and
Kustomize's content hash that names them, and what that hash gives away of a Secret's
values (:mod:`.strength`: the build's warning for values a name can reveal).

Files are read through a function the caller passes (the build's load restrictor
applies); the hash suffix is added at the end of the build, not here.
"""
