"""Post titles and bodies drawn mostly from the creator's topic vocabulary, as Arrow strings."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from recsys.datagen.vocabulary import FILLER_WORDS, TOPIC_WORDS

MAIN_TOPIC_SHARE = 0.80
OTHER_TOPIC_SHARE = 0.07
TITLE_WORDS = (4, 8)
BODY_WORDS = (30, 80)

_TOPIC_VOCABS = [words.split() for words in TOPIC_WORDS.values()]
_VOCAB = pa.array([word for vocab in _TOPIC_VOCABS for word in vocab] + list(FILLER_WORDS))
_VOCAB_SIZE = np.array([len(vocab) for vocab in _TOPIC_VOCABS])
_VOCAB_OFFSET = np.concatenate([[0], np.cumsum(_VOCAB_SIZE)[:-1]])
_FILLER_OFFSET = int(_VOCAB_SIZE.sum())


def _word_lists(topic: np.ndarray, lengths: tuple[int, int], rng: np.random.Generator) -> pa.Array:
    """One list of words per item: main topic words, some other topics' words, some filler."""
    n_words = rng.integers(lengths[0], lengths[1] + 1, len(topic))
    owner_topic = np.repeat(topic, n_words)
    draw = rng.random(len(owner_topic))
    other_topic = rng.integers(0, len(_VOCAB_SIZE), len(owner_topic))
    source = np.where(draw < MAIN_TOPIC_SHARE, owner_topic, other_topic)
    topic_word = _VOCAB_OFFSET[source] + (rng.random(len(source)) * _VOCAB_SIZE[source]).astype(
        np.int64
    )
    filler_word = _FILLER_OFFSET + rng.integers(0, len(FILLER_WORDS), len(source))
    word = np.where(draw < MAIN_TOPIC_SHARE + OTHER_TOPIC_SHARE, topic_word, filler_word)
    offsets = pa.array(np.concatenate([[0], np.cumsum(n_words)]).astype(np.int32))
    return pa.ListArray.from_arrays(offsets, _VOCAB.take(pa.array(word)))


def titles(topic: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Capitalised 4-8 word titles, e.g. 'Sourdough garlic the simmer recipe'."""
    return pc.utf8_capitalize(pc.binary_join(_word_lists(topic, TITLE_WORDS, rng), " "))


def bodies(topic: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """30-80 word bodies ending with a full stop."""
    sentence = pc.utf8_capitalize(pc.binary_join(_word_lists(topic, BODY_WORDS, rng), " "))
    return pc.binary_join_element_wise(sentence, pa.scalar("."), "")
