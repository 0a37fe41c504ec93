"""Build a WordPiece vocabulary (the `tokenizer` section of format v1) from training text.

Words come from the reference basic tokenizer (attn_tokenizer.basic_tokenize), so the vocabulary matches what
the tokenizer will look up. Order (ids), deterministic for the same input:
  1. special tokens: [PAD] (id 0), [UNK] (id 1);
  2. words seen at least min_count times, most frequent first (ties by code point order), at most max_words;
  3. every single character seen, as itself and as ##c, in code point order (so any word made of seen
     characters tokenizes without [UNK]);
  4. continuation pieces ##s, ##ing, ...: suffixes of length 1..6 of the words left out in step 2, counted
     by word frequency, kept when seen at least min_piece_count times, most frequent first, at most max_pieces.
     Greedy WordPiece then splits a rare word into a known word prefix plus a known ending where it can.
"""
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attn_tokenizer import basic_tokenize  # noqa: E402

PAD, UNK = '[PAD]', '[UNK]'
PREFIX = '##'

TOKENIZER_OPTIONS = {
    'kind': 'wordpiece',
    'lowercase': True,
    'strip_accents': True,
    'split_cjk': True,
    'continuation_prefix': PREFIX,
    'max_word_chars': 100,
    'special_tokens': {'pad': PAD, 'unk': UNK},
}


def count_words(texts):
    counts = Counter()
    for text in texts:
        counts.update(basic_tokenize(text, TOKENIZER_OPTIONS['lowercase'], TOKENIZER_OPTIONS['strip_accents'],
                                     TOKENIZER_OPTIONS['split_cjk']))
    return counts


def build_vocab(texts, min_count=1, max_words=None, max_suffix_len=6, min_piece_count=20, max_pieces=1000):
    """texts: iterable of str -> list of vocabulary entries (index = id)."""
    counts = count_words(texts)
    by_freq = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    words = [w for w, c in by_freq if c >= min_count and len(w) <= TOKENIZER_OPTIONS['max_word_chars']]
    if max_words is not None:
        words = words[:max_words]

    vocab = [PAD, UNK]
    seen = set(vocab)

    def add(token):
        if token not in seen:
            seen.add(token)
            vocab.append(token)

    for w in words:
        add(w)
    chars = sorted({c for w in counts for c in w})
    for c in chars:
        add(c)
    for c in chars:
        add(PREFIX + c)

    pieces = Counter()
    kept = set(words)
    for w, c in counts.items():
        if w in kept:
            continue
        for n in range(2, min(max_suffix_len, len(w) - 1) + 1):  # proper suffixes; length 1 is covered by ##c
            pieces[PREFIX + w[-n:]] += c
    ranked = sorted(((p, c) for p, c in pieces.items() if c >= min_piece_count and p not in seen),
                    key=lambda kv: (-kv[1], kv[0]))
    for p, _ in ranked[:max_pieces]:
        add(p)
    return vocab


def tokenizer_spec(vocab):
    """The format-v1 `tokenizer` object for a vocabulary list."""
    spec = dict(TOKENIZER_OPTIONS)
    spec['special_tokens'] = dict(TOKENIZER_OPTIONS['special_tokens'])
    spec['vocab'] = list(vocab)
    return spec
