#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses into fuzz/corpus/<harness>/ (deterministic; rerun after
changing it and commit the result). The seeds are small on purpose: libFuzzer mutates them, so a seed's job is to
reach a code path (a loadable model of every architecture variant, each kind of bad file, each UTF-8 shape and
line ending), not to be large. Run it with Debian's /usr/bin/python3: the model seeds take their tensor list from
tools/export.py, which needs PyTorch."""
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, 'corpus')
sys.path.insert(0, os.path.join(ROOT, 'tools'))
from attn_model import AttnClassifier  # noqa: E402
from export import VARIANT_KEYS, format_weights  # noqa: E402


def tensor(name, shape, scale=0.125):
    n = 1
    for s in shape:
        n *= s
    return {'name': name, 'shape': shape, 'data': [scale * ((i % 5) - 2) for i in range(n)]}


def minimal_model(**variant):
    """A loadable model: vocab 8, d_model 4, 2 heads, 1 layer, ffn 6, 2 labels, any architecture variant."""
    config = {'vocab_size': 8, 'max_length': 6, 'd_model': 4, 'num_heads': 2, 'num_layers': 1, 'ffn_dim': 6,
              'num_labels': 2, 'layer_norm_eps': 1e-6, 'norm_placement': 'post', 'activation': 'relu',
              'positional_encoding': 'sinusoidal', 'attention_score': 'scaled_dot', 'causal': False,
              'pooling': 'mean'}
    config.update(variant)
    # The tensors and their shapes are the exporter's (tools/export.py), which the exporter_tensors test holds to
    # the C++ tensor table; the values are the seed's own, small and exact.
    model = AttnClassifier(config['vocab_size'], config['num_labels'], d_model=config['d_model'],
                           num_heads=config['num_heads'], num_layers=config['num_layers'], ffn_dim=config['ffn_dim'],
                           max_length=config['max_length'], layer_norm_eps=config['layer_norm_eps'],
                           **{k: config[k] for k in VARIANT_KEYS})
    weights = [tensor(name, list(t.shape), 1.0 if name.endswith('norm.weight') else 0.125)
               for name, t in format_weights(model)]
    return {
        'format_version': 1,
        'config': config,
        'tokenizer': {'kind': 'wordpiece', 'lowercase': True, 'strip_accents': True, 'split_cjk': True,
                      'continuation_prefix': '##', 'max_word_chars': 100,
                      'special_tokens': {'pad': '[PAD]', 'unk': '[UNK]'},
                      'vocab': ['[PAD]', '[UNK]', 'good', 'film', '##s', 'the', ',', 'é']},
        'labels': ['negative', 'positive'],
        'weights': weights,
        'metadata': {'seed': 'fuzz/make_seeds.py'},
    }


def model_seeds():
    base = json.dumps(minimal_model())
    seeds = {
        'minimal.json': base,
        'pre-gelu-learned-attention-pool.json': json.dumps(minimal_model(
            norm_placement='pre', activation='gelu', positional_encoding='learned', pooling='attention')),
        'additive-causal-last.json': json.dumps(minimal_model(attention_score='additive', causal=True,
                                                              pooling='last')),
        'dot-max.json': json.dumps(minimal_model(attention_score='dot', pooling='max')),
        'two-layers-first.json': json.dumps(minimal_model(num_layers=2, pooling='first', num_heads=4)),
        'truncated-half.json': base[:len(base) // 2],
        'truncated-last-byte.json': base[:-1],
        'nan-literal.json': base.replace('"data": [-0.25', '"data": [NaN', 1),
        'number-beyond-double.json': base.replace('"data": [-0.25', '"data": [1e999', 1),
        'nested-format-version.json': base.replace('"format_version": 1', '"format_version": [[[[1]]]]', 1),
        'string-dimension.json': base.replace('"d_model": 4', '"d_model": "4"', 1),
        'absurd-dimension.json': base.replace('"d_model": 4', '"d_model": 65536', 1),
        'heads-not-dividing.json': base.replace('"num_heads": 2', '"num_heads": 3', 1),
        'duplicate-vocab.json': base.replace('"film"', '"good"', 1),
        'empty.json': '',
        'not-json.txt': 'hello',
    }
    m = minimal_model()
    m['weights'].append(dict(m['weights'][1]))
    seeds['duplicate-tensor.json'] = json.dumps(m)
    m = minimal_model()
    del m['weights'][3]
    seeds['missing-tensor.json'] = json.dumps(m)
    m = minimal_model()
    m['weights'][0]['shape'] = [4, 8]
    seeds['wrong-shape.json'] = json.dumps(m)
    return {name: text.encode('utf-8') for name, text in seeds.items()}


def tokenizer_seeds():
    # The first byte picks the tokenizer options (bits 0-2) and max_length (bits 3-7, plus one).
    texts = {
        'ascii': (0xFF, b'The good films, the bad film!'),
        'accents': (0x3F, 'Caf\u00e9 na\u00efve \u00c9T\u00c9 stra\u00dfe'.encode()),
        'cjk': (0x7F, '\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 film'.encode()),
        'marks': (0x17, 'e\u0301\u0323\u0301a\u0308\u034f\u0301 \u1e9b\u0323'.encode()),
        'controls': (0x0F, b'good\x00\x01\x7f\xc2\x85\xe2\x80\x8b film\x0b\x0c\r\n\tend'),
        'bom-and-separators': (0x27, '\ufeffgood\u2028film\u2029\u3000the\u00a0s'.encode()),
        'long-word': (0x07, b'a' * 40 + b' ' + b'good' * 5),
        'invalid-overlong': (0x01, b'good \xc0\xaf film'),
        'invalid-surrogate': (0x02, b'\xed\xa0\x80'),
        'invalid-truncated': (0x03, b'film \xe2\x82'),
        'invalid-continuation': (0x04, b'\x80\xbf'),
        'astral': (0x05, '\U0001F600\U00020000\U0010FFFF'.encode()),
        'titlecase-and-ligatures': (0x06, '\u01c5\u01c6 \ufb01lm \u0130stanbul'.encode()),
    }
    return {name: bytes([first]) + text for name, (first, text) in texts.items()}


def line_reader_seeds():
    # The first byte: 0 reads from a memfd, 1..255 sends messages of that many bytes.
    inputs = {
        'memfd-lines': (0, b'good\nbad\n'),
        'memfd-crlf-no-final-newline': (0, b'good\r\nbad\r\nlast\r'),
        'one-byte-messages-crlf': (1, b'a\r\n\r\nb\rc\n\r'),
        'two-byte-messages': (2, b'ab\ncd\r\nef'),
        'three-byte-messages-empty-lines': (3, b'\n\n\r\n\n'),
        'nul-bytes': (5, b'\x00\x00\n\x00a\x00\n'),
        'cr-only': (7, b'\r\r\r'),
        'long-line': (64, b'x' * 3000 + b'\r\n' + b'y' * 100),
    }
    return {name: bytes([first]) + data for name, (first, data) in inputs.items()}


def write(harness, seeds):
    directory = os.path.join(CORPUS, harness)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(directory, name), 'wb') as f:
            f.write(data)


def main():
    loader = model_seeds()
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'tiny-model.json'), 'rb') as f:
        loader['tiny-model.json'] = f.read()
    write('fuzz_model_loader', loader)
    write('fuzz_tokenizer', tokenizer_seeds())
    write('fuzz_line_reader', line_reader_seeds())


if __name__ == '__main__':
    main()
