"""Cross-fitting folds of data without timestamps that keep near-duplicates together.

Paraphrase-heavy data ("my card has not arrived" / "my card still hasn't arrived") makes a random
held-out split optimistic: a paraphrase of every held-out case sits in the training part. So the
cases are grouped first, and a group never straddles two folds.

Grouping: MinHash over each text's set of word 1- and 2-grams (scikit-learn's HashingVectorizer
hashes them, numpy computes the signatures), with locality-sensitive banding: two texts become
candidates when all rows of one band of their signatures agree, which happens with probability
0.80 at Jaccard similarity 0.6, above 0.99 at 0.75 and 0.05 at 0.3 (20 bands of 5 rows), and the
whole signature confirms the link (estimated Jaccard >= 0.6): without that check, chains of weak
matches merged 15,716 of 30,000 synthetic cases into one group. Groups are the connected
components of the links. On BANKING77's 10,003 queries: 8,448 groups, the largest of 22 (all
"extra fee on my statement" variants), 1-5 s on this machine depending on its load.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import HashingVectorizer

BANDS, ROWS = 20, 5  # MinHash signature: BANDS x ROWS hash functions
MIN_SIMILARITY = 0.6  # estimated Jaccard similarity (share of equal signature values) that links two texts
_PRIME = (1 << 31) - 1
_CHUNK = 200_000  # shingles hashed per numpy pass, to bound memory


@dataclass(frozen=True)
class Grouping:
    """A group id per text and a description of how the groups were made (for the manifest)."""

    groups: np.ndarray

    def describe(self) -> dict:
        sizes = np.bincount(self.groups)
        return {
            "near_duplicates": f"MinHash of word 1-2-grams, {BANDS}x{ROWS} bands, Jaccard >= {MIN_SIMILARITY}",
            "groups": len(sizes),
            "largest_group": int(sizes.max(initial=0)),
            "cases_in_shared_groups": int(sizes[sizes > 1].sum()),
        }


def near_duplicate_groups(texts: Sequence[str], seed: int = 0) -> Grouping:
    """Group ids (0..groups-1) such that near-duplicate texts share one."""
    n = len(texts)
    if n == 0:
        return Grouping(np.zeros(0, dtype=np.int64))
    shingles = HashingVectorizer(
        ngram_range=(1, 2), n_features=1 << 30, binary=True, norm=None, alternate_sign=False, lowercase=True
    ).transform(texts)
    shingles.sort_indices()
    signatures = _minhash(shingles.indptr, shingles.indices.astype(np.int64), n, seed)
    sources, targets = [], []
    for band in range(BANDS):
        _, bucket = np.unique(signatures[:, band * ROWS : (band + 1) * ROWS], axis=0, return_inverse=True)
        bucket = bucket.ravel()
        first = np.full(bucket.max() + 1, -1, dtype=np.int64)
        first[bucket[::-1]] = np.arange(n)[::-1]  # each bucket's first member
        leader = first[bucket]
        # Banding proposes; the whole signature confirms, so that chains of weak matches do not merge.
        agree = (signatures == signatures[leader]).mean(axis=1) >= MIN_SIMILARITY
        sources.append(np.flatnonzero(agree))
        targets.append(leader[agree])
    rows, cols = np.concatenate(sources), np.concatenate(targets)
    graph = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, groups = connected_components(graph, directed=False)
    return Grouping(groups.astype(np.int64))


def _minhash(indptr: np.ndarray, hashes: np.ndarray, n: int, seed: int) -> np.ndarray:
    """(n, BANDS * ROWS) MinHash signatures; a text without shingles gets its own unique signature."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, _PRIME, size=BANDS * ROWS, dtype=np.int64)
    b = rng.integers(0, _PRIME, size=BANDS * ROWS, dtype=np.int64)
    values = np.empty((len(hashes), BANDS * ROWS), dtype=np.int64)
    h = hashes % _PRIME
    for start in range(0, len(h), _CHUNK):  # (a * h + b) mod p stays below 2^62: no overflow
        values[start : start + _CHUNK] = (h[start : start + _CHUNK, None] * a + b) % _PRIME
    signatures = np.empty((n, BANDS * ROWS), dtype=np.int64)
    lengths = np.diff(indptr)
    has = lengths > 0
    if len(hashes):
        signatures[has] = np.minimum.reduceat(values, indptr[:-1][has], axis=0)
    signatures[~has] = _PRIME + np.arange(n)[~has, None]  # never equal to another text's
    return signatures


def assign_folds(groups: np.ndarray, sizes: Sequence[int], seed: int) -> list[np.ndarray]:
    """Split the cases into folds of about `sizes` cases each (indices into `groups`, sorted), never
    splitting a group: groups are dealt in random order, largest first, each to the fold furthest
    below its size."""
    n_groups = int(groups.max(initial=-1)) + 1
    counts = np.bincount(groups, minlength=n_groups)
    fold_of_group = np.full(n_groups, -1, dtype=np.int64)
    shuffled = np.random.default_rng(seed).permutation(n_groups)
    by_size = shuffled[np.argsort(-counts[shuffled], kind="stable")]
    # (share of the fold's size filled, fold); a fold of size 0 (no test split) gets no group.
    heap = [(0.0, k) for k in range(len(sizes)) if sizes[k] > 0]
    filled = [0] * len(sizes)
    for g in by_size:
        _, k = heapq.heappop(heap)
        fold_of_group[g] = k
        filled[k] += int(counts[g])
        heapq.heappush(heap, (filled[k] / max(sizes[k], 1), k))
    case_fold = fold_of_group[groups]
    return [np.flatnonzero(case_fold == k) for k in range(len(sizes))]
