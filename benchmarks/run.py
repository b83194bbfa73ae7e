#!/usr/bin/env python3
"""Benchmarks: each one times the project and a reference in the same run and prints their ratio.

    python benchmarks/run.py [--data-dir DIR] [--only NAME ...]

Results go to benchmarks/results.json (one entry per benchmark, with provenance). These are measurements, not
tests: they need the real MovieLens-1M (downloaded and cached, or --data-dir) and minutes of CPU time.
Optional references (Surprise) come with `pip install -e ".[bench]"`.
"""
import argparse
import os
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from movielens_rec.data import load_movielens, write_atomic
from movielens_rec.encoding import IdEncoder
from movielens_rec.metrics import evaluate, provenance
from movielens_rec.models.mf import BiasedMF, MfDotBias, MF_FAIR
from movielens_rec.split import leave_last_out
from movielens_rec.training import TrainConfig, fit, predict, ratings_dataset

HERE = Path(__file__).resolve().parent


def _study_split(data_dir):
    ml = load_movielens(data_dir)
    train, valid = leave_last_out(ml.ratings, tie_break="study")
    return ml, train, valid


class RowPerSampleRatings(torch.utils.data.Dataset):
    "The study's way of feeding a model: one pandas row per sample (`df.iloc`), collated by the DataLoader."
    def __init__(self, frame): self.frame = frame.reset_index(drop=True)
    def __len__(self): return len(self.frame)
    def __getitem__(self, i):
        row = self.frame.iloc[i]
        return int(row.user_code), int(row.movie_code), float(row.rating)


def _study_style_epoch(model, frame, batch_size, num_workers):
    "One training epoch the study's way: row-per-sample dataset, default collate, AdamW + OneCycleLR per batch."
    loader = torch.utils.data.DataLoader(RowPerSampleRatings(frame), batch_size=batch_size, shuffle=True, num_workers=num_workers)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=len(loader))
    model.train()
    for users, movies, ratings in loader:
        loss = torch.nn.functional.mse_loss(model(users, movies), ratings.float())
        optimizer.zero_grad(); loss.backward(); optimizer.step(); schedule.step()


def bench_mf_throughput(data_dir):
    "MF training throughput, ratings per second over one full epoch: `fit` on tensors versus a study-style loop."
    ml, train, valid = _study_split(data_dir)
    users, movies = IdEncoder.fit(ml.ratings.user_id), IdEncoder.fit(ml.ratings.movie_id)
    train_data, valid_data = ratings_dataset(train, users, movies), ratings_dataset(valid, users, movies)
    config = TrainConfig(epochs=1, progress=False)
    _warm_up()
    run = fit(lambda: MfDotBias(users.n_codes, movies.n_codes), train_data, valid_data, config, HERE/"runs"/"mf-throughput")
    project = len(train) / run.history.seconds.iloc[0]
    frame = train.assign(user_code=users.encode(train.user_id), movie_code=movies.encode(train.movie_id))
    torch.manual_seed(0)
    start = time.perf_counter()
    _study_style_epoch(MfDotBias(users.n_codes, movies.n_codes), frame, config.batch_size, num_workers=os.cpu_count())
    reference = len(train) / (time.perf_counter() - start)
    return {"metric": "MF training throughput (ratings/s, one epoch, batch 1,024)", "project": project,
            "reference": reference, "ratio": project / reference, "goal": ">= 10x", "passed": project / reference >= 10,
            "details": {"reference": "Dataset reading one pandas row per sample (df.iloc), DataLoader with one worker per CPU (pytorch-accelerated's default), "
                                     "same MfDotBias, AdamW + OneCycleLR", "train_ratings": len(train)}}


def _warm_up():
    "Pay PyTorch's one-time lazy imports (the optimizer's first step loads torch._dynamo) before any clock starts."
    parameter = torch.nn.Parameter(torch.zeros(1))
    torch.optim.AdamW([parameter]).step()


def bench_mf_fair_vs_svd(data_dir):
    "Wall time of the fair MF to its reported accuracy versus Surprise's SVD fit, on the same training rows."
    from surprise import SVD, Dataset, Reader
    ml, train, valid = _study_split(data_dir)
    _warm_up()
    start = time.perf_counter()
    users, movies = IdEncoder.fit(ml.ratings.user_id), IdEncoder.fit(ml.ratings.movie_id)
    train_data, valid_data = ratings_dataset(train, users, movies), ratings_dataset(valid, users, movies)
    config = TrainConfig(lr=MF_FAIR["lr"], epochs=MF_FAIR["epochs"], batch_size=MF_FAIR["batch_size"], weight_decay=0.0, progress=False)
    mean = float(train.rating.mean())
    run = fit(lambda: BiasedMF(users.n_codes, movies.n_codes, MF_FAIR["n_factors"], MF_FAIR["reg"], mean=mean),
              train_data, valid_data, config, HERE/"runs"/"mf-fair")
    project_seconds = time.perf_counter() - start
    ours = evaluate(valid.rating, np.clip(predict(run.model, valid_data), 1, 5))

    start = time.perf_counter()
    trainset = Dataset.load_from_df(train[["user_id", "movie_id", "rating"]], Reader(rating_scale=(1, 5))).build_full_trainset()
    svd = SVD(random_state=0)
    svd.fit(trainset)
    reference_seconds = time.perf_counter() - start
    theirs = evaluate(valid.rating, [svd.predict(u, m).est for u, m in zip(valid.user_id, valid.movie_id)])
    ratio = project_seconds / reference_seconds
    return {"metric": "wall seconds to a trained model (data structures + fit)", "project": project_seconds,
            "reference": reference_seconds, "ratio": ratio, "goal": "< 1x, with RMSE <= 0.915",
            "passed": ratio < 1 and ours["rmse"] <= 0.915,
            "details": {"project_model": f"BiasedMF {MF_FAIR}", "project_rmse": ours["rmse"], "project_mae": ours["mae"],
                        "reference_model": "surprise.SVD() defaults", "reference_rmse": theirs["rmse"], "reference_mae": theirs["mae"],
                        "project_epochs": run.epochs}}


BENCHMARKS = {"mf-throughput": bench_mf_throughput, "mf-fair-vs-svd": bench_mf_fair_vs_svd}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="extracted ml-1m folder or ml-1m.zip (default: download and cache)")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    args = parser.parse_args(argv)
    results_path = HERE/"results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    for name in args.only or BENCHMARKS:
        print(f"== {name}: {BENCHMARKS[name].__doc__}", flush=True)
        start = time.perf_counter()
        result = BENCHMARKS[name](args.data_dir)
        result |= {"wall_seconds": round(time.perf_counter() - start, 1), **provenance(command=" ".join(["python benchmarks/run.py", *sys.argv[1:]]))}
        results[name] = result
        print(f"   project {result['project']:,.2f}  reference {result['reference']:,.2f}  ratio {result['ratio']:.2f}x  "
              f"goal {result['goal']}: {'met' if result['passed'] else 'NOT met'}", flush=True)
        print(f"   {json.dumps(result['details'])}", flush=True)
        write_atomic(results_path, json.dumps(results, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
