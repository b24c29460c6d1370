"""Fitted featurizers as JSON + arrays (no pickle), for the model kinds that read text the same way."""

from __future__ import annotations

from typing import Any

import numpy as np

from supportability.features.context import ContextEncoder
from supportability.features.text import TextFeaturizer


def dump_context(context: ContextEncoder, arrays: dict[str, np.ndarray]) -> dict:
    """The JSON-able description of the context encoder; its arrays go into `arrays`."""
    assert context.mean is not None and context.scale is not None, "fit the encoder first"
    arrays.update({"context.mean": context.mean, "context.scale": context.scale})
    return {
        "context": {"categories": context.categories, "extra_numeric": context.extra_numeric, "names": context.names}
    }


def load_context(state: dict, arrays: Any) -> ContextEncoder:
    cs = state["context"]
    return ContextEncoder(
        categories=cs["categories"],
        extra_numeric=cs["extra_numeric"],
        mean=arrays["context.mean"],
        scale=arrays["context.scale"],
        names=cs["names"],
    )


def dump_features(featurizer: TextFeaturizer, context: ContextEncoder, arrays: dict[str, np.ndarray]) -> dict:
    """The JSON-able description of both featurizers; their arrays go into `arrays`."""
    assert featurizer.idf is not None, "fit the featurizer first"
    arrays["idf"] = featurizer.idf
    f = featurizer
    return {
        "featurizer": {
            "word_ngrams": f.word_ngrams,
            "char_ngrams": f.char_ngrams,
            "min_df": f.min_df,
            "normalize": f.normalize,
            "sublinear_tf": f.sublinear_tf,
            "use_idf": f.use_idf,
            "n_word_features": f.n_word_features,
            "vocabulary": f.feature_names(),
        },
        **dump_context(context, arrays),
    }


def load_features(state: dict, arrays: Any) -> tuple[TextFeaturizer, ContextEncoder]:
    fs = state["featurizer"]
    featurizer = TextFeaturizer(
        word_ngrams=fs["word_ngrams"],
        char_ngrams=tuple(fs["char_ngrams"]) if fs["char_ngrams"] else None,
        min_df=fs["min_df"],
        normalize=fs["normalize"],
        sublinear_tf=fs["sublinear_tf"],
        use_idf=fs["use_idf"],
        vocabulary={name: k for k, name in enumerate(fs["vocabulary"])},
        idf=arrays["idf"],
        n_word_features=fs["n_word_features"],
    )
    return featurizer, load_context(state, arrays)


def text_and_context_schema(featurizer: TextFeaturizer, context: ContextEncoder) -> dict:
    """The registry manifest's feature schema of a model that reads text through `featurizer`."""
    return {
        "text": {
            "word_ngrams": featurizer.word_ngrams,
            "char_ngrams": featurizer.char_ngrams,
            "features": featurizer.n_features,
        },
        "context": context.names,
    }
