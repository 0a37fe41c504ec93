"""Write the golden fixtures that the C++ tests compare against (tests/fixtures/).

  tiny-model.json   a tiny seeded random model (d_model 16, 2 heads, 2 layers, ffn 24, 3 labels, max_length 12)
                    with randomised LayerNorm parameters and biases, exported by export.py
  tiny-golden.json  PyTorch float32 results of the tiny model on a handful of inputs, the float32 bit patterns of
                    every weight (so a reader can prove the JSON floats read back bit for bit) and a padded
                    batched run (padding must not change the logits)
  sst2-golden.json  the same results for the bundled models/sst2-sentiment.json on data/golden-sentences.txt;
                    regenerate whenever the bundled model changes (it records the model's sha256)

Per input: text, tokens, ids (after truncation to max_length), truncated, logits [C], probabilities [C],
attention [layer][head][query][key] over the real tokens. Values are float32 written with 9 significant digits.
Everything is computed from the model as loaded back from its JSON file, after checking that the loaded model
matches the in-memory one (tiny) and that every tensor reads back bit for bit.

Usage (from the repository root): /usr/bin/python3 tools/make_goldens.py [--tiny-only | --sst2-only]
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attn_model import AttnClassifier, pad_batch, run_with_attention  # noqa: E402
from attn_tokenizer import Tokenizer  # noqa: E402
from export import export_model, format_weights, load_model  # noqa: E402
from vocab import build_vocab, tokenizer_spec  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, 'tests', 'fixtures')

# Training text of the tiny vocabulary. Deliberately without the letters q, x, z and without CJK, so that the
# inputs below can contain words that become [UNK].
TINY_CORPUS = [
    'The movie was great fun, and the acting was wonderful.',
    'I hated the plot; it was boring and far too long.',
    'A surprisingly moving film with a lovely ending!',
    'The café served crème brûlée after the show.',
    'Nothing works: the jokes fall flat, the music is loud.',
    'It is an okay story, not good, not bad.',
    'Playing, singing and dancing: the cast is charming.',
    'It\'s well made (sort of), but is it good? Well... the dancers were good and the singers were great.',
    'The endings were boring; the music was great, the dancing was lovely and the acting was good.',
    'I liked the movie, but it was far too long. Was it fun? It was.',
    'Café crème and music: good fun.',
]
TINY_LABELS = ['neg', 'neu', 'pos']
TINY_INPUTS = [
    'The movie was great fun!',
    'I hated it.',
    'Café crème, naïve.',                              # accents are stripped
    'A zany quixotic plot',                            # zany, quixotic contain z/q/x: [UNK]
    'the acting was wonderful and the music was lovely but the plot was far too long and boring',  # > 12 tokens
    '(It\'s good... fun?!)',                           # punctuation splits; exactly max_length tokens
    'CHARMING Singing',                                # lower-casing, WordPiece continuation
    'singers sang endings',                            # words split into a word and ##pieces
    'good',                                            # a single token
    '好 movie',                                        # CJK ideograph: its own word, unknown
]


def f32(values):
    """Float32 array -> nested lists of floats printed with at most 9 significant digits."""
    arr = np.asarray(values, dtype=np.float32)
    return np.vectorize(lambda v: float('%.9g' % v), otypes=[object])(arr).tolist() if arr.ndim else \
        float('%.9g' % arr)


def softmax32(logits):
    return torch.softmax(logits.to(torch.float32), dim=-1)


def golden_cases(model, tok, texts):
    max_length = model.max_length
    cases, all_ids = [], []
    for text in texts:
        tokens = tok.tokenize(text)
        ids = tok.encode(text, max_length)
        logits, attention, pooling = run_with_attention(model, torch.tensor([ids]), with_pooling=True)
        cases.append({
            'text': text,
            'tokens': tokens[:max_length],
            'ids': ids,
            'truncated': len(tokens) > max_length,
            'num_tokens_before_truncation': len(tokens),
            'logits': f32(logits[0]),
            'probabilities': f32(softmax32(logits[0])),
            'attention': f32(attention[0]),  # [layer][head][query][key]
        })
        if pooling is not None:
            cases[-1]['pooling'] = f32(pooling[0])  # attention pooling weights over the tokens
        all_ids.append(ids)
    return cases, all_ids


def batched_section(model, cases, all_ids, pad_id):
    """One padded batch of every input; asserts the logits equal the one-at-a-time logits within 1e-6."""
    batch = pad_batch(all_ids, pad_id)
    logits, _ = run_with_attention(model, batch)
    single = torch.tensor([c['logits'] for c in cases], dtype=torch.float32)
    diff = float((logits - single).abs().max())
    if diff > 1e-6:
        raise AssertionError(f'padded batch changes logits by {diff}')
    return {'pad_id': pad_id, 'ids': batch.tolist(), 'logits': f32(logits),
            'max_abs_diff_from_single': diff}


def check_bits(model, doc):
    """Every tensor in the JSON must read back as exactly the model's float32 bits. Returns {name: [uint32]}."""
    stored = {w['name']: w['data'] for w in doc['weights']}
    bits = {}
    for name, tensor in format_weights(model):
        want = tensor.detach().contiguous().numpy().ravel().astype(np.float32)
        got = np.asarray(stored[name], dtype=np.float64).astype(np.float32)
        if not np.array_equal(want.view(np.uint32), got.view(np.uint32)):
            raise AssertionError(f'{name} does not read back bit for bit')
        bits[name] = want.view(np.uint32).tolist()
    return bits


def write_json(path, doc):
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(doc, f, ensure_ascii=False, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)')


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_tiny():
    torch.manual_seed(20240601)
    spec = tokenizer_spec(build_vocab(TINY_CORPUS, min_count=2, min_piece_count=2, max_pieces=20))
    tok = Tokenizer(spec)
    model = AttnClassifier(len(spec['vocab']), len(TINY_LABELS), d_model=16, num_heads=2, num_layers=2,
                           ffn_dim=24, max_length=12, dropout=0.1, pad_id=tok.pad_id)
    with torch.no_grad():  # LayerNorm gamma/beta and every bias away from their 1/0 defaults
        for name, p in model.named_parameters():
            if 'norm' in name and name.endswith('weight'):
                p.uniform_(0.5, 1.5)
            elif name.endswith('bias'):
                p.normal_(0.0, 0.2)
    model.eval()
    model_path = os.path.join(FIXTURES, 'tiny-model.json')
    export_model(model, spec, TINY_LABELS, model_path,
                 {'purpose': 'test fixture: tiny random model, see tools/make_goldens.py', 'seed': 20240601})
    loaded, tok, doc = load_model(model_path)
    bits = check_bits(model, doc)
    probe = pad_batch([tok.encode(t, 12) for t in TINY_INPUTS], tok.pad_id)
    if not torch.equal(run_with_attention(model, probe)[0], run_with_attention(loaded, probe)[0]):
        raise AssertionError('exported model gives different logits after loading')

    cases, all_ids = golden_cases(loaded, tok, TINY_INPUTS)
    golden = {
        'model': 'tiny-model.json',
        'model_sha256': sha256(model_path),
        'labels': TINY_LABELS,
        'cases': cases,
        'batch': batched_section(loaded, cases, all_ids, tok.pad_id),
        'weight_bits': bits,
    }
    write_json(os.path.join(FIXTURES, 'tiny-golden.json'), golden)


def make_sst2():
    model_path = os.path.join(ROOT, 'models', 'sst2-sentiment.json')
    model, tok, doc = load_model(model_path)
    check_bits(model, doc)
    with open(os.path.join(ROOT, 'data', 'golden-sentences.txt'), encoding='utf-8') as f:
        texts = [line.rstrip('\n') for line in f if line.strip()]
    cases, all_ids = golden_cases(model, tok, texts)
    golden = {
        'model': '../../models/sst2-sentiment.json',
        'model_sha256': sha256(model_path),
        'labels': doc['labels'],
        'cases': cases,
        'batch': batched_section(model, cases, all_ids, tok.pad_id),
    }
    write_json(os.path.join(FIXTURES, 'sst2-golden.json'), golden)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = ap.add_mutually_exclusive_group()
    group.add_argument('--tiny-only', action='store_true')
    group.add_argument('--sst2-only', action='store_true')
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(FIXTURES, exist_ok=True)
    if not args.sst2_only:
        make_tiny()
    if not args.tiny_only:
        make_sst2()


if __name__ == '__main__':
    main()
