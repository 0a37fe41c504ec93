"""Golden fixtures for every architecture variant of the format (tests/fixtures/variants/).

For each variant below: a small seeded random model (LayerNorm parameters and biases randomised too) with its
own size, exported by export.py as <name>-model.json, and <name>-golden.json with PyTorch's float32 tokens,
ids, logits, probabilities, attention [layer][head][query][key], attention-pooling weights where the model
pools by attention, and one padded batch of all inputs. Scaled dot-product variants run through PyTorch's
nn.TransformerEncoderLayer; dot and additive scores through attn_model.ScoreEncoderLayer (plain torch ops).

Usage (from the repository root): /usr/bin/python3 tools/make_variant_goldens.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attn_model import AttnClassifier  # noqa: E402
from attn_tokenizer import Tokenizer  # noqa: E402
from export import export_model, load_model  # noqa: E402
from make_goldens import TINY_CORPUS, TINY_INPUTS, TINY_LABELS, batched_section, golden_cases, sha256, \
    write_json  # noqa: E402
from vocab import build_vocab, tokenizer_spec  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'variants')

# name -> (d_model, num_heads, num_layers, ffn_dim, variant options). Heads from 1 to 8; every option value
# appears alone and in the combinations that matter (causal with last pooling, pre-norm with attention pooling).
VARIANTS = {
    'dot-1head': (16, 1, 2, 24, dict(attention_score='dot')),
    'additive-4heads': (32, 4, 2, 40, dict(attention_score='additive')),
    'causal-last': (16, 2, 2, 24, dict(causal=True, pooling='last')),
    'prenorm-8heads': (32, 8, 2, 48, dict(norm_placement='pre')),
    'gelu': (16, 2, 2, 24, dict(activation='gelu')),
    'learned-positions': (16, 2, 1, 24, dict(positional_encoding='learned')),
    'pool-max': (24, 3, 2, 24, dict(pooling='max')),
    'pool-first': (16, 4, 2, 24, dict(pooling='first')),
    'pool-attention-3heads': (24, 3, 2, 32, dict(pooling='attention')),
    'combo-pre-gelu-learned-additive-causal-attention': (
        24, 2, 3, 32, dict(norm_placement='pre', activation='gelu', positional_encoding='learned',
                           attention_score='additive', causal=True, pooling='attention')),
    'combo-pre-dot-causal-max': (16, 4, 2, 24, dict(norm_placement='pre', attention_score='dot', causal=True,
                                                    pooling='max')),
    'combo-post-gelu-learned-first': (32, 8, 2, 24, dict(activation='gelu', positional_encoding='learned',
                                                         pooling='first')),
}
SEED = 20241127


def make_variant(name, d_model, num_heads, num_layers, ffn_dim, options, spec, seed):
    torch.manual_seed(seed)
    tok = Tokenizer(spec)
    model = AttnClassifier(len(spec['vocab']), len(TINY_LABELS), d_model=d_model, num_heads=num_heads,
                           num_layers=num_layers, ffn_dim=ffn_dim, max_length=12, dropout=0.1,
                           pad_id=tok.pad_id, **options)
    with torch.no_grad():  # LayerNorm gamma/beta and every bias away from their 1/0 defaults
        for pname, p in model.named_parameters():
            if 'norm' in pname and pname.endswith('weight'):
                p.uniform_(0.5, 1.5)
            elif pname.endswith('bias'):
                p.normal_(0.0, 0.2)
    model.eval()
    model_path = os.path.join(OUT, f'{name}-model.json')
    export_model(model, spec, TINY_LABELS, model_path,
                 {'purpose': f'test fixture: variant {name}, see tools/make_variant_goldens.py', 'seed': seed})
    loaded, tok, doc = load_model(model_path)
    cases, all_ids = golden_cases(loaded, tok, TINY_INPUTS)
    write_json(os.path.join(OUT, f'{name}-golden.json'), {
        'model': f'{name}-model.json',
        'model_sha256': sha256(model_path),
        'config': doc['config'],
        'labels': TINY_LABELS,
        'cases': cases,
        'batch': batched_section(loaded, cases, all_ids, tok.pad_id),
    })


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    spec = tokenizer_spec(build_vocab(TINY_CORPUS, min_count=1, min_piece_count=2, max_pieces=20))
    for i, (name, (d, h, layers, ffn, options)) in enumerate(VARIANTS.items()):
        make_variant(name, d, h, layers, ffn, options, spec, SEED + i)


if __name__ == '__main__':
    main()
