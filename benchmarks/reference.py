"""Reference implementations the benchmarks time the project against: the study's way of doing each job.

These are deliberately written the way the study wrote them (one pandas row per sample, Python loops over ratings,
the python engine for parsing); `run.py` times them side by side with the project.
"""
import time
from pathlib import Path

import pandas as pd
import torch


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


def _train_svd(train):
    "Surprise's SVD with its defaults, from the raw frame to a trained model."
    from surprise import SVD, Dataset, Reader
    trainset = Dataset.load_from_df(train[["user_id", "movie_id", "rating"]], Reader(rating_scale=(1, 5))).build_full_trainset()
    svd = SVD(random_state=0)
    svd.fit(trainset)
    return svd


def _study_style_windows(values, size=10, pad=0):
    "The study's windowing: a Python loop building one padded tuple per rating."
    windows = []
    for i in range(len(values)):
        window = list(values[max(0, i - size + 1):i + 1])
        windows.append(tuple([pad] * (size - len(window)) + window))
    return windows


def _study_style_preparation(folder: Path):
    "The study's data preparation: python-engine reads, a merge with movies, an unstable sort by time, per-user lists, tuple windows."
    ratings = pd.read_csv(folder/"ratings.dat", sep="::", engine="python", names=["user_id", "movie_id", "rating", "unix_timestamp"])
    movies = pd.read_csv(folder/"movies.dat", sep="::", engine="python", encoding="latin-1", names=["movie_id", "title", "genres"])
    users = pd.read_csv(folder/"users.dat", sep="::", engine="python", names=["user_id", "sex", "age_group", "occupation", "zip_code"])
    ratings = ratings.merge(movies, on="movie_id").sort_values("unix_timestamp")
    start = time.perf_counter()
    grouped = ratings.groupby("user_id")
    frame = pd.DataFrame({"user_id": list(grouped.groups), "movie_ids": grouped.movie_id.apply(list).to_numpy(),
                          "ratings": grouped.rating.apply(list).to_numpy()})
    frame["movie_windows"] = frame.movie_ids.apply(_study_style_windows)
    frame["rating_windows"] = frame.ratings.apply(_study_style_windows)
    rows = frame[["user_id", "movie_windows", "rating_windows"]].explode(["movie_windows", "rating_windows"], ignore_index=True)
    is_last = ~rows.user_id.duplicated(keep="last")
    train, valid = rows[~is_last], rows[is_last]
    return {"sequences_seconds": time.perf_counter() - start, "train": len(train), "valid": len(valid), "users": len(users)}


class RowPerSampleWindows(torch.utils.data.Dataset):
    "The study's BST dataset: one pandas row of tuple columns per sample, converted to tensors in __getitem__."
    def __init__(self, frame): self.frame = frame.reset_index(drop=True)
    def __len__(self): return len(self.frame)
    def __getitem__(self, i):
        row = self.frame.iloc[i]
        return (torch.tensor(row.user), torch.tensor(row.movies), torch.tensor(row.history), torch.tensor(row.features),
                torch.tensor(row.rating, dtype=torch.float32))


class PlainNextItem(torch.nn.Module):
    "A next-movie transformer as it is usually written: `nn.TransformerEncoder` with a causal mask over padded chunks, scores at every position."
    def __init__(self, n_movies, length=200, d_model=64, n_heads=2, n_layers=2, ff_dim=256, dropout=0.2):
        super().__init__()
        self.movie = torch.nn.Embedding(n_movies, d_model, padding_idx=0)
        self.rating = torch.nn.Embedding(6, d_model, padding_idx=0)
        self.position = torch.nn.Embedding(length, d_model)
        layer = torch.nn.TransformerEncoderLayer(d_model, n_heads, ff_dim, dropout, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm, self.dropout = torch.nn.LayerNorm(d_model), torch.nn.Dropout(dropout)
        self.bias = torch.nn.Parameter(torch.zeros(n_movies))
        self.register_buffer("mask", torch.nn.Transformer.generate_square_subsequent_mask(length))

    def forward(self, prev_movies, prev_ratings):
        x = self.dropout(self.movie(prev_movies) + self.rating(prev_ratings) + self.position.weight)
        return self.norm(self.encoder(x, mask=self.mask, is_causal=True)) @ self.movie.weight.T + self.bias


def _plain_next_item_steps(chunks, n_movies, batch_size, steps, lr=0.004):
    "Rated positions per second over `steps` batches of padded chunks in random order: fp32, full cross-entropy at the rated positions."
    movies, prev_movies, prev_ratings = chunks.inputs[1:4]
    model = PlainNextItem(n_movies, length=prev_movies.shape[1])
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    order, positions = torch.randperm(len(chunks)), 0
    start = time.perf_counter()
    for batch in order.split(batch_size)[:steps]:
        scores, rated = model(prev_movies[batch], prev_ratings[batch].long()), chunks.ratings[batch] > 0
        loss = torch.nn.functional.cross_entropy(scores[rated], movies[batch][rated])
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        positions += int(rated.sum())
    return positions / (time.perf_counter() - start)
