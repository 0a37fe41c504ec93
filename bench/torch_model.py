"""The PyTorch model the benchmark times against attn: a format-v1 file through tools/export.load_model, a
format-v2 file (a classifier imported from Hugging Face by tools/convert_hf.py) as ImportedClassifier, float32.

ImportedClassifier batches the v2 forward pass that tools/attn_v2.py spells out one input at a time: word
embedding + learned positions (the converter folded token type 0 into them), LayerNorm, ELECTRA's projection when
there is one, post-norm encoder layers, the first ([CLS]) state, the head's dense layer and activation, the
classifier. The layers are PyTorch's own nn.TransformerEncoderLayer inside an nn.TransformerEncoder, so that under
torch.inference_mode PyTorch takes its fused path; with grad enabled the same weights run the layers' regular
path. gelu_tanh has no fused kernel, so a model with it runs the regular path only.

On the fused path a batch with much padding is packed into a nested tensor, which skips the padding, and one with
little runs padded: measured here (1 thread, SST-2 sentences), nesting made unsorted batches of 32 and 128 about
twice as fast, and length-sorted ones (under 5 % padding) 10-30 % slower.

A v2 file of the MiniLM shape is some 300 MB of JSON: torch_file() writes its tensors once as a torch file, which
every PyTorch worker loads in a moment.
"""
import functools
import os
import sys
import warnings

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
from attn_v2 import HEAD_ACTIVATION, V2Model  # noqa: E402
from export import load_model  # noqa: E402

IMPORTED_SUFFIX = '.imported.pt'
NESTED_PADDING = 0.25  # the share of a batch's positions that are padding from which the fused path nests it
# The v2 choices an imported BERT, DistilBERT or ELECTRA classifier has (tools/convert_hf.py writes them).
IMPORTED = dict(norm_placement='post', positional_encoding='learned', attention_score='scaled_dot', causal=False,
                pooling='first', embedding_norm=True)
# 1.13 warns on every nested tensor made from a padded batch, that the API is a prototype.
warnings.filterwarnings('ignore', message='The PyTorch API of nested tensors is in prototype stage')
LAYER_ACTIVATIONS = {'relu': 'relu', 'gelu': 'gelu', 'gelu_tanh': functools.partial(F.gelu, approximate='tanh')}


class ImportedClassifier(nn.Module):
    """ids [B, L] long, padded with pad_id at the end -> logits [B, C]."""

    def __init__(self, config, pad_id):
        super().__init__()
        c = config
        odd = {k: c[k] for k, v in IMPORTED.items() if c[k] != v}
        if odd or c['head'] == 'linear':
            raise ValueError(f'not an imported classifier: {odd or "head linear"}')
        d, e, eps = c['d_model'], c['embedding_dim'], c['layer_norm_eps']
        self.pad_id = pad_id
        self.embedding = nn.Embedding(c['vocab_size'], e)  # [vocab, e]
        self.position_embedding = nn.Embedding(c['max_length'], e)  # [max_length, e]
        self.embedding_norm = nn.LayerNorm(e, eps=eps)
        self.embedding_projection = nn.Linear(e, d) if c['embedding_projection'] else None  # [d, e]
        layer = nn.TransformerEncoderLayer(d, c['num_heads'], c['ffn_dim'], dropout=0.0,
                                           activation=LAYER_ACTIVATIONS[c['activation']], layer_norm_eps=eps,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, c['num_layers'], enable_nested_tensor=True)
        self.head = nn.Linear(d, d)
        self.head_activation = HEAD_ACTIVATION[c['head']]
        self.classifier = nn.Linear(d, c['num_labels'])

    def forward(self, ids):
        pad_mask = ids.eq(self.pad_id)  # [B, L], True at padding
        self.encoder.enable_nested_tensor = bool(pad_mask.float().mean() >= NESTED_PADDING)
        x = self.embedding(ids) + self.position_embedding.weight[:ids.size(1)]
        x = self.embedding_norm(x)
        if self.embedding_projection is not None:
            x = self.embedding_projection(x)
        x = self.encoder(x, src_key_padding_mask=pad_mask)  # [B, L, d]; padded rows come back as zeros
        return self.classifier(self.head_activation(self.head(x[:, 0])))


def state_dict(config, t):
    """attn v2 tensors (name -> tensor) -> ImportedClassifier's state dict. The attention's query, key and value
    [d, d] each stack into in_proj_weight [3d, d] in that order; attention_norm is norm1, ffn_norm norm2."""
    out = {'embedding.weight': t['embedding.weight'], 'position_embedding.weight': t['position_embedding.weight']}
    parts = {'embedding_norm': 'embedding_norm', 'head': 'head.dense', 'classifier': 'classifier'}
    if config['embedding_projection']:
        parts['embedding_projection'] = 'embedding_projection'
    for l in range(config['num_layers']):
        ours, theirs = f'encoder.layers.{l}.', f'layers.{l}.'
        for kind in ('weight', 'bias'):
            out[ours + 'self_attn.in_proj_' + kind] = torch.cat(
                [t[f'{theirs}attention.{part}.{kind}'] for part in ('query', 'key', 'value')])
        parts.update({ours + 'self_attn.out_proj': theirs + 'attention.output',
                      ours + 'norm1': theirs + 'attention_norm', ours + 'linear1': theirs + 'ffn.linear1',
                      ours + 'linear2': theirs + 'ffn.linear2', ours + 'norm2': theirs + 'ffn_norm'})
    for ours, theirs in parts.items():
        for kind in ('weight', 'bias'):
            out[f'{ours}.{kind}'] = t[f'{theirs}.{kind}']
    return out


def torch_file(doc, json_path, folder):
    """The file the PyTorch workers load for this model document: json_path itself for format v1; for v2 its
    tensors (float32) and config, written once into folder."""
    if doc.get('format_version', 1) == 1:
        return json_path
    model = V2Model(doc)
    path = os.path.join(folder, os.path.splitext(os.path.basename(json_path))[0] + IMPORTED_SUFFIX)
    torch.save({'config': model.config, 'pad_id': model.tokenizer.pad_id, 'state': state_dict(model.config, model.t)},
               path)
    return path


def load(path):
    """A file from torch_file() -> (model in eval mode, pad id)."""
    if not path.endswith(IMPORTED_SUFFIX):
        model, tokenizer, _ = load_model(path)
        return model.eval(), tokenizer.pad_id
    saved = torch.load(path)
    model = ImportedClassifier(saved['config'], saved['pad_id'])
    model.load_state_dict(saved['state'])
    return model.eval(), saved['pad_id']
