"""Text features: word n-grams plus optional character n-grams, TF-IDF weighted.

One implementation serves training (batch) and prediction (one case at a time), so the features
can never drift apart between the two. Prediction of one case is a few dictionary look-ups; no
scikit-learn or pandas in that path.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

_TOKEN = re.compile(r"\w+|[!?]+")


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

    def analyze(self, text: str) -> tuple[list[str], list[str]]:
        """The word and character n-grams of a text, with repeats."""
        tokens = _TOKEN.findall(text.lower())
        words = ["token:" + t for t in tokens]
        for n in range(2, self.word_ngrams + 1):
            words += ["token:" + " ".join(tokens[k:k + n]) for k in range(len(tokens) - n + 1)]
        chars: list[str] = []
        if self.char_ngrams:
            low, high = self.char_ngrams
            for token in tokens:
                padded = f" {token} "
                for n in range(low, min(high, len(padded)) + 1):
                    chars += ["chars:" + padded[k:k + n] for k in range(len(padded) - n + 1)]
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
        names = word_vocab + char_vocab
        self.vocabulary = {name: k for k, name in enumerate(names)}
        self.n_word_features = len(word_vocab)
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

    def transform_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(column indices, values) of one text's vector."""
        vocabulary, idf = self.vocabulary, self.idf
        assert vocabulary is not None and idf is not None, "fit the featurizer first"
        indices: list[int] = []
        values: list[float] = []
        for grams in self.analyze(text):
            counts = Counter(grams)
            start = len(indices)
            for gram, tf in counts.items():
                k = vocabulary.get(gram)
                if k is not None:
                    indices.append(k)
                    values.append(((1.0 + math.log(tf)) if self.sublinear_tf else tf) * idf[k])
            if self.normalize and len(values) > start:
                norm = math.sqrt(sum(v * v for v in values[start:]))
                values[start:] = [v / norm for v in values[start:]]
        return np.array(indices, dtype=np.int64), np.array(values)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        indptr = [0]
        all_indices: list[np.ndarray] = []
        all_values: list[np.ndarray] = []
        for text in texts:
            indices, values = self.transform_one(text)
            all_indices.append(indices)
            all_values.append(values)
            indptr.append(indptr[-1] + len(indices))
        matrix = sp.csr_matrix(
            (np.concatenate(all_values) if all_values else np.zeros(0),
             np.concatenate(all_indices) if all_indices else np.zeros(0, dtype=np.int64), indptr),
            shape=(len(texts), self.n_features),
        )
        matrix.sort_indices()
        return matrix
