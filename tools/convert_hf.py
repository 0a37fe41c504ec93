"""Convert a fine-tuned Hugging Face sequence classifier folder to an attn model file (format v2 proposal,
docs/model-format-v2.md).

Reads config.json, model.safetensors (parsed directly) or pytorch_model.bin (torch.load, weights_only),
tokenizer_config.json and vocab.txt; no transformers package. Architectures: BertForSequenceClassification
(the compact BERTs, MiniLM), DistilBertForSequenceClassification, ElectraForSequenceClassification. Whatever the
format cannot represent is refused with its name; nothing is approximated.

Usage (from the repository root):
  /usr/bin/python3 tools/convert_hf.py path/to/checkpoint --out model.json [--weights safetensors|bin]
      [--max-length N]
"""
import argparse
import hashlib
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import float32_list, write_document  # noqa: E402
from hf_files import read_json, read_vocab, read_weights  # noqa: E402

FORMAT_VERSION = 2
MAX_LENGTH = 512
ACTIVATIONS = {'gelu': 'gelu', 'gelu_new': 'gelu_tanh', 'gelu_pytorch_tanh': 'gelu_tanh', 'relu': 'relu'}
HEADS = {'BertForSequenceClassification': 'bert_pooler', 'DistilBertForSequenceClassification': 'distilbert',
         'ElectraForSequenceClassification': 'electra'}
MODEL_TYPES = {'BertForSequenceClassification': 'bert', 'DistilBertForSequenceClassification': 'distilbert',
               'ElectraForSequenceClassification': 'electra'}
TOKENIZER_CLASSES = ('BertTokenizer', 'DistilBertTokenizer', 'ElectraTokenizer')
DISTILBERT_EPS = 1e-12  # DistilBERT's layer norms are built with this eps; its config has no key for it


class ConversionError(ValueError):
    """The checkpoint holds something format v2 cannot represent (the message names it)."""


def refuse(message):
    raise ConversionError(message)


def architecture_config(config):
    """config.json -> (architecture, attn config without vocab_size/num_labels/max_length, hidden size)."""
    archs = config.get('architectures') or []
    if len(archs) != 1 or archs[0] not in HEADS:
        refuse(f'config.json: architectures {archs} is not one of {sorted(HEADS)}')
    arch = archs[0]
    if config.get('model_type', MODEL_TYPES[arch]) != MODEL_TYPES[arch]:
        refuse(f'config.json: model_type {config["model_type"]!r} does not match {arch}')
    if config.get('is_decoder') or config.get('add_cross_attention'):
        refuse('config.json: a decoder or cross-attention model is not a classifier attn can run')
    problem = config.get('problem_type') or 'single_label_classification'
    if problem != 'single_label_classification':
        refuse(f'config.json: problem_type {problem!r} is not supported (attn computes a softmax over labels: '
               f'single_label_classification)')
    if arch == 'DistilBertForSequenceClassification':
        keys = dict(d_model='dim', num_heads='n_heads', num_layers='n_layers', ffn_dim='hidden_dim')
        act_key, eps = 'activation', DISTILBERT_EPS
    else:
        keys = dict(d_model='hidden_size', num_heads='num_attention_heads', num_layers='num_hidden_layers',
                    ffn_dim='intermediate_size')
        act_key, eps = 'hidden_act', config.get('layer_norm_eps')
        kind = config.get('position_embedding_type', 'absolute')
        if kind != 'absolute':
            refuse(f'config.json: position_embedding_type {kind!r} is not supported (supported: absolute)')
        if not isinstance(eps, (int, float)) or eps <= 0:
            refuse(f'config.json: layer_norm_eps {eps!r} is not a positive number')
    missing = [key for key in list(keys.values()) + [act_key, 'max_position_embeddings', 'vocab_size']
               if key not in config]
    if missing:
        refuse(f'config.json: missing {", ".join(missing)}')
    act = config[act_key]
    if act not in ACTIVATIONS:
        refuse(f'config.json: {act_key} {act!r} is not supported (supported: {", ".join(ACTIVATIONS)})')
    out = {name: config[key] for name, key in keys.items()}
    if out['d_model'] % out['num_heads']:
        refuse(f'config.json: {out["num_heads"]} heads do not divide width {out["d_model"]}')
    embedding_dim = config.get('embedding_size', out['d_model']) if arch.startswith('Electra') else out['d_model']
    out.update(layer_norm_eps=float(eps), norm_placement='post', activation=ACTIVATIONS[act],
               positional_encoding='learned', attention_score='scaled_dot', causal=False, pooling='first',
               embedding_dim=embedding_dim, embedding_norm=True,
               embedding_projection=embedding_dim != out['d_model'], head=HEADS[arch])
    return arch, out


class Tensors:
    """The checkpoint's tensors, each taken once by name with its expected shape; what is left is unexpected."""

    def __init__(self, tensors, source):
        self.source = source
        self.left = dict(tensors)
        self.missing, self.misshapen = [], []
        for name in list(self.left):  # checkpoints saved by old versions name LayerNorm parameters gamma/beta
            for old, new in (('LayerNorm.gamma', 'LayerNorm.weight'), ('LayerNorm.beta', 'LayerNorm.bias')):
                if name.endswith(old) and name[:-len(old)] + new not in self.left:
                    self.left[name[:-len(old)] + new] = self.left.pop(name)

    def take(self, name, shape):
        if name not in self.left:
            self.missing.append(name)
            return np.zeros(shape, dtype=np.float32)
        value = self.left.pop(name)
        if list(value.shape) != list(shape):
            self.misshapen.append(f'{name} has shape {list(value.shape)}, expected {list(shape)}')
            return np.zeros(shape, dtype=np.float32)
        if value.dtype != np.float32:
            self.misshapen.append(f'{name} holds {value.dtype} values, expected floats')
        return value

    def drop_position_buffers(self, prefix, rows):
        """Index buffers some versions save beside the weights: position_ids must count 0.., token_type_ids be 0."""
        for name, expected in ((f'{prefix}.embeddings.position_ids', np.arange(rows)),
                               (f'{prefix}.embeddings.token_type_ids', np.zeros(rows))):
            if name in self.left:
                value = self.left.pop(name).reshape(-1)
                if value.shape[0] > rows or not np.array_equal(value, expected[:value.shape[0]]):
                    refuse(f'{self.source}: buffer {name} differs from the default (positions 0, 1, 2, ...; '
                           f'token types all 0)')

    def finish(self):
        problems = []
        if self.missing:
            problems.append(f'missing tensors: {", ".join(self.missing)}')
        problems += self.misshapen
        if self.left:
            problems.append(f'unexpected tensors: {", ".join(sorted(self.left))}')
        if problems:
            refuse(f'{self.source}: ' + '; '.join(problems))


def convert_weights(arch, cfg, config, tensors, source, vocab_size, max_length, notes):
    """HF tensors -> list of (attn v2 name, float32 array) in the order of docs/model-format-v2.md."""
    d, e, f = cfg['d_model'], cfg['embedding_dim'], cfg['ffn_dim']
    labels = cfg['num_labels']
    t = Tensors(tensors, source)
    prefix = {'bert': 'bert', 'distilbert': 'distilbert', 'electra': 'electra'}[MODEL_TYPES[arch]]
    rows, positions = config['vocab_size'], config['max_position_embeddings']
    out = []

    def linear(attn_name, hf_name, n_out, n_in):
        out.append((attn_name + '.weight', t.take(hf_name + '.weight', [n_out, n_in])))
        out.append((attn_name + '.bias', t.take(hf_name + '.bias', [n_out])))

    def norm(attn_name, hf_name, width):
        out.append((attn_name + '.weight', t.take(hf_name + '.weight', [width])))
        out.append((attn_name + '.bias', t.take(hf_name + '.bias', [width])))

    word = t.take(f'{prefix}.embeddings.word_embeddings.weight', [rows, e])
    out.append(('embedding.weight', word[:vocab_size]))
    table = t.take(f'{prefix}.embeddings.position_embeddings.weight', [positions, e])[:max_length]
    if prefix != 'distilbert':
        types = config.get('type_vocab_size', 0)
        if types > 0:
            segment0 = t.take(f'{prefix}.embeddings.token_type_embeddings.weight', [types, e])[0]
            table = (table + segment0).astype(np.float32)
            notes.append('token_type_embeddings row 0 added into position_embedding (every input is segment 0)')
    out.append(('position_embedding.weight', table))
    t.drop_position_buffers(prefix, positions)
    norm('embedding_norm', f'{prefix}.embeddings.LayerNorm', e)
    if cfg['embedding_projection']:
        linear('embedding_projection', 'electra.embeddings_project', d, e)
    for l in range(cfg['num_layers']):
        a = f'layers.{l}.'
        if prefix == 'distilbert':
            h = f'distilbert.transformer.layer.{l}.'
            names = dict(query=h + 'attention.q_lin', key=h + 'attention.k_lin', value=h + 'attention.v_lin',
                         output=h + 'attention.out_lin', attention_norm=h + 'sa_layer_norm',
                         linear1=h + 'ffn.lin1', linear2=h + 'ffn.lin2', ffn_norm=h + 'output_layer_norm')
        else:
            h = f'{prefix}.encoder.layer.{l}.'
            names = dict(query=h + 'attention.self.query', key=h + 'attention.self.key',
                         value=h + 'attention.self.value', output=h + 'attention.output.dense',
                         attention_norm=h + 'attention.output.LayerNorm', linear1=h + 'intermediate.dense',
                         linear2=h + 'output.dense', ffn_norm=h + 'output.LayerNorm')
        for part in ('query', 'key', 'value', 'output'):
            linear(a + 'attention.' + part, names[part], d, d)
        norm(a + 'attention_norm', names['attention_norm'], d)
        linear(a + 'ffn.linear1', names['linear1'], f, d)
        linear(a + 'ffn.linear2', names['linear2'], d, f)
        norm(a + 'ffn_norm', names['ffn_norm'], d)
    head_dense, head_out = {'bert': ('bert.pooler.dense', 'classifier'),
                            'distilbert': ('pre_classifier', 'classifier'),
                            'electra': ('classifier.dense', 'classifier.out_proj')}[prefix]
    linear('head.dense', head_dense, d, d)
    linear('classifier', head_out, labels, d)
    t.finish()
    for name, value in out:
        if not np.all(np.isfinite(value)):
            refuse(f'{source}: {name} holds NaN or infinity')
    return out


def tokenizer_spec(folder, vocab):
    """tokenizer_config.json + vocab.txt -> attn tokenizer section (BERT's basic tokenizer + WordPiece)."""
    tc = read_json(folder, 'tokenizer_config.json')
    cls_name = tc.get('tokenizer_class')
    if cls_name is not None and cls_name.removesuffix('Fast') not in TOKENIZER_CLASSES:
        refuse(f'tokenizer_config.json: tokenizer_class {cls_name!r} is not BERT\'s WordPiece '
               f'(supported: {", ".join(TOKENIZER_CLASSES)} and their Fast forms)')
    if tc.get('do_basic_tokenize', True) is not True:
        refuse('tokenizer_config.json: do_basic_tokenize false is not supported')
    if tc.get('never_split'):
        refuse(f'tokenizer_config.json: never_split {tc["never_split"]} is not supported')
    lowercase = tc.get('do_lower_case', True)
    strip_accents = tc.get('strip_accents')
    if strip_accents is None:  # the library's default: accents go with lowercasing
        strip_accents = lowercase
    split_cjk = tc.get('tokenize_chinese_chars', True)
    for key, value in (('do_lower_case', lowercase), ('strip_accents', strip_accents),
                       ('tokenize_chinese_chars', split_cjk)):
        if not isinstance(value, bool):
            refuse(f'tokenizer_config.json: {key} {value!r} is not true, false (or null for strip_accents)')
    seen = set()
    for i, token in enumerate(vocab):
        if not token:
            refuse(f'vocab.txt: line {i + 1} is empty')
        if token in seen:
            refuse(f'vocab.txt: {token!r} appears twice (again on line {i + 1})')
        seen.add(token)
    specials = {}
    for role, key, default in (('pad', 'pad_token', '[PAD]'), ('unk', 'unk_token', '[UNK]'),
                               ('cls', 'cls_token', '[CLS]'), ('sep', 'sep_token', '[SEP]')):
        token = tc.get(key, default)
        if isinstance(token, dict):  # older files store AddedToken objects
            token = token.get('content')
        if token not in seen:
            refuse(f'tokenizer_config.json: {key} {token!r} is not in vocab.txt')
        specials[role] = token
    for index, added in (tc.get('added_tokens_decoder') or {}).items():
        content = added.get('content')
        if int(index) >= len(vocab) or vocab[int(index)] != content:
            refuse(f'tokenizer_config.json: added token {content!r} (id {index}) is not vocab.txt\'s entry '
                   f'{int(index) + 1}; tokens added outside the vocabulary are not supported')
    return {'kind': 'wordpiece', 'lowercase': lowercase, 'strip_accents': strip_accents, 'split_cjk': split_cjk,
            'continuation_prefix': '##', 'max_word_chars': 100, 'special_tokens': specials, 'wrap': 'cls_sep',
            'vocab': vocab}


def label_names(config, count):
    id2label = config.get('id2label') or {str(i): f'LABEL_{i}' for i in range(count)}
    try:
        ids = sorted(int(k) for k in id2label)
    except ValueError:
        refuse(f'config.json: id2label keys {sorted(id2label)} are not integers')
    if ids != list(range(count)):
        refuse(f'config.json: id2label has ids {ids}, the classifier has {count} outputs')
    names = [str(id2label[str(i)]) for i in range(count)]
    if len(set(names)) != count or not all(names):
        refuse(f'config.json: label names {names} are not distinct and non-empty')
    return names


def sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def convert(folder, prefer=None, max_length=None):
    """Checkpoint folder -> attn format-v2 document (dict). prefer: 'safetensors', 'bin' or None."""
    config = read_json(folder, 'config.json')
    arch, cfg = architecture_config(config)
    tensors, weights_file = read_weights(folder, prefer)
    head_out = 'classifier.out_proj.weight' if arch.startswith('Electra') else 'classifier.weight'
    if head_out not in tensors:
        refuse(f'{weights_file}: missing tensors: {head_out}')
    num_labels = int(tensors[head_out].shape[0])
    if num_labels < 2:
        refuse(f'{weights_file}: the classifier has {num_labels} output; attn needs at least 2 labels')
    vocab = read_vocab(folder)
    if len(vocab) > config['vocab_size']:
        refuse(f'vocab.txt has {len(vocab)} entries, the embedding only {config["vocab_size"]} rows')
    positions = config['max_position_embeddings']
    limit = min(positions, MAX_LENGTH)
    max_length = limit if max_length is None else max_length
    if not 3 <= max_length <= limit:
        refuse(f'max_length {max_length} is not between 3 and {limit} (the position table and attn\'s limit)')
    notes = []
    if len(vocab) < config['vocab_size']:
        notes.append(f'embedding rows {len(vocab)}..{config["vocab_size"] - 1} (past vocab.txt) dropped')
    if max_length < positions:
        notes.append(f'position table cut to its first {max_length} of {positions} rows')
    cfg.update(vocab_size=len(vocab), max_length=max_length, num_labels=num_labels)
    weights = convert_weights(arch, cfg, config, tensors, weights_file, len(vocab), max_length, notes)
    spec = tokenizer_spec(folder, vocab)
    labels = label_names(config, num_labels)
    files = ['config.json', weights_file, 'tokenizer_config.json', 'vocab.txt']
    source = {'architecture': arch, 'model_type': MODEL_TYPES[arch],
              'folder': os.path.basename(os.path.normpath(folder)), 'weights_file': weights_file,
              'files': {name: sha256(os.path.join(folder, name)) for name in files},
              'converter': 'tools/convert_hf.py', 'notes': notes}
    order = ('vocab_size', 'max_length', 'd_model', 'num_heads', 'num_layers', 'ffn_dim', 'num_labels',
             'layer_norm_eps', 'norm_placement', 'activation', 'positional_encoding', 'attention_score', 'causal',
             'pooling', 'embedding_dim', 'embedding_norm', 'embedding_projection', 'head')
    return {
        'format_version': FORMAT_VERSION,
        'config': {key: cfg[key] for key in order},
        'tokenizer': spec,
        'labels': labels,
        'weights': [{'name': name, 'shape': list(value.shape), 'data': float32_list(torch.from_numpy(value))}
                    for name, value in weights],
        'metadata': {'source': source},
    }


def main():
    ap = argparse.ArgumentParser(description='Convert a Hugging Face BERT/DistilBERT/ELECTRA sequence classifier '
                                             'folder to an attn model file (format v2).')
    ap.add_argument('folder', help='folder with config.json, weights, tokenizer_config.json and vocab.txt')
    ap.add_argument('--out', required=True, help='attn model file to write (.json)')
    ap.add_argument('--weights', choices=['safetensors', 'bin'],
                    help='which weights file to read (default: model.safetensors when present)')
    ap.add_argument('--max-length', type=int, help=f'most tokens per input, [CLS] and [SEP] included '
                                                   f'(default: the position table, at most {MAX_LENGTH})')
    args = ap.parse_args()
    try:
        doc = convert(args.folder, args.weights, args.max_length)
    except ValueError as e:  # ConversionError, or a malformed file
        sys.exit(f'convert_hf: {e}')
    size = write_document(doc, args.out)
    c, source = doc['config'], doc['metadata']['source']
    print(f'wrote {args.out} ({size} bytes): {source["architecture"]} from {source["weights_file"]}, '
          f'{c["num_layers"]} layers, d_model {c["d_model"]}, {c["num_heads"]} heads, labels {doc["labels"]}')


if __name__ == '__main__':
    main()
