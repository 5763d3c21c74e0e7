"""Writing a build's output: stdout, one file, or a directory of one file per object.

- :mod:`.emit` — rendering objects as YAML or JSON text, and atomic writes.
- :mod:`.targets` — where ``-o`` may write: never over the build's inputs.
- :mod:`.directory` — output directories (``-o DIR/``): compared, replaced whole, stamped.

Nothing is written until the whole output is rendered; a failed run leaves what was there.
Knows nothing of how objects were built.
"""
