"""`python -m movielens_rec`: the same command line as the `movielens-rec` console script (see `movielens_rec.cli`)."""
from movielens_rec.cli import main

raise SystemExit(main())
