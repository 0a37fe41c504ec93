"""Random Hugging Face checkpoint folders for testing the importer (tools/convert_hf.py).

Each folder holds what a fine-tuned sequence classifier saved by the transformers library holds: config.json,
tokenizer_config.json, vocab.txt (the real uncased BERT vocabulary from ../shared/vocab/bert-base-uncased,
found from this script's place in the repository) and the weights under the exact Hugging Face names
(hf_reference.tensor_shapes) as model.safetensors (written directly) and pytorch_model.bin (torch.save).

Weights are seeded and deterministic: every matrix, embedding and bias ~ N(0, scale^2), every LayerNorm gamma
~ 1 + N(0, scale^2) and beta ~ N(0, scale^2). scale 0.02 is the library's initializer_range; larger scales give
peaked attention and confident labels, which is what a comparison needs to be sensitive.

Usage (from the repository root):
  /usr/bin/python3 tools/make_hf_checkpoints.py --out /tmp/hf            # every architecture, shape and label count
  /usr/bin/python3 tools/make_hf_checkpoints.py --out /tmp/hf --arch bert --shape mini --labels 5 --scale 0.2
"""
import argparse
import json
import os
import shutil
import sys
from collections import OrderedDict

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_files import PYTORCH_BIN, SAFETENSORS, write_safetensors  # noqa: E402
from hf_reference import tensor_shapes  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VOCAB_DIR = os.path.join(ROOT, '..', 'shared', 'vocab', 'bert-base-uncased')

# name -> (layers, hidden, heads, intermediate): BERT-Tiny, BERT-Mini and MiniLM-L6-H384 shapes.
SHAPES = {'tiny': (2, 128, 2, 512), 'mini': (4, 256, 4, 1024), 'l6h384': (6, 384, 12, 1536)}
ARCHS = {'bert': 'BertForSequenceClassification', 'distilbert': 'DistilBertForSequenceClassification',
         'electra': 'ElectraForSequenceClassification'}
TOKENIZER_CLASSES = {'bert': 'BertTokenizer', 'distilbert': 'DistilBertTokenizer', 'electra': 'ElectraTokenizer'}
LABEL_NAMES = {2: ['negative', 'positive'],
               5: ['very negative', 'negative', 'neutral', 'positive', 'very positive']}
VOCAB_SIZE = 30522


def make_config(arch, shape, num_labels, hidden_act='gelu', embedding_size=None, **overrides):
    """config.json as the library writes it for this architecture; overrides replace or add keys."""
    layers, hidden, heads, ffn = SHAPES[shape]
    names = LABEL_NAMES.get(num_labels) or [f'LABEL_{i}' for i in range(num_labels)]
    labels = {'id2label': {str(i): n for i, n in enumerate(names)},
              'label2id': {n: i for i, n in enumerate(names)}}
    common = {'architectures': [ARCHS[arch]], 'max_position_embeddings': 512, 'pad_token_id': 0,
              'vocab_size': VOCAB_SIZE, 'initializer_range': 0.02, 'problem_type': 'single_label_classification',
              **labels}
    if arch == 'distilbert':
        config = {**common, 'model_type': 'distilbert', 'dim': hidden, 'n_layers': layers, 'n_heads': heads,
                  'hidden_dim': ffn, 'activation': hidden_act, 'dropout': 0.1, 'attention_dropout': 0.1,
                  'seq_classif_dropout': 0.2, 'qa_dropout': 0.1, 'sinusoidal_pos_embds': False,
                  'tie_weights_': True}
    else:
        config = {**common, 'model_type': arch, 'hidden_size': hidden, 'num_hidden_layers': layers,
                  'num_attention_heads': heads, 'intermediate_size': ffn, 'hidden_act': hidden_act,
                  'hidden_dropout_prob': 0.1, 'attention_probs_dropout_prob': 0.1, 'layer_norm_eps': 1e-12,
                  'type_vocab_size': 2, 'position_embedding_type': 'absolute', 'classifier_dropout': None,
                  'use_cache': True}
        if arch == 'electra':
            config['embedding_size'] = embedding_size or min(hidden, 128)
            config['summary_type'] = 'first'
    config.update(overrides)
    return config


def random_tensors(config, scale, seed):
    """OrderedDict name -> float32 tensor, every value drawn from one seeded generator in registration order."""
    generator = torch.Generator().manual_seed(seed)
    out = OrderedDict()
    for name, shape in tensor_shapes(config).items():
        noise = torch.randn(shape, generator=generator, dtype=torch.float32) * scale
        is_norm = 'LayerNorm' in name or 'layer_norm' in name
        out[name] = noise + 1.0 if is_norm and name.endswith('.weight') else noise
    return out


def write_checkpoint(folder, config, tensors, arch, formats=('safetensors', 'bin')):
    """Write the folder: config, tokenizer files copied from ../shared/vocab, weights in the given formats."""
    if not os.path.isdir(VOCAB_DIR):
        raise SystemExit(f'{VOCAB_DIR} is missing: the checkpoints use the real uncased vocabulary from ../shared')
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, 'config.json'), 'w', encoding='utf-8') as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(VOCAB_DIR, 'tokenizer_config.json'), encoding='utf-8') as f:
        tokenizer_config = json.load(f)
    tokenizer_config['tokenizer_class'] = TOKENIZER_CLASSES[arch]
    with open(os.path.join(folder, 'tokenizer_config.json'), 'w', encoding='utf-8') as f:
        json.dump(tokenizer_config, f, indent=2)
    shutil.copyfile(os.path.join(VOCAB_DIR, 'vocab.txt'), os.path.join(folder, 'vocab.txt'))
    if 'safetensors' in formats:
        write_safetensors(os.path.join(folder, SAFETENSORS), tensors, {'format': 'pt'})
    if 'bin' in formats:
        torch.save(tensors, os.path.join(folder, PYTORCH_BIN))


def folder_name(arch, shape, num_labels, scale):
    return f'{arch}-{shape}-{num_labels}labels-scale{scale:g}'


def make_checkpoint(out_dir, arch, shape, num_labels, scale=0.02, seed=0, formats=('safetensors', 'bin'),
                    **config_options):
    """Generate one checkpoint folder under out_dir; returns (folder, config, tensors)."""
    config = make_config(arch, shape, num_labels, **config_options)
    # One stream per (seed, architecture, shape, labels), so no two checkpoints share their weights.
    stream = seed * 1000 + 100 * sorted(ARCHS).index(arch) + 10 * sorted(SHAPES).index(shape) + num_labels
    tensors = random_tensors(config, scale, stream)
    folder = os.path.join(out_dir, folder_name(arch, shape, num_labels, scale))
    write_checkpoint(folder, config, tensors, arch, formats)
    return folder, config, tensors


def main():
    ap = argparse.ArgumentParser(description='Write random Hugging Face classifier checkpoints.')
    ap.add_argument('--out', required=True, help='folder to hold one sub-folder per checkpoint')
    ap.add_argument('--arch', nargs='+', choices=sorted(ARCHS), default=sorted(ARCHS))
    ap.add_argument('--shape', nargs='+', choices=sorted(SHAPES), default=sorted(SHAPES))
    ap.add_argument('--labels', nargs='+', type=int, default=[2, 5])
    ap.add_argument('--scale', type=float, default=0.02, help='weight standard deviation (larger: peaked models)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--hidden-act', default='gelu', help='gelu, gelu_new, gelu_pytorch_tanh, relu, ...')
    ap.add_argument('--formats', nargs='+', choices=['safetensors', 'bin'], default=['safetensors', 'bin'])
    args = ap.parse_args()
    for arch in args.arch:
        for shape in args.shape:
            for num_labels in args.labels:
                folder, _, _ = make_checkpoint(args.out, arch, shape, num_labels, args.scale, args.seed,
                                               tuple(args.formats), hidden_act=args.hidden_act)
                print(folder)


if __name__ == '__main__':
    main()
