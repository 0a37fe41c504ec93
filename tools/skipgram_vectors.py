"""fastText skipgram vectors on the pre-training corpus: the cheap alternative to masked-LM pre-training.

Two kinds, both trained by Debian's `fasttext skipgram` (dim 128, 5 epochs, one thread, so a rerun gives the
same vectors) on `corpus.txt` in the pre-training directory (`paths.pretrain_dir()`, written by tools/corpus.py),
without character n-grams (-maxn 0): only whole-token vectors are used below, and the n-grams make training
about twice as slow on this 2-core machine.

  words    the corpus split into lowercase words by the reference basic tokenizer, the same words that
           tools/fasttext_baseline.py feeds `fasttext supervised`; minCount 5 (fastText's default).
           -> skipgram-words.vec, for `fasttext supervised -dim 128 -pretrainedVectors`.
  pieces   the corpus split into attn's WordPiece pieces (vocab.txt), minCount 1.
           -> skipgram-pieces.npy: float32 [len(vocab), 128], row i
           the vector of vocabulary entry i, zeros for entries fastText never saw ([PAD], [MASK], ...). It lets
           tools/train.py start its embeddings from skipgram vectors: the ablation without masked-LM.

  nice -n 10 /usr/bin/python3 tools/skipgram_vectors.py pieces     # waits for vocab.txt if it is being built
  nice -n 10 /usr/bin/python3 tools/skipgram_vectors.py words
Each output is kept in the pre-training directory and not rebuilt when it exists (--force rebuilds it).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
import paths  # noqa: E402
from attn_tokenizer import basic_tokenize  # noqa: E402

FASTTEXT = '/usr/bin/fasttext'
DIM = 128


def skipgram(text_path, out_prefix, *options):
    """Trains `fasttext skipgram` on a space-separated text file; keeps out_prefix.vec, drops the .bin (the
    input and output matrices: not needed by anything here)."""
    start = time.time()
    subprocess.run([FASTTEXT, 'skipgram', '-input', text_path, '-output', out_prefix, '-dim', str(DIM),
                    '-epoch', '5', '-thread', '1', '-minn', '0', '-maxn', '0', '-verbose', '1', *options], check=True)
    os.remove(out_prefix + '.bin')
    print(f'{out_prefix}.vec: {time.time() - start:.0f} s', flush=True)


def read_vec(path):
    """fastText's text vectors -> {word: float32 vector}. A word never holds a space, so the last DIM fields
    are the vector and the rest of the line is the word."""
    vectors = {}
    with open(path, encoding='utf-8', errors='surrogateescape') as f:
        next(f)  # "count dim"
        for line in f:
            fields = line.rstrip('\n').rstrip(' ').split(' ')
            vectors[' '.join(fields[:-DIM])] = np.array(fields[-DIM:], dtype=np.float32)
    return vectors


def _words(line):
    return ' '.join(basic_tokenize(line)) + '\n'


def _pieces(line):
    return ' '.join(corpus._tokenizer.tokenize(line)) + '\n'


def write_tokenized(corpus_path, out_path, tokenize, vocab=None):
    """Tokenizes every corpus line on two processes (the pure-Python tokenizer is the slow part) and writes the
    tokens space-separated, one text a line."""
    init, args = (corpus._init, (vocab,)) if vocab is not None else (None, ())
    with open(corpus_path, encoding='utf-8') as f, open(out_path, 'w', encoding='utf-8') as out, \
            Pool(2, initializer=init, initargs=args) as pool:
        out.writelines(pool.imap(tokenize, f, chunksize=200))


def word_vectors(pretrain_dir, force=False):
    """-> path of skipgram-words.vec in pretrain_dir, trained first if missing."""
    out = os.path.join(pretrain_dir, 'skipgram-words')
    if force or not os.path.exists(out + '.vec'):
        with tempfile.TemporaryDirectory() as work:
            text = os.path.join(work, 'words.txt')
            write_tokenized(os.path.join(pretrain_dir, 'corpus.txt'), text, _words)
            skipgram(text, out)
    return out + '.vec'


def piece_vectors(pretrain_dir, force=False):
    """-> path of skipgram-pieces.npy in pretrain_dir, trained first if missing."""
    out = os.path.join(pretrain_dir, 'skipgram-pieces.npy')
    if os.path.exists(out) and not force:
        return out
    vocab_path = os.path.join(pretrain_dir, 'vocab.txt')
    while not os.path.exists(vocab_path):  # tools/corpus.py writes it atomically (os.replace) when done
        print(f'waiting for {vocab_path}', flush=True)
        time.sleep(60)
    vocab = corpus.read_vocab(vocab_path)
    with tempfile.TemporaryDirectory() as work:
        text = os.path.join(work, 'pieces.txt')
        write_tokenized(os.path.join(pretrain_dir, 'corpus.txt'), text, _pieces, vocab)
        skipgram(text, os.path.join(work, 'pieces'), '-minCount', '1')
        vectors = read_vec(os.path.join(work, 'pieces.vec'))
    table = np.zeros((len(vocab), DIM), dtype=np.float32)
    for i, entry in enumerate(vocab):
        if entry in vectors:
            table[i] = vectors[entry]
    np.save(out + '.tmp.npy', table)
    os.replace(out + '.tmp.npy', out)
    missing = [entry for entry in vocab if entry not in vectors]
    print(f'{out}: {len(vocab) - len(missing)} of {len(vocab)} entries have a vector; zeros for '
          f'{len(missing)}, e.g. {missing[:8]}', flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('kind', choices=('words', 'pieces'))
    ap.add_argument('--pretrain-dir', default=paths.pretrain_dir())
    ap.add_argument('--force', action='store_true', help='train again even if the output exists')
    args = ap.parse_args()
    build = word_vectors if args.kind == 'words' else piece_vectors
    print(build(args.pretrain_dir, args.force))


if __name__ == '__main__':
    main()
