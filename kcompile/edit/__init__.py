"""``kcompile edit``: change an overlay file as ``kustomize edit`` does, in place.

``document.py`` reads and writes the file round-trip (comments, order, quoting and
layout kept); ``verbs.py`` holds what each verb does to the fields. Nothing here builds
or validates the overlay.
"""
