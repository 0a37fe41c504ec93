"""The unlabelled pre-training corpus, its WordPiece vocabulary and its token ids.

Sources (read-only, never copied into the repository; `paths.data_root()` finds them):
  imdb/unsup.txt            50,000 unlabelled reviews
  imdb/train.tsv            the 25,000 training reviews' texts (their labels are not used)
  sst2/glue/train.tsv       GLUE SST-2 training phrases and sentences
Never a text any reported figure is measured on: IMDB test, Kim's SST-2 dev/test, MR, SMS. SST's sentences
come from the same Rotten Tomatoes snippets as MR, so every SST-2 text whose words are, or are a contiguous
part of, an MR sentence is dropped; so is every text equal to a Kim dev/test sentence.

Outputs, in the cache directory (`paths.pretrain_dir()`):
  corpus.txt        one text per line, IMDB's `<br />` line breaks turned into spaces
  corpus.json       what went in and what was dropped
  vocab.txt         one entry per line (index = id), built by vocab.build_vocab from the corpus, [MASK] included
  ids.npy, offsets.npy   every text's token ids (uint16), text i at ids[offsets[i]:offsets[i+1]]

  /usr/bin/python3 tools/corpus.py            # about ten minutes on two cores; skips the steps already done
"""
import argparse
import json
import os
import sys
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402
import paths  # noqa: E402
from attn_tokenizer import Tokenizer, basic_tokenize  # noqa: E402
from vocab import build_vocab, tokenizer_spec  # noqa: E402

MASK = '[MASK]'


def clean(text):
    return ' '.join(text.replace('<br />', ' ').replace('<br/>', ' ').split())


def words(text):
    return tuple(basic_tokenize(text))


def mr_spans(data):
    """Every contiguous word span of every MR sentence, as tuples of basic-tokenizer words."""
    spans = set()
    for name in ('rt-polarity.pos', 'rt-polarity.neg'):
        with open(os.path.join(data, 'mr', name), encoding='utf-8', errors='replace') as f:
            for line in f:
                w = words(datasets.normalise(line))
                for i in range(len(w)):
                    for j in range(i + 1, len(w) + 1):
                        spans.add(w[i:j])
    return spans


def build_corpus(data):
    """-> (texts, stats)."""
    texts, stats = [], {}
    with open(os.path.join(data, 'imdb', 'unsup.txt'), encoding='utf-8') as f:
        unsup = [clean(line) for line in f]
    texts += [t for t in unsup if t]
    stats['imdb_unsup'] = len(texts)
    with open(os.path.join(data, 'imdb', 'train.tsv'), encoding='utf-8') as f:
        next(f)
        train = [clean(line.rstrip('\n').split('\t', 3)[3]) for line in f]
    texts += [t for t in train if t]
    stats['imdb_train_texts'] = len(train)

    held_out = set()
    for name in ('stsa.binary.dev', 'stsa.binary.test'):
        held_out |= {t for t, _ in datasets.read_rows(os.path.join(data, 'sst2', 'kim2014', name),
                                                        'label-space-text')}
    spans = mr_spans(data)
    sst = [t for t, _ in datasets.read_rows(os.path.join(data, 'sst2', 'glue', 'train.tsv'), 'text-tab-label')]
    kept = [t for t in dict.fromkeys(sst) if t not in held_out and words(t) not in spans]
    stats['sst2_train_texts'] = len(sst)
    stats['sst2_unique'] = len(set(sst))
    stats['sst2_kept_not_in_mr_or_kim_held_out'] = len(kept)
    texts += kept
    stats['texts'] = len(texts)
    return texts, stats


_tokenizer = None


def _init(vocab):
    global _tokenizer
    _tokenizer = Tokenizer(tokenizer_spec(vocab))


def _encode(text):
    return _tokenizer.encode(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out-dir', default=paths.pretrain_dir())
    ap.add_argument('--max-words', type=int, default=7000, help='vocabulary: most whole words')
    ap.add_argument('--max-pieces', type=int, default=800, help='vocabulary: most word endings')
    ap.add_argument('--processes', type=int, default=2)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    data = paths.data_root()
    corpus_path = os.path.join(args.out_dir, 'corpus.txt')
    if not os.path.exists(corpus_path):
        texts, stats = build_corpus(data)
        with open(corpus_path + '.tmp', 'w', encoding='utf-8') as f:
            f.writelines(t + '\n' for t in texts)
        os.replace(corpus_path + '.tmp', corpus_path)
        with open(os.path.join(args.out_dir, 'corpus.json'), 'w', encoding='utf-8') as f:
            json.dump(stats, f, indent=1)
        print(f'corpus: {stats}', flush=True)
    with open(corpus_path, encoding='utf-8') as f:
        texts = [line.rstrip('\n') for line in f]

    vocab_path = os.path.join(args.out_dir, 'vocab.txt')
    if not os.path.exists(vocab_path):
        vocab = build_vocab(texts, max_words=args.max_words, max_pieces=args.max_pieces)
        vocab.insert(2, MASK)
        with open(vocab_path + '.tmp', 'w', encoding='utf-8') as f:
            f.writelines(v + '\n' for v in vocab)
        os.replace(vocab_path + '.tmp', vocab_path)
        print(f'vocab: {len(vocab)} entries', flush=True)
    vocab = read_vocab(vocab_path)

    ids_path = os.path.join(args.out_dir, 'ids.npy')
    if not os.path.exists(ids_path):
        with Pool(args.processes, initializer=_init, initargs=(vocab,)) as pool:
            encoded = pool.map(_encode, texts, chunksize=500)
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(e) for e in encoded])
        ids = np.fromiter((i for e in encoded for i in e), dtype=np.uint16, count=int(offsets[-1]))
        np.save(os.path.join(args.out_dir, 'offsets.npy'), offsets)
        np.save(ids_path + '.tmp.npy', ids)
        os.replace(ids_path + '.tmp.npy', ids_path)
        unk = int((ids == vocab.index('[UNK]')).sum())
        print(f'ids: {len(ids)} tokens in {len(texts)} texts, {unk} [UNK]', flush=True)


def read_vocab(path):
    with open(path, encoding='utf-8') as f:
        return [line.rstrip('\n') for line in f]


if __name__ == '__main__':
    main()
