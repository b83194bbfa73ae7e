#!/usr/bin/env python3
"""Choose the time between ratings that a next-movie model reading the gaps assumes for a history given without times.

    python tools/untimed_gaps.py --run runs/next-item-search2/runs/08 --out results/ml-1m/next-item-untimed.csv

Ranks every user's held-out movie of the inner split with the search run's model (trained on the inner split) as it
is, reading the real gaps, then with every gap of each history replaced by one gap code (code 0: no time known; a
history's first rating keeps its 0). Writes one row per fill with its metrics, standard error, the seconds that give
that code, the paired difference in NDCG@10 to the real gaps, and the provenance; the best fill is `UNTIMED_GAP` (None for code 0).
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from movielens_rec.data.files import write_atomic
from movielens_rec.data.histories import GAP_CODES, gap_codes
from movielens_rec.data.movielens import load_movielens
from movielens_rec.evaluate.provenance import provenance
from movielens_rec.evaluate.ranking import paired_ranking
from movielens_rec.evaluate.scorers import ranking_table, training_ratings
from movielens_rec.models.trained import TrainedModel
from movielens_rec.train.search import inner_data

CODES = (0, 1, 2, 6, 7, 8, 9, 10, 11, 13, 17)


def code_seconds(code: int) -> float:
    "The fewest seconds, 0 or a power of two, between two ratings that `gap_codes` gives `code`; NaN for code 0, no time known."
    if code == 0:
        return float("nan")
    candidates = np.r_[0.0, 2.0 ** np.arange(GAP_CODES)]
    codes = [gap_codes(np.array([0.0, seconds]), np.array([True, False]))[1] for seconds in candidates]
    return float(candidates[codes.index(code)])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, type=Path, help="a finished search run of the next-movie model with gaps")
    parser.add_argument("--out", required=True, type=Path, help="the CSV to write")
    parser.add_argument("--data-dir", help="the extracted ml-1m folder (default: $MOVIELENS_REC_DATA or the cache)")
    args = parser.parse_args(argv)
    inner = inner_data(load_movielens(args.data_dir), "study")
    saved = TrainedModel.load(args.run / "model")
    train, order = training_ratings(inner, "study")
    real = saved.reading(train, order, inner.users)
    scorers = {"real": real.score_movies}
    for code in CODES:
        context = dict(real.context, last_gaps=np.where(real.context["last_gaps"] > 0, code, 0))
        scorers[f"code {code}"] = TrainedModel(saved.model, saved.users, saved.movies, saved.clip, context).score_movies
    table, ranks = ranking_table(inner, "study", scorers, n_boot=500)
    table = table.set_index("model").drop(index="popularity")
    paired = [paired_ranking(ranks[name], ranks["real"], "ndcg", n_boot=500) for name in table.index]
    record = json.dumps(provenance(command=" ".join(["python", "tools/untimed_gaps.py", *sys.argv[1:]])))
    rows = pd.DataFrame(
        {
            "fill": table.index,
            "code": [None, *CODES],
            "seconds": [None, *map(code_seconds, CODES)],
            "inner_hr@10": table["hr@10"].to_numpy(),
            "inner_ndcg@10": table["ndcg@10"].to_numpy(),
            "se": table["ndcg@10_se"].to_numpy(),
            "diff_to_real": [p["diff"] for p in paired],
            "ci_low": [p["ci_low"] for p in paired],
            "ci_high": [p["ci_high"] for p in paired],
            "provenance": record,
        }
    )
    write_atomic(args.out, rows.to_csv(index=False))
    print(rows.drop(columns="provenance").round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
