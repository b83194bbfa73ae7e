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
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from movielens_rec.data.movielens import load_movielens
from movielens_rec.data.encoding import fit_encoders, ratings_dataset
from movielens_rec.data.files import write_atomic
from movielens_rec.evaluate.rating import evaluate
from movielens_rec.models.mf import MfDotBias
from movielens_rec.evaluate.provenance import provenance
from movielens_rec.data.split import leave_last_out
from movielens_rec.train.trainer import TrainConfig, fit, linear_cross_entropy, native_bf16, predict
from movielens_rec.runner import MODELS, recipe
from movielens_rec.train.settings import MF_FAIR, NEXT_ITEM, SEQ_FAIR

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import (RowPerSampleWindows, _plain_next_item_steps, _study_style_epoch,  # noqa: E402
                       _study_style_preparation, _train_svd)

HERE = Path(__file__).resolve().parent



def _study_split(data_dir):
    ml = load_movielens(data_dir)
    train, valid = leave_last_out(ml.ratings, tie_break="study")
    return ml, train, valid


def bench_mf_throughput(data_dir):
    "MF training throughput, ratings per second over one full epoch: `fit` on tensors versus a study-style loop."
    ml, train, valid = _study_split(data_dir)
    users, movies = fit_encoders(ml)
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


def _train_fair_mf(ml, train, valid):
    "The fair MF from raw frames to a trained model: encoders, tensors, fit; returns the model and the validation tensors."
    made = recipe("mf-fair", ml, progress=False)
    run = fit(made.make, made.train_data, made.valid_data, made.config, HERE/"runs"/"mf-fair")
    return run, made.valid_data


def bench_mf_fair_vs_svd(data_dir):
    "Wall time of the fair MF to its reported accuracy versus Surprise's SVD fit, on the same training rows (medians of 3 runs)."
    ml, train, valid = _study_split(data_dir)
    _warm_up()
    fair_runs, project_seconds = _repeat(_train_fair_mf, ml, train, valid)
    svds, reference_seconds = _repeat(_train_svd, train)
    (run, valid_data), svd = fair_runs[-1], svds[-1]
    ours = evaluate(valid.rating, np.clip(predict(run.model, valid_data), 1, 5))
    theirs = evaluate(valid.rating, [svd.predict(u, m).est for u, m in zip(valid.user_id, valid.movie_id)])
    ratio = project_seconds / reference_seconds
    return {"metric": "wall seconds to a trained model (data structures + fit; medians of 3 runs)", "project": project_seconds,
            "reference": reference_seconds, "ratio": ratio, "goal": "faster than SVD, with RMSE <= 0.915",
            "passed": ratio < 1 and ours["rmse"] <= 0.915,
            "details": {"project_model": f"BiasedMF {MF_FAIR}", "project_rmse": ours["rmse"], "project_mae": ours["mae"],
                        "reference_model": "surprise.SVD() defaults", "reference_rmse": theirs["rmse"], "reference_mae": theirs["mae"],
                        "project_epochs": run.epochs}}


def _project_preparation(folder: Path):
    "This project's data preparation: typed C-parser load, leave-last-out split, windows laid out once (training gathers them per batch)."
    from movielens_rec.data.windows import make_sequences, split_sequences
    from movielens_rec.data.split import chronological_order, split_ratings
    ml = load_movielens(folder)
    train, valid = split_ratings(ml.ratings, "default")
    from movielens_rec.data.encoding import IdEncoder
    movies, order = IdEncoder.fit(ml.ratings.movie_id), chronological_order(ml.ratings)
    start = time.perf_counter()  # like the reference's, after the sort by time
    train_seqs, valid_seqs = split_sequences(make_sequences(ml.ratings, movies, order), valid)
    return {"sequences_seconds": time.perf_counter() - start, "train": len(train_seqs), "valid": len(valid_seqs), "users": len(ml.users)}


def _repeat(function, *args, runs=3):
    "The results of `runs` calls of `function` and the median of their wall seconds."
    results, seconds = [], []
    for _ in range(runs):
        start = time.perf_counter(); results.append(function(*args)); seconds.append(time.perf_counter() - start)
    return results, float(np.median(seconds))


def _traced_peak(function, *args) -> int:
    "Peak bytes of Python/numpy allocations that tracemalloc sees during one call."
    import tracemalloc
    tracemalloc.start()
    try: function(*args); return tracemalloc.get_traced_memory()[1]
    finally: tracemalloc.stop()


def bench_data_preparation(data_dir):
    "Load + split + length-10 sequences: time and peak memory, this project versus the study's pandas approach."
    from movielens_rec.data.movielens import get_movielens
    folder = get_movielens(data_dir)
    (our_runs, our_seconds), (their_runs, their_seconds) = _repeat(_project_preparation, folder), _repeat(_study_style_preparation, folder)
    our_peak, their_peak = _traced_peak(_project_preparation, folder), _traced_peak(_study_style_preparation, folder)
    ours, theirs = (runs[-1] | {"sequences_seconds": float(np.median([r["sequences_seconds"] for r in runs]))} for runs in (our_runs, their_runs))
    if (ours["train"], ours["valid"]) != (theirs["train"], theirs["valid"]):
        raise AssertionError(f"the two pipelines disagree: {ours} versus {theirs}")
    end_to_end, sequences, memory = their_seconds / our_seconds, theirs["sequences_seconds"] / ours["sequences_seconds"], our_peak / their_peak
    return {"metric": "seconds for load + split + length-10 sequences (ratio: reference / project)", "project": our_seconds,
            "reference": their_seconds, "ratio": end_to_end, "goal": ">= 20x end to end, >= 50x sequences alone, <= 1/4 peak memory",
            "passed": end_to_end >= 20 and sequences >= 50 and memory <= 0.25,
            "details": {"sequences_only_project_s": ours["sequences_seconds"], "sequences_only_reference_s": theirs["sequences_seconds"],
                        "sequences_only_ratio": sequences, "peak_bytes_project": our_peak, "peak_bytes_reference": their_peak,
                        "peak_memory_ratio": memory, "train_windows": ours["train"], "valid_windows": ours["valid"],
                        "timing": "medians of 3 runs of each pipeline",
                        "windows": "the project lays the windows out (one slot per rating) and gathers them per batch in training, a cost "
                                   "inside bst-throughput; the reference materialises one tuple per window",
                        "memory": "peak of Python/numpy allocations traced by tracemalloc during a fourth run of each pipeline"}}


def bench_bst_throughput(data_dir, steps=40):
    "BST (bst-features) training throughput over the same optimizer steps: fit on tensors (fp32 and bf16) versus a study-style Dataset."
    made = recipe("bst-features", load_movielens(data_dir))
    train_data, valid_data, make = made.train_data, made.valid_data, made.make
    small_valid = type(train_data)(*(x[:1024] for x in valid_data.inputs), ratings=valid_data.ratings[:1024])
    _warm_up()
    rates = {}
    for precision in ("no", "bf16"):
        config = TrainConfig(epochs=1, max_steps=steps, mixed_precision=precision, progress=False, log=False)
        start = time.perf_counter()
        fit(make, train_data, small_valid, config, HERE/"runs"/f"bst-{precision}")
        rates[precision] = steps * config.batch_size / (time.perf_counter() - start)
    user, movies, history, features = (x[:].numpy() for x in train_data.inputs)  # [:] gathers the laid-out windows
    frame = pd.DataFrame({"user": list(user), "movies": list(map(tuple, movies)), "history": list(map(tuple, history)),
                          "features": list(map(tuple, features)), "rating": train_data.ratings.numpy()})
    loader = torch.utils.data.DataLoader(RowPerSampleWindows(frame), batch_size=1024, shuffle=True, num_workers=os.cpu_count())
    torch.manual_seed(0)
    model = make()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    model.train()
    start = time.perf_counter()
    for step, (*inputs, target) in enumerate(loader):
        loss = torch.nn.functional.mse_loss(model(*inputs), target)
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        if step + 1 == steps: break
    reference = steps * 1024 / (time.perf_counter() - start)
    return {"metric": f"BST training throughput (windows/s over {steps} steps of 1,024)", "project": rates["bf16"],
            "reference": reference, "ratio": rates["bf16"] / reference, "goal": "faster than the study-style Dataset",
            "passed": rates["bf16"] > reference,
            "details": {"project_fp32": rates["no"], "project_bf16": rates["bf16"], "bf16_over_fp32": rates["bf16"] / rates["no"],
                        "reference": "Dataset with one pandas row of tuples per sample, DataLoader with one worker per CPU, fp32",
                        "note": "bf16 versus fp32 validation metrics: the bst-precision benchmark"}}


def bench_bst_precision(data_dir, steps=200, seeds=(0, 1)):
    "bf16 autocast versus fp32 training of bst-ids: the validation metrics they reach after the same steps, against seed-to-seed noise."
    from movielens_rec.evaluate.rating import paired_bootstrap
    made = recipe("bst-ids", load_movielens(data_dir))
    train_data, valid_data, make, clip = made.train_data, made.valid_data, made.make, MODELS["bst-ids"].clip
    truth, predictions, metrics = valid_data.ratings.numpy(), {}, {}
    for seed in seeds:
        for precision in ("no", "bf16"):
            config = TrainConfig(epochs=1, max_steps=steps, mixed_precision=precision, seed=seed, progress=False, log=False)
            model = fit(make, train_data, valid_data, config, HERE/"runs"/f"precision-{precision}-{seed}").model
            predictions[precision, seed] = np.clip(predict(model, valid_data), *clip)
            metrics[precision, seed] = evaluate(truth, predictions[precision, seed], n_boot=200)
    mae = lambda key: metrics[key]["mae"]
    precision_gaps = [abs(mae(("bf16", s)) - mae(("no", s))) for s in seeds]
    seed_gaps = [abs(mae((p, seeds[0])) - mae((p, seeds[1]))) for p in ("no", "bf16")]
    paired = {f"seed{s}_{m}": paired_bootstrap(truth, predictions["bf16", s], predictions["no", s], m) for s in seeds for m in ("mae", "rmse")}
    fp32, bf16 = np.mean([mae(("no", s)) for s in seeds]), np.mean([mae(("bf16", s)) for s in seeds])
    return {"metric": f"validation MAE of bst-ids after {steps} steps of 1,024 (mean over seeds {list(seeds)}; ratio bf16 / fp32)",
            "project": bf16, "reference": fp32, "ratio": bf16 / fp32,
            "goal": "bf16 changes MAE by no more than seed-to-seed noise (largest precision gap <= largest seed gap)",
            "passed": max(precision_gaps) <= max(seed_gaps),
            "details": {"metrics": {f"{'fp32' if p == 'no' else p}-seed{s}": {k: v[k] for k in ("mae", "rmse")} for (p, s), v in metrics.items()},
                        "precision_gaps_mae": precision_gaps, "seed_gaps_mae": seed_gaps,
                        "paired_bootstrap_bf16_minus_fp32": {k: {f: v[f] for f in ("diff", "ci_low", "ci_high", "p_value")} for k, v in paired.items()}}}


def bench_seq_throughput(data_dir, seq_steps=30, bst_steps=10):
    "Training throughput in ratings per second, fp32: seq-transformer's chunks versus the study's bst-ratings windows."
    from movielens_rec.models.mf import BiasedMF
    from movielens_rec.data.split import split_ratings
    ml = load_movielens(data_dir)
    users, movies = fit_encoders(ml)
    train, valid = split_ratings(ml.ratings, "study")
    _warm_up()
    fp32 = {"epochs": 1, "mixed_precision": "no", "progress": False, "log": False}
    base = BiasedMF(users.n_codes, movies.n_codes, 32, mean=float(train.rating.mean()))
    made = recipe("seq-transformer", ml, bases=(base,), **fp32, max_steps=seq_steps)
    chunks, chunk_valid, make, config = made.train_data, made.valid_data, made.make, made.config
    small_valid = type(chunks)(*(x[:64] for x in chunk_valid.inputs), ratings=chunk_valid.ratings[:64])
    per_chunk = float((chunks.ratings > 0).sum()) / len(chunks)  # rated positions in an average chunk
    start = time.perf_counter()
    fit(make, chunks, small_valid, config, HERE/"runs"/"seq-throughput")
    seq_rate = seq_steps * config.batch_size * per_chunk / (time.perf_counter() - start)
    bst = recipe("bst-ratings", ml, max_steps=bst_steps, **fp32)
    windows, window_valid, make_bst, bst_config = bst.train_data, bst.valid_data, bst.make, bst.config
    small_windows = type(windows)(*(x[:1024] for x in window_valid.inputs), ratings=window_valid.ratings[:1024])
    start = time.perf_counter()
    fit(make_bst, windows, small_windows, bst_config, HERE/"runs"/"bst-fp32")
    bst_rate = bst_steps * bst_config.batch_size / (time.perf_counter() - start)
    return {"metric": "training throughput, ratings per second, fp32 (seq-transformer: rated positions of "
                      f"{seq_steps} steps of {config.batch_size} chunks; bst-ratings: {bst_steps} steps of 1,024 windows)",
            "project": seq_rate, "reference": bst_rate, "ratio": seq_rate / bst_rate, "goal": ">= 10x",
            "passed": seq_rate / bst_rate >= 10,
            "details": {"seq_settings": SEQ_FAIR, "rated_positions_per_chunk": per_chunk,
                        "reference": "the study's BST (bst-ratings) trained by the same fit, fp32",
                        "cpu_capability": torch.backends.cpu.get_cpu_capability()}}


def bench_next_item_throughput(data_dir, reference_steps=20):
    "Next-movie training throughput, rated positions per second: one epoch as the project trains it (`auto` precision) versus the usual way (fp32, padded, nn.TransformerEncoder)."
    ml = load_movielens(data_dir)
    _warm_up()
    made = recipe("next-item", ml, epochs=1, progress=False, log=False)
    chunks = made.train_data
    positions = int((chunks.ratings > 0).sum())
    run = fit(made.make, chunks, made.valid_data, made.config, HERE/"runs"/"next-item-throughput", made.callbacks)
    project = positions / run.history.seconds.iloc[0]
    torch.manual_seed(0)
    reference = _plain_next_item_steps(chunks, made.make().movie.num_embeddings, made.config.batch_size, reference_steps)
    return {"metric": "next-movie training throughput (rated positions per second)", "project": project,
            "reference": reference, "ratio": project / reference, "goal": ">= 3x", "passed": project / reference >= 3,
            "details": {"project": f"one epoch of fit with NEXT_ITEM ({made.config.mixed_precision} precision, chunks batched by "
                                   "length, padding dropped, causal attention without a mask, dropout masks from 16 random bits an element, "
                                   "the loss and its gradients in one pass over blocks; its validation included)",
                        "reference": f"{reference_steps} steps of the same chunks in random order, fp32, every chunk padded to "
                                     f"{chunks.inputs[2].shape[1]}, "
                                     "nn.TransformerEncoder with a causal mask, scores at every position",
                        "settings": NEXT_ITEM, "rated_positions": positions,
                        "cpu_capability": torch.backends.cpu.get_cpu_capability(), "native_bf16": native_bf16("cpu")}}


def _training_steps(model, batches, bf16: bool) -> float:
    "Seconds for one pass of training steps over `batches` (forward, linear_cross_entropy, backward, AdamW)."
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    start = time.perf_counter()
    for *inputs, ratings in batches:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            states = model(*inputs)
            rated = ratings > 0
            loss = linear_cross_entropy(states[rated], *model.head(), inputs[1][rated])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def bench_next_item_compile(data_dir, n_batches=40):
    "Does torch.compile speed up next-movie training? Training steps of the NEXT_ITEM model compiled versus as the project runs it, on the same batches."
    ml = load_movielens(data_dir)
    _warm_up()
    made = recipe("next-item", ml, epochs=1, progress=False, log=False)
    chunks, bf16 = made.train_data, native_bf16("cpu")
    # batches of similar length, as the trainer's bucketing makes them, so that shapes vary as in training
    order = torch.argsort(chunks.lengths, descending=True)
    batches = [chunks.__getitems__(b.tolist()) for b in order.split(made.config.batch_size)]
    batches = [batches[i] for i in np.linspace(0, len(batches) - 1, n_batches).astype(int)]
    torch.manual_seed(0)
    eager = _training_steps(made.make(), batches, bf16)
    torch.manual_seed(0)
    compiled_model = torch.compile(made.make(), dynamic=True)
    first = _training_steps(compiled_model, batches, bf16)  # compiles, once per new shape
    compiled = _training_steps(compiled_model, batches, bf16)
    positions = sum(int((b[-1] > 0).sum()) for b in batches)
    return {"metric": "next-movie training throughput with torch.compile (rated positions per second)",
            "project": positions / compiled, "reference": positions / eager, "ratio": eager / compiled,
            "goal": "> 1.1x to be worth compiling", "passed": eager / compiled > 1.1,
            "details": {"project": f"torch.compile(dynamic=True) of the NEXT_ITEM model, {n_batches} training steps after a first "
                                   "pass that compiles", "reference": "the same steps of the same model uncompiled, as fit trains it",
                        "first_pass_seconds": first, "precision": "bf16" if bf16 else "fp32", "settings": NEXT_ITEM,
                        "cpu_capability": torch.backends.cpu.get_cpu_capability()}}


def bench_recommend_latency(data_dir, run_dir="runs/fair", repeats=5):
    "Seconds to load a comparison's next-movie and causal rating models, and to answer a new 20-film history by the mix, with reasons."
    from movielens_rec.models.trained import TrainedModel
    from movielens_rec.recommend import recommend
    runs = Path(run_dir) / "runs"
    start = time.perf_counter()
    next_model, causal = (TrainedModel.load(runs / name / "model") for name in ("next-item-seed0", "seq-transformer-seed0"))
    load = time.perf_counter() - start
    history = [(title, 4) for title in next_model.movies.labels[::150][:20]]
    answers = []
    for _ in range(repeats):
        start = time.perf_counter()
        recommend(causal, history=history, k=10, by="mix", next_model=next_model)
        answers.append(time.perf_counter() - start)
    answer = float(np.median(answers))
    return {"metric": "seconds to answer a new 20-film history (mix of the next-movie and causal rating models, 10 films with "
                      "reasons; median of 5) against the 1-second goal (ratio: goal / seconds)",
            "project": answer, "reference": 1.0, "ratio": 1.0 / answer, "goal": "< 1 s to answer, < 3 s to load",
            "passed": answer < 1.0 and load < 3.0,
            "details": {"load_seconds": load, "answers_seconds": answers, "history_films": len(history), "run": str(run_dir),
                        "threads": torch.get_num_threads()}}


BENCHMARKS = {"mf-throughput": bench_mf_throughput, "mf-fair-vs-svd": bench_mf_fair_vs_svd,
              "data-preparation": bench_data_preparation, "bst-throughput": bench_bst_throughput,
              "bst-precision": bench_bst_precision, "seq-throughput": bench_seq_throughput,
              "next-item-throughput": bench_next_item_throughput, "next-item-compile": bench_next_item_compile,
              "recommend-latency": bench_recommend_latency}


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
        result |= {"passed": bool(result["passed"]), "wall_seconds": round(time.perf_counter() - start, 1),  # numpy's bool is not JSON's
                   **provenance(command=" ".join(["python benchmarks/run.py", *sys.argv[1:]]))}
        results[name] = result
        print(f"   project {result['project']:,.2f}  reference {result['reference']:,.2f}  ratio {result['ratio']:.2f}x  "
              f"goal {result['goal']}: {'met' if result['passed'] else 'NOT met'}", flush=True)
        print(f"   {json.dumps(result['details'])}", flush=True)
        write_atomic(results_path, json.dumps(results, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
