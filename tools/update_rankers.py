#!/usr/bin/env python3
"""Rank again some rankers of a finished comparison, and put their rows into a committed comparison's ranking files.

    python tools/update_rankers.py --run runs/fair --into results/ml-1m/fair-comparison --rankers next-item mix

Ranks every user's held-out movie (study split) by each named ranker of the comparison folder `--run`, as `compare`
ranks it (read from the ranking kept in its run folder, else made and kept there), and writes into `--into`: those
rankers' rows of `ranking.csv` (with their provenance) and their columns of `ranks.csv`, every other row and column
as it was; then `ranking_verdicts.csv`, `ranking.md` and `ranking.png` made again from the whole. For replacing a
model that was trained again without re-making the others.
"""
import argparse
import sys
from pathlib import Path

import pandas as pd

from movielens_rec.compare import run_ranking, write_ranking_files
from movielens_rec.data.movielens import load_movielens
from movielens_rec.evaluate.provenance import provenance
from movielens_rec.evaluate.scorers import ranking_table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, type=Path, help="the finished comparison folder")
    parser.add_argument("--into", required=True, type=Path, help="the committed comparison folder whose ranking files change")
    parser.add_argument("--rankers", nargs="+", required=True, help="the rankers ranked again")
    parser.add_argument("--data-dir", help="the extracted ml-1m folder (default: $MOVIELENS_REC_DATA or the cache)")
    args = parser.parse_args(argv)
    ml = load_movielens(args.data_dir)
    rankings = {name: run_ranking(args.run / "runs" / f"{name}-seed0", ml, "study") for name in args.rankers}
    fresh, fresh_ranks = ranking_table(ml, "study", None, rankings=rankings)
    fresh = fresh[fresh.model.isin(args.rankers)].assign(**provenance(command=None))
    table = pd.read_csv(args.into / "ranking.csv")
    columns = table.columns
    table = pd.concat([table[~table.model.isin(args.rankers)], fresh[columns]]).sort_values("ndcg@10", ascending=False)
    ranks = pd.read_csv(args.into / "ranks.csv")
    if ranks.row.tolist() != fresh_ranks.row.tolist():
        raise SystemExit(f"{args.into / 'ranks.csv'} ranks other validation rows than this data's study split.")
    ranks[args.rankers] = fresh_ranks[args.rankers].to_numpy()
    write_ranking_files(args.into, table, ranks)
    print(table[["model", "hr@10", "ndcg@10", "coverage", "mean_popularity"]].round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
