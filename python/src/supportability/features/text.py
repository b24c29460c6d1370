"""Text features: word n-grams plus optional character n-grams, TF-IDF weighted.

One implementation serves training and prediction, a batch of texts or one text alike, so the
features can never drift apart between the two. Per text it costs one regex call, a few list
operations and a C-level pass of dictionary look-ups; counting, weighting and normalisation are a
few numpy calls for the whole batch. No scikit-learn or pandas in that path.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import scipy.sparse as sp

_TOKEN = re.compile(r"\w+|[!?]+")
WORD_PREFIX, CHAR_PREFIX = "token:", "chars:"  # of feature names, e.g. "token:payout failed"


@dataclass
class TextFeaturizer:
    """Maps a text to a sparse vector. Fit it with `fit`, then use `transform` / `transform_one`.

    Word n-grams are named "token:<n-gram>", character n-grams "chars:<n-gram>". Each block is
    weighted by tf (or 1 + log tf) times idf (or 1), and scaled to unit length when `normalize` is on
    (the two blocks are then concatenated, each contributing length 1).
    """

    word_ngrams: int = 2  # longest word n-gram
    char_ngrams: tuple[int, int] | None = None  # (shortest, longest) char n-gram within words, or None
    min_df: int = 2
    normalize: bool = True
    sublinear_tf: bool = True  # 1 + log(tf) instead of tf
    use_idf: bool = True
    vocabulary: dict[str, int] | None = None
    idf: np.ndarray | None = None
    n_word_features: int = 0  # the word block comes first, then the char block

    def __post_init__(self) -> None:
        self._index_vocabulary()

    def _index_vocabulary(self) -> None:
        # Column look-ups keyed by the bare n-gram, one dict per block, so prediction never builds
        # the prefixed feature name of every n-gram it meets.
        self._word_index: dict[str, int] = {}
        self._char_index: dict[str, int] = {}
        for name, k in (self.vocabulary or {}).items():
            if name.startswith(WORD_PREFIX):
                self._word_index[name[len(WORD_PREFIX) :]] = k
            else:
                self._char_index[name[len(CHAR_PREFIX) :]] = k

    def analyze(self, text: str) -> tuple[list[str], list[str]]:
        """The word and character n-grams of a text (without their name prefixes), with repeats."""
        tokens = _TOKEN.findall(text.lower())
        words = list(tokens)
        for n in range(2, self.word_ngrams + 1):
            words += map(" ".join, zip(*(tokens[k:] for k in range(n)), strict=False))
        chars: list[str] = []
        if self.char_ngrams:
            low, high = self.char_ngrams
            for token in tokens:
                padded = f" {token} "
                for n in range(low, min(high, len(padded)) + 1):
                    chars += [padded[k : k + n] for k in range(len(padded) - n + 1)]
        return words, chars

    def fit(self, texts: Iterable[str]) -> TextFeaturizer:
        word_df: Counter[str] = Counter()
        char_df: Counter[str] = Counter()
        n_docs = 0
        for text in texts:
            words, chars = self.analyze(text)
            word_df.update(set(words))
            char_df.update(set(chars))
            n_docs += 1
        word_vocab = sorted(g for g, df in word_df.items() if df >= self.min_df)
        char_vocab = sorted(g for g, df in char_df.items() if df >= self.min_df)
        names = [WORD_PREFIX + g for g in word_vocab] + [CHAR_PREFIX + g for g in char_vocab]
        self.vocabulary = {name: k for k, name in enumerate(names)}
        self.n_word_features = len(word_vocab)
        self._index_vocabulary()
        df = np.array([word_df[g] for g in word_vocab] + [char_df[g] for g in char_vocab], dtype=float)
        self.idf = np.log((1 + n_docs) / (1 + df)) + 1.0 if self.use_idf else np.ones(len(df))  # sklearn's smooth idf
        return self

    @property
    def n_features(self) -> int:
        return len(self.vocabulary or ())

    def feature_names(self) -> list[str]:
        names = [""] * self.n_features
        for name, k in (self.vocabulary or {}).items():
            names[k] = name
        return names

    def csr_parts(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr, column indices, values) of the texts' vectors: a CSR matrix's arrays, each column
        at most once per row (in no particular order within a row)."""
        assert self.vocabulary is not None and self.idf is not None, "fit the featurizer first"
        word_column, char_column = self._word_index.get, self._char_index.get
        columns: list[int] = []  # every n-gram occurrence's column, -1 if out of vocabulary
        ends: list[int] = []
        for text in texts:
            words, chars = self.analyze(text)
            columns += map(word_column, words, repeat(-1))
            columns += map(char_column, chars, repeat(-1))
            ends.append(len(columns))
        if len(texts) == 1:  # one text (the serving hot path): a dict count beats a dozen numpy calls
            tf = Counter(columns)
            tf.pop(-1, None)
            cols = np.fromiter(tf.keys(), dtype=np.int64, count=len(tf))
            counts = np.fromiter(tf.values(), dtype=float, count=len(tf))
            indptr = np.array([0, len(tf)], dtype=np.int64)
        else:  # a batch: one sort counts every (row, column) pair at once
            all_cols = np.array(columns, dtype=np.int64)
            known = all_cols >= 0
            all_rows = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(ends, prepend=0))
            keys = np.sort(all_rows[known] * self.n_features + all_cols[known])
            first = np.empty(len(keys), dtype=bool)
            first[:1] = True
            np.not_equal(keys[1:], keys[:-1], out=first[1:])
            starts = np.flatnonzero(first)
            counts = np.diff(starts, append=len(keys)).astype(float)
            rows, cols = np.divmod(keys[starts], self.n_features)
            indptr = np.searchsorted(rows, np.arange(len(texts) + 1))
        values = 1.0 + np.log(counts) if self.sublinear_tf else counts
        if self.use_idf:
            values *= self.idf[cols]
        if self.normalize:
            rows = np.repeat(np.arange(len(texts)), np.diff(indptr))
            block = 2 * rows + (cols >= self.n_word_features)  # (row, word or char block)
            norms = np.sqrt(np.bincount(block, weights=values * values, minlength=2 * len(texts)))
            values /= norms[block]
        return indptr, cols, values

    def transform_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(column indices, values) of one text's vector."""
        _, cols, values = self.csr_parts([text])
        return cols, values

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        indptr, cols, values = self.csr_parts(texts)
        return sp.csr_matrix((values, cols, indptr), shape=(len(texts), self.n_features))
