"""Annoy indexes over item vectors, by cosine or by inner product, with a sidecar and recall checks.

Below `exact_below_items` items (IndexParams, default EXACT_SEARCH_BELOW) an index answers every
query by exact search over its stored vectors instead of Annoy's trees: at a small catalog that is
as fast, and its recall is 1.0 by construction. The Annoy file is still written (it stores the
vectors and keeps one file format), only its trees go unused.

Above it, search_k (nodes a query inspects) is chosen by measured recall per cost
(`choose_search_k`) and stored in the sidecar, so the tables and the recall check query alike.
Annoy releases the GIL while it searches, so `query_many(threads=...)` spreads a batch over cores.

Annoy 1.17.3's `dot` metric has a recall bug, so inner-product search uses the angular metric on
vectors with one extra dimension (Bachrach et al. 2014): items get sqrt(max_norm^2 - |x|^2), queries
get 0, so every item has the same norm and the angle to a query orders items by x . q.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import numpy as np
from annoy import AnnoyIndex

Metric = Literal["angular", "inner_product"]
METRICS: tuple[str, ...] = get_args(Metric)
# Annoy's default search_k (k * n_trees) inspects too few nodes for good recall; use ten times that.
SEARCH_K_PER_TREE_AND_RESULT = 10
SIDECAR_VERSION = 1
# Catalogs smaller than this are searched exactly (IndexParams.exact_below_items).
EXACT_SEARCH_BELOW = 5_000
EXACT_BLOCK_SCORES = 2**24  # scores held at once by exact_top_k: 64 MB of float32
# Queries per task of a threaded batch: large enough that scheduling is noise, small enough to
# keep both cores busy to the end of the batch.
QUERY_CHUNK = 256
# search_k values choose_search_k tries, as multiples of n_trees * k (Annoy's own default is 1x).
SEARCH_K_MULTIPLES = (2, 5, 10, 20, 50, 100)
# The pipeline's chooser aims this far above the recall check's threshold, on a sample of its own,
# so the check stays an independent measurement that sampling noise (about 0.005 at 500 queries)
# rarely fails.
CHOICE_MARGIN = 0.01
SIDECAR_KEYS = frozenset(
    {"metric", "dimension", "indexed_dimension", "n_items", "n_trees", "search_k", "seed"}
    | {"max_norm", "ann_bytes", "probe_sha256"}
)


@dataclass(frozen=True)
class IndexParams:
    """How an index is built; search_k None queries with the default (see AnnIndex.search_k)."""

    n_trees: int = 50
    search_k: int | None = None
    seed: int = 7
    exact_below_items: int = EXACT_SEARCH_BELOW


@dataclass(frozen=True)
class RecallCheck:
    """An index must find at least `min_recall` of the exact top k of its own items (sampled)."""

    k: int = 10
    min_recall: float = 0.95
    sample: int = 500
    seed: int = 7


@dataclass
class AnnIndex:
    """An Annoy index whose items are identified by `ids` (row i of the index is item ids[i])."""

    annoy: AnnoyIndex
    ids: np.ndarray
    metric: Metric
    dimension: int
    n_trees: int
    seed: int
    search_k: int | None = None  # None: n_trees * k * SEARCH_K_PER_TREE_AND_RESULT per query
    max_norm: float = 0.0  # the inner-product transform's M; unused for angular
    exact_below_items: int = 0  # fewer items than this: queries search exactly (0: never)
    # How search_k was chosen (SearchKChoice.as_dict()), kept in the sidecar; None: not measured.
    search_choice: dict | None = None
    _positions: dict[int, int] | None = field(default=None, repr=False)
    _stored: np.ndarray | None = field(default=None, repr=False)  # vectors(), kept once read

    @property
    def exact(self) -> bool:
        """Whether queries are answered by exact search rather than by Annoy."""
        return len(self.ids) < self.exact_below_items

    @property
    def search_description(self) -> str:
        """How queries are answered, in words for metadata and logs."""
        if self.exact:
            return (
                f"exact search: {len(self.ids):,} items below the threshold of "
                f"{self.exact_below_items:,}"
            )
        search_k = "n_trees * k * 10" if self.search_k is None else f"{self.search_k:,}"
        return f"annoy: {self.n_trees} trees over {len(self.ids):,} items, search_k {search_k}"

    @property
    def indexed_dimension(self) -> int:
        return self.dimension + (1 if self.metric == "inner_product" else 0)

    def __len__(self) -> int:
        return len(self.ids)

    def vector(self, item_id: int) -> np.ndarray:
        """The item's original vector as stored in the index (float32)."""
        stored = self.annoy.get_item_vector(self._position(item_id))
        return np.asarray(stored[: self.dimension], dtype=np.float32)

    def vectors(self) -> np.ndarray:
        """Every item's original vector, in index order (row i is item ids[i])."""
        rows = [self.annoy.get_item_vector(row)[: self.dimension] for row in range(len(self.ids))]
        return np.asarray(rows, dtype=np.float32).reshape(len(self.ids), self.dimension)

    def vectors_of(self, item_ids: np.ndarray) -> np.ndarray:
        """The original vectors of `item_ids` (each must be indexed), in the order given."""
        rows = self.rows_of(item_ids)
        stored = [self.annoy.get_item_vector(int(row))[: self.dimension] for row in rows]
        return np.asarray(stored, dtype=np.float32).reshape(len(rows), self.dimension)

    def rows_of(self, item_ids: np.ndarray) -> np.ndarray:
        """Index rows of `item_ids`; raises KeyError naming the first id not indexed."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        order = np.argsort(self.ids, kind="stable")
        sorted_ids = self.ids[order]
        at = np.searchsorted(sorted_ids, item_ids)
        found = at < len(sorted_ids)
        found[found] = sorted_ids[at[found]] == item_ids[found]
        if not found.all():
            raise KeyError(f"item {int(item_ids[~found][0])} is not in the index")
        return order[at]

    def query(
        self, vector: np.ndarray, k: int, search_k: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Up to k (ids, scores), best first; scores are exact cosines or inner products."""
        q = np.asarray(vector, dtype=np.float32).ravel()
        if self.exact:
            ids, scores = self._exact_query(q[None, :], k)
            return ids[0], scores[0]
        if self.metric == "inner_product":
            q = np.append(q, np.float32(0.0))
        rows = self.annoy.get_nns_by_vector(q, k, search_k=self.search_k_for(k, search_k))
        if not rows:
            return np.empty(0, dtype=self.ids.dtype), np.empty(0, dtype=np.float32)
        # Rescore from the stored vectors: Annoy's distances are float32 angles, not our scores.
        stored = np.array([self.annoy.get_item_vector(r) for r in rows], dtype=np.float32)
        items, query = stored[:, : self.dimension], q[: self.dimension]
        scores = items @ query
        if self.metric == "angular":
            norms = np.linalg.norm(items, axis=1) * np.linalg.norm(query)
            scores = np.divide(scores, norms, out=np.zeros_like(scores), where=norms > 0)
        order = np.argsort(-scores, kind="stable")
        return self.ids[np.asarray(rows)[order]], scores[order]

    def query_many(
        self, vectors: np.ndarray, k: int, search_k: int | None = None, threads: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores), each (n, k); rows with fewer than k results pad ids -1 and scores NaN.

        With threads > 1 Annoy's searches run in chunks on a thread pool (it searches without the
        GIL); the rescoring after is the same, so the result equals the sequential one.
        """
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if self.exact:
            found_ids, found_scores = self._exact_query(vectors, k)
            ids = np.full((len(vectors), k), -1, dtype=np.int64)
            scores = np.full((len(vectors), k), np.nan, dtype=np.float32)
            ids[:, : found_ids.shape[1]], scores[:, : found_ids.shape[1]] = found_ids, found_scores
            return ids, scores
        annoy_queries = vectors
        if self.metric == "inner_product":
            annoy_queries = np.hstack([vectors, np.zeros((len(vectors), 1), dtype=np.float32)])
        nodes = self.search_k_for(k, search_k)
        rows = np.full((len(vectors), k), -1, dtype=np.int64)

        def search(start: int) -> None:
            # Annoy releases the GIL while it searches; each task writes its own rows.
            for i in range(start, min(start + QUERY_CHUNK, len(vectors))):
                found = self.annoy.get_nns_by_vector(annoy_queries[i], k, search_k=nodes)
                rows[i, : len(found)] = found

        starts = range(0, len(vectors), QUERY_CHUNK)
        if threads <= 1 or len(vectors) <= QUERY_CHUNK:
            for start in starts:
                search(start)
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(search, starts))  # list(): re-raises a worker's exception
        return self._rescore(vectors[:, : self.dimension], rows)

    def _rescore(self, queries: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of Annoy's rows, re-ranked by exact score from the stored vectors (Annoy's
        distances are float32 angles, not our scores); rows -1 (no result) come last, id -1."""
        stored = self._stored_vectors()
        ids = np.full(rows.shape, -1, dtype=np.int64)
        scores = np.full(rows.shape, np.nan, dtype=np.float32)
        # In blocks, so the gathered (queries, k, dimension) vectors stay small.
        block = max(1, EXACT_BLOCK_SCORES // max(rows.shape[1] * self.dimension, 1))
        for start in range(0, len(rows), block):
            part, query = rows[start : start + block], queries[start : start + block]
            found = part >= 0
            items = stored[np.where(found, part, 0)]
            score = np.einsum("nkd,nd->nk", items, query)
            if self.metric == "angular":
                norms = np.linalg.norm(items, axis=2) * np.linalg.norm(query, axis=1)[:, None]
                score = np.divide(score, norms, out=np.zeros_like(score), where=norms > 0)
            score = np.where(found, score, -np.inf)
            order = np.argsort(-score, axis=1, kind="stable")
            ranked = np.take_along_axis(part, order, axis=1)
            kept = ranked >= 0
            ids[start : start + block] = np.where(kept, self.ids[np.maximum(ranked, 0)], -1)
            ranked_scores = np.take_along_axis(score, order, axis=1)
            scores[start : start + block] = np.where(kept, ranked_scores, np.nan)
        return ids, scores

    def _stored_vectors(self) -> np.ndarray:
        """vectors(), read from the index once and kept (batch rescoring and exact search)."""
        if self._stored is None:
            self._stored = self.vectors()
        return self._stored

    def _exact_query(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores), each (n, min(k, items)): the exact top k under the index's metric."""
        queries = queries[:, : self.dimension]
        rows, scores = exact_top_k(self._stored_vectors(), queries, k, self.metric)
        return self.ids[rows], scores

    def similar_items(
        self, item_id: int, k: int, search_k: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k items closest to `item_id` under the index's metric, never the item itself."""
        # Under inner product an item need not be its own best match, so drop it by id, not by rank.
        found_ids, scores = self.query(self.vector(item_id), k + 1, search_k)
        keep = found_ids != item_id
        return found_ids[keep][:k], scores[keep][:k]

    def save(self, path: Path | str) -> None:
        """Write `<path>.ann`, `<path>.ids.npy` and the `<path>.json` sidecar describing both."""
        ann_file, ids_file, sidecar_file = index_files(path)
        self.annoy.save(str(ann_file))  # Annoy then memory-maps the saved file
        np.save(ids_file, self.ids)
        sidecar = {
            "format_version": SIDECAR_VERSION,
            "metric": self.metric,
            "annoy_metric": "angular",
            "dimension": self.dimension,
            "indexed_dimension": self.indexed_dimension,
            "n_items": len(self.ids),
            "n_trees": self.n_trees,
            "search_k": self.search_k,
            "search_k_default": f"n_trees * k * {SEARCH_K_PER_TREE_AND_RESULT}",
            "seed": self.seed,
            "max_norm": self.max_norm,
            "exact_below_items": self.exact_below_items,
            "search_k_choice": self.search_choice,
            "ids_file": ids_file.name,
            "ann_bytes": ann_file.stat().st_size,
            "probe_sha256": _probe_digest(self.annoy, len(self.ids)),
        }
        sidecar_file.write_text(json.dumps(sidecar, indent=2))

    @classmethod
    def load(cls, path: Path | str) -> AnnIndex:
        """Memory-map an index written by `save`; refuses files that don't match their sidecar."""
        ann_file, ids_file, sidecar_file = index_files(path)
        for file in (ann_file, ids_file, sidecar_file):
            if not file.is_file():
                raise FileNotFoundError(f"ANN index file {file} does not exist")
        meta = json.loads(sidecar_file.read_text())
        missing = SIDECAR_KEYS - meta.keys()
        if missing:
            raise ValueError(f"{sidecar_file} is not an ANN sidecar: it lacks {sorted(missing)}")
        metric, dimension = meta["metric"], int(meta["dimension"])
        expected_dim = dimension + (1 if metric == "inner_product" else 0)

        def refuse(why: str) -> ValueError:
            return ValueError(
                f"{ann_file} does not match its sidecar {sidecar_file} "
                f"(metric={metric}, dimension={dimension}): {why}"
            )

        if metric not in METRICS:
            raise refuse(f"unknown metric {metric!r}; expected one of {METRICS}")
        if int(meta["indexed_dimension"]) != expected_dim:
            raise refuse(f"indexed_dimension {meta['indexed_dimension']} != {expected_dim}")
        if ann_file.stat().st_size != meta["ann_bytes"]:
            raise refuse(f"file has {ann_file.stat().st_size} bytes, sidecar {meta['ann_bytes']}")
        annoy = AnnoyIndex(expected_dim, "angular")
        try:
            annoy.load(str(ann_file))
        except OSError as error:
            raise refuse(f"Annoy cannot read it as {expected_dim}-d angular ({error})") from error
        ids = np.load(ids_file)
        if not annoy.get_n_items() == len(ids) == meta["n_items"]:
            raise refuse(f"{annoy.get_n_items()} items, {len(ids)} ids, sidecar {meta['n_items']}")
        if _probe_digest(annoy, len(ids)) != meta["probe_sha256"]:
            raise refuse("stored vectors differ from those recorded (wrong dimension or file)")
        if metric == "inner_product" and not _has_transformed_norms(annoy, meta["max_norm"]):
            raise refuse(f"stored vectors do not all have norm max_norm={meta['max_norm']}")
        return cls(
            annoy=annoy,
            ids=ids,
            metric=metric,
            dimension=dimension,
            n_trees=int(meta["n_trees"]),
            seed=int(meta["seed"]),
            search_k=meta["search_k"],
            max_norm=float(meta["max_norm"]),
            exact_below_items=int(meta.get("exact_below_items", 0)),
            search_choice=meta.get("search_k_choice"),
        )

    def search_k_for(self, k: int, search_k: int | None = None) -> int:
        """Nodes a k-result query inspects: the argument, else the index's, else the default."""
        if search_k is not None:
            return search_k
        if self.search_k is not None:
            return self.search_k
        return self.n_trees * k * SEARCH_K_PER_TREE_AND_RESULT

    def _position(self, item_id: int) -> int:
        if self._positions is None:
            # Assigned whole, so concurrent queries never see a half-built map.
            self._positions = {int(i): row for row, i in enumerate(self.ids)}
        try:
            return self._positions[int(item_id)]
        except KeyError:
            raise KeyError(f"item {item_id} is not in the index") from None


def build_index(
    vectors: np.ndarray,
    ids: np.ndarray,
    metric: Metric,
    n_trees: int,
    seed: int,
    search_k: int | None = None,
    n_jobs: int = 1,
    progress: Callable[[str], None] | None = None,
    exact_below_items: int = 0,
) -> AnnIndex:
    """Build an Annoy index of `vectors` (row i is item ids[i]); n_jobs=1 keeps it reproducible.

    With fewer items than `exact_below_items`, the index answers queries by exact search.

    `progress` gets a line at each tenth of the items added and when the trees are built.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")
    vectors = np.asarray(vectors, dtype=np.float32)
    ids = np.asarray(ids, dtype=np.int64)
    if vectors.ndim != 2 or len(vectors) != len(ids):
        raise ValueError(f"need one vector per id: vectors {vectors.shape}, ids {ids.shape}")
    if len(np.unique(ids)) != len(ids):
        raise ValueError("ids must be unique")
    max_norm = 0.0
    items = vectors
    if metric == "inner_product":
        items, max_norm = inner_product_transform(vectors)
    annoy = AnnoyIndex(items.shape[1], "angular")
    annoy.set_seed(seed)
    report = progress or (lambda _line: None)
    tenth = max(1, len(items) // 10)
    started = time.perf_counter()
    for row, item in enumerate(items):
        annoy.add_item(row, item)
        if (row + 1) % tenth == 0 or row + 1 == len(items):
            report(
                f"added {row + 1:,}/{len(items):,} items ({time.perf_counter() - started:.1f} s)"
            )
    report(f"building {n_trees} trees")
    annoy.build(n_trees, n_jobs=n_jobs)
    report(f"built in {time.perf_counter() - started:.1f} s")
    return AnnIndex(
        annoy=annoy,
        ids=ids,
        metric=metric,
        dimension=vectors.shape[1],
        n_trees=n_trees,
        seed=seed,
        search_k=search_k,
        max_norm=max_norm,
        exact_below_items=exact_below_items,
    )


def inner_product_transform(vectors: np.ndarray) -> tuple[np.ndarray, float]:
    """Items with the extra coordinate sqrt(M^2 - |x|^2) appended, and M (the largest norm)."""
    norms_sq = np.einsum("ij,ij->i", vectors, vectors, dtype=np.float64)
    max_norm_sq = float(norms_sq.max()) if len(vectors) else 0.0
    extra = np.sqrt(np.maximum(max_norm_sq - norms_sq, 0.0))  # rounding may make it -epsilon
    return np.hstack([vectors, extra[:, None].astype(np.float32)]), float(np.sqrt(max_norm_sq))


def exact_top_k(
    vectors: np.ndarray, queries: np.ndarray, k: int, metric: Metric
) -> tuple[np.ndarray, np.ndarray]:
    """(row positions, scores), each (n_queries, k): the exact top k by cosine or inner product."""
    vectors = np.asarray(vectors, dtype=np.float32)
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    if metric == "angular":
        vectors, queries = _unit(vectors), _unit(queries)
    k = min(k, len(vectors))
    rows = np.empty((len(queries), k), dtype=np.int64)
    scores = np.empty((len(queries), k), dtype=np.float32)
    # Score blocks of queries so a large catalog never needs an n_queries x n_items matrix.
    block = max(1, EXACT_BLOCK_SCORES // max(len(vectors), 1))
    for start in range(0, len(queries), block):
        block_scores = queries[start : start + block] @ vectors.T
        top = np.argpartition(block_scores, -k, axis=1)[:, -k:]
        top_scores = np.take_along_axis(block_scores, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        rows[start : start + block] = np.take_along_axis(top, order, axis=1)
        scores[start : start + block] = np.take_along_axis(top_scores, order, axis=1)
    return rows, scores


def recall_at_k(
    index: AnnIndex,
    queries: np.ndarray,
    exact_vectors: np.ndarray,
    k: int,
    sample: int,
    seed: int,
    search_k: int | None = None,
    threads: int = 1,
) -> float:
    """Mean share of the exact top k that the index returns, over `sample` of the queries.

    `exact_vectors` are the indexed vectors in index order (row i is item index.ids[i]).
    """
    chosen = _sample_queries(queries, sample, seed)
    exact_ids = index.ids[exact_top_k(exact_vectors, chosen, k, index.metric)[0]]
    found, _ = index.query_many(chosen, k, search_k, threads)
    return _recall(found, exact_ids)


@dataclass(frozen=True)
class SearchKTrial:
    """One search_k measured: recall@k against exact search and seconds per query."""

    search_k: int
    recall: float
    seconds_per_query: float


@dataclass(frozen=True)
class SearchKChoice:
    """The cheapest search_k measured to reach `min_recall`, or the largest tried if none did."""

    search_k: int
    met: bool
    min_recall: float
    k: int
    sample: int
    seed: int
    threads: int
    trials: tuple[SearchKTrial, ...]

    @property
    def reason(self) -> str:
        chosen = next(t for t in self.trials if t.search_k == self.search_k)
        if self.met:
            return (
                f"search_k {self.search_k:,} is the cheapest tried with recall@{self.k} "
                f"{chosen.recall:.3f} >= {self.min_recall} ({chosen.seconds_per_query * 1e3:.2f} "
                "ms/query)"
            )
        return (
            f"no search_k tried reached recall@{self.k} {self.min_recall}: using the largest "
            f"tried, {self.search_k:,} (recall {chosen.recall:.3f})"
        )

    def as_dict(self) -> dict:
        return {
            "search_k": self.search_k,
            "met": self.met,
            "min_recall": self.min_recall,
            "k": self.k,
            "sample": self.sample,
            "seed": self.seed,
            "threads": self.threads,
            "reason": self.reason,
            "trials": [
                {
                    "search_k": t.search_k,
                    "recall": round(t.recall, 4),
                    "seconds_per_query": round(t.seconds_per_query, 6),
                }
                for t in self.trials
            ],
        }


def search_k_candidates(n_trees: int, k: int) -> tuple[int, ...]:
    """The search_k values choose_search_k tries by default: multiples of n_trees * k."""
    return tuple(n_trees * k * m for m in SEARCH_K_MULTIPLES)


def choose_search_k(
    index: AnnIndex,
    vectors: np.ndarray,
    k: int,
    min_recall: float,
    sample: int,
    seed: int,
    candidates: Sequence[int] | None = None,
    threads: int | None = None,
    measure_all: bool = False,
) -> SearchKChoice:
    """Measure recall@k against exact search and seconds per query for each candidate search_k
    (ascending), on `sample` of the index's own items as queries; choose the cheapest reaching
    `min_recall`, or the largest tried when none does (`met` False says so).

    Annoy's cost grows with search_k (the nodes it inspects), so the cheapest reaching the
    threshold is the smallest: measuring stops there unless `measure_all`. Seconds are reported,
    not compared, so the choice does not depend on the machine's load. `vectors` are the indexed
    vectors in index order.
    """
    if index.exact:
        raise ValueError(f"the index searches exactly ({index.search_description}): no search_k")
    tried = sorted(set(candidates or search_k_candidates(index.n_trees, k)))
    threads = threads or query_threads()
    chosen = _sample_queries(vectors, sample, seed)
    exact_ids = index.ids[exact_top_k(vectors, chosen, k, index.metric)[0]]
    index._stored_vectors()  # read once before timing, so the first trial does not pay for it
    trials: list[SearchKTrial] = []
    for search_k in tried:
        started = time.perf_counter()
        found, _ = index.query_many(chosen, k, search_k, threads)
        seconds = (time.perf_counter() - started) / len(chosen)
        trials.append(SearchKTrial(search_k, _recall(found, exact_ids), seconds))
        if trials[-1].recall >= min_recall and not measure_all:
            break
    meeting = [t for t in trials if t.recall >= min_recall]
    pick = meeting[0] if meeting else trials[-1]
    return SearchKChoice(
        pick.search_k, bool(meeting), min_recall, k, len(chosen), seed, threads, tuple(trials)
    )


def query_threads() -> int:
    """Threads for batch queries: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _sample_queries(queries: np.ndarray, sample: int, seed: int) -> np.ndarray:
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    rng = np.random.default_rng(seed)
    return queries[rng.choice(len(queries), size=min(sample, len(queries)), replace=False)]


def _recall(found: np.ndarray, exact_ids: np.ndarray) -> float:
    hits = [len(np.intersect1d(f[f >= 0], e)) for f, e in zip(found, exact_ids, strict=True)]
    return float(np.mean(hits) / exact_ids.shape[1])


def self_recall(index: AnnIndex, check: RecallCheck = RecallCheck()) -> float:
    """Recall@k of the index against exact search, its own items as the queries (1.0 without
    measuring when the index searches exactly)."""
    if index.exact:
        return 1.0
    vectors = index._stored_vectors()
    return recall_at_k(
        index, vectors, vectors, check.k, check.sample, check.seed, threads=query_threads()
    )


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def index_files(path: Path | str) -> tuple[Path, Path, Path]:
    """The files an index saved at `path` consists of: the Annoy trees, the ids, the sidecar."""
    return Path(f"{path}.ann"), Path(f"{path}.ids.npy"), Path(f"{path}.json")


def _probe_rows(n_items: int) -> list[int]:
    return sorted({0, n_items // 2, n_items - 1}) if n_items else []


def _has_transformed_norms(annoy: AnnoyIndex, max_norm: float) -> bool:
    """Inner-product items all have norm max_norm after the transform; angular items rarely do."""
    probe = [annoy.get_item_vector(r) for r in _probe_rows(annoy.get_n_items())]
    return bool(np.allclose(np.linalg.norm(probe, axis=1), max_norm, rtol=1e-3))


def _probe_digest(annoy: AnnoyIndex, n_items: int) -> str:
    """Hash of a few stored item vectors: reading the file with the wrong dimension changes them."""
    probe = np.array([annoy.get_item_vector(r) for r in _probe_rows(n_items)], dtype=np.float32)
    return hashlib.sha256(probe.tobytes()).hexdigest()
