from kcompile.cli import main

raise SystemExit(main())
