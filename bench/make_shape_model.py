"""Write an untrained model of a given shape, with the bundled model's tokenizer and labels, for timing only.

The bundled model (d_model 64, 1 layer) is small enough that fixed costs weigh on every figure; the speed
targets were set on a model of the shape d_model 128, 4 heads, 2 layers, feed-forward 512 (about 3M
parameters). Speed does not depend on the weights' values, so a seeded random model of that shape, fed the
same SST-2 sentences, measures both tools on it honestly; its predictions mean nothing.

  /usr/bin/python3 bench/make_shape_model.py --out /tmp/d128.json      # then: bench/run.py --model /tmp/d128.json
"""
import argparse
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
from attn_model import AttnClassifier  # noqa: E402
from export import export_model, load_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--like', default=os.path.join(ROOT, 'models', 'sst2-sentiment.json'),
                    help='model whose tokenizer, labels and max_length are reused')
    ap.add_argument('--out', required=True)
    ap.add_argument('--d-model', type=int, default=128)
    ap.add_argument('--heads', type=int, default=4)
    ap.add_argument('--layers', type=int, default=2)
    ap.add_argument('--ffn', type=int, default=512)
    ap.add_argument('--max-length', type=int, default=None,
                    help="tokens per input (default: the --like model's); 128 to 512 for the long-text kernels")
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()

    _, tokenizer, doc = load_model(args.like)
    torch.manual_seed(args.seed)
    cfg = doc['config']
    model = AttnClassifier(cfg['vocab_size'], cfg['num_labels'], d_model=args.d_model, num_heads=args.heads,
                           num_layers=args.layers, ffn_dim=args.ffn, max_length=args.max_length or cfg['max_length'], dropout=0.0,
                           pad_id=tokenizer.pad_id).eval()
    params = sum(p.numel() for p in model.parameters())
    metadata = {'task': 'timing only: untrained weights (bench/make_shape_model.py)', 'seed': args.seed,
                'tokenizer_from': os.path.relpath(args.like, ROOT), 'parameters': params}
    size = export_model(model, doc['tokenizer'], doc['labels'], args.out, metadata)
    print(f'wrote {args.out}: d_model {args.d_model}, {args.heads} heads, {args.layers} layers, ffn {args.ffn}, '
          f'{params:,} parameters, {size / 1e6:.1f} MB')


if __name__ == '__main__':
    main()
