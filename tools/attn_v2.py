"""Evaluate an attn model file of format version 2 (docs/model-format-v2.md) in plain PyTorch, one input at a
time as the C++ engine runs it: the spec's forward pass step by step, from the document's config and tensors only.

A version-1 document reads as version 2 with the new keys at their neutral values (embedding_dim = d_model, no
embedding norm or projection, linear head, no wrapping), so v1 files evaluate here too.

    model = V2Model(json.load(open('model.json')))
    ids = model.encode('a fine film')                       # wrapped with [CLS] ... [SEP] when wrap is cls_sep
    probabilities, attention = model.forward(ids)          # [C], [layers, heads, n, n]
"""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attn_model import sinusoidal_table  # noqa: E402
from attn_tokenizer import WrappedTokenizer  # noqa: E402

V1_KEYS = ('vocab_size', 'max_length', 'd_model', 'num_heads', 'num_layers', 'ffn_dim', 'num_labels',
           'layer_norm_eps', 'norm_placement', 'activation', 'positional_encoding', 'attention_score', 'causal',
           'pooling')
V2_NEUTRAL = {'embedding_norm': False, 'embedding_projection': False, 'head': 'linear'}  # + embedding_dim
CHOICES = {
    'norm_placement': ('post', 'pre'),
    'activation': ('relu', 'gelu', 'gelu_tanh'),
    'positional_encoding': ('sinusoidal', 'learned'),
    'attention_score': ('scaled_dot', 'dot', 'additive'),
    'causal': (False, True),
    'pooling': ('mean', 'max', 'first', 'last', 'attention'),
    'embedding_norm': (False, True),
    'embedding_projection': (False, True),
    'head': ('linear', 'bert_pooler', 'distilbert', 'electra'),
}


def gelu_erf(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


ACTIVATION = {'relu': torch.relu, 'gelu': gelu_erf, 'gelu_tanh': gelu_tanh}
HEAD_ACTIVATION = {'bert_pooler': torch.tanh, 'distilbert': torch.relu, 'electra': gelu_erf}


def read_config(doc):
    """The document's config with the v2 keys filled in for a v1 file; refuses unknown keys and values."""
    version = doc.get('format_version')
    if version not in (1, 2):
        raise ValueError(f'format_version {version!r} is not 1 or 2')
    config = dict(doc['config'])
    new_keys = ('embedding_dim',) + tuple(V2_NEUTRAL)
    expected = V1_KEYS + (new_keys if version == 2 else ())
    missing = [k for k in expected if k not in config]
    unknown = sorted(set(config) - set(expected))
    if missing or unknown:
        raise ValueError(f'config: missing {missing}, unknown {unknown}')
    if version == 1:
        config.update(V2_NEUTRAL, embedding_dim=config['d_model'])
    for key, allowed in CHOICES.items():
        if config[key] not in allowed:
            raise ValueError(f'config.{key}: {config[key]!r} is not supported (supported: {allowed})')
    if version == 1 and config['activation'] == 'gelu_tanh':
        raise ValueError('config.activation: "gelu_tanh" needs format_version 2')
    if not config['embedding_projection'] and config['embedding_dim'] != config['d_model']:
        raise ValueError(f'config.embedding_dim {config["embedding_dim"]} differs from d_model '
                         f'{config["d_model"]} without embedding_projection')
    if config['d_model'] % config['num_heads']:
        raise ValueError('config.num_heads does not divide d_model')
    return config


def expected_shapes(c):
    """name -> shape of every tensor the config calls for (docs/model-format.md and -v2.md)."""
    d, e, f, h = c['d_model'], c['embedding_dim'], c['ffn_dim'], c['num_heads']
    out = {'embedding.weight': [c['vocab_size'], e]}
    if c['positional_encoding'] == 'learned':
        out['position_embedding.weight'] = [c['max_length'], e]
    if c['embedding_norm']:
        out.update({'embedding_norm.weight': [e], 'embedding_norm.bias': [e]})
    if c['embedding_projection']:
        out.update({'embedding_projection.weight': [d, e], 'embedding_projection.bias': [d]})
    for l in range(c['num_layers']):
        p = f'layers.{l}.'
        for part in ('query', 'key', 'value', 'output'):
            out.update({p + f'attention.{part}.weight': [d, d], p + f'attention.{part}.bias': [d]})
        for norm in ('attention_norm', 'ffn_norm'):
            out.update({p + norm + '.weight': [d], p + norm + '.bias': [d]})
        out.update({p + 'ffn.linear1.weight': [f, d], p + 'ffn.linear1.bias': [f],
                    p + 'ffn.linear2.weight': [d, f], p + 'ffn.linear2.bias': [d]})
        if c['attention_score'] == 'additive':
            out[p + 'attention.additive_v'] = [h, d // h]
    if c['norm_placement'] == 'pre':
        out.update({'final_norm.weight': [d], 'final_norm.bias': [d]})
    if c['pooling'] == 'attention':
        out['pooling.query'] = [d]
    if c['head'] != 'linear':
        out.update({'head.dense.weight': [d, d], 'head.dense.bias': [d]})
    out.update({'classifier.weight': [c['num_labels'], d], 'classifier.bias': [c['num_labels']]})
    return out


class V2Model:
    """A parsed model document: config, tokenizer, labels and tensors, every one accounted for."""

    def __init__(self, doc, dtype=torch.float32):
        self.config = c = read_config(doc)
        self.version = doc['format_version']
        self.labels = list(doc['labels'])
        if len(self.labels) != c['num_labels']:
            raise ValueError(f'{len(self.labels)} labels, num_labels {c["num_labels"]}')
        self.tokens = WrappedTokenizer(doc['tokenizer'], self.version)
        self.tokenizer, self.wrap = self.tokens.tokenizer, self.tokens.wrap
        if len(self.tokenizer.vocab_list) != c['vocab_size']:
            raise ValueError('vocab_size differs from the vocabulary')
        shapes = expected_shapes(c)
        stored = {}
        for w in doc['weights']:
            if w['name'] in stored:
                raise ValueError(f'duplicate tensor {w["name"]}')
            stored[w['name']] = w
        missing = [n for n in shapes if n not in stored]
        unknown = sorted(set(stored) - set(shapes))
        if missing or unknown:
            raise ValueError(f'missing tensors {missing}, unknown tensors {unknown}')
        self.t = {}
        for name, shape in shapes.items():
            if list(stored[name]['shape']) != shape:
                raise ValueError(f'{name}: shape {stored[name]["shape"]}, expected {shape}')
            data = np.asarray(stored[name]['data'], dtype=np.float64).astype(np.float32).reshape(shape)
            self.t[name] = torch.from_numpy(data).to(dtype)
        if c['positional_encoding'] == 'sinusoidal':
            self.t['position_embedding.weight'] = sinusoidal_table(c['max_length'], c['embedding_dim']).to(dtype)

    @property
    def text_budget(self):
        """Most text tokens per input: max_length less the wrapping tokens."""
        return self.config['max_length'] - self.tokens.wrap_tokens

    def wrap_ids(self, ids):
        return self.tokens.wrap_ids(ids)

    def encode(self, text):
        """Text -> model ids: the first text_budget tokens (keep-start), wrapped."""
        ids = self.tokens.encode(text, self.config['max_length'])
        if len(ids) == self.tokens.wrap_tokens:
            raise ValueError('the input has no tokens')
        return ids

    def linear(self, x, name):
        return x @ self.t[name + '.weight'].T + self.t[name + '.bias']

    def layer_norm(self, x, name):
        mean = x.mean(dim=-1, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.config['layer_norm_eps']) * self.t[name + '.weight'] \
            + self.t[name + '.bias']

    def attention(self, y, l):
        """y [n, d] -> (a [n, d], A [H, n, n])."""
        c = self.config
        n, d = y.shape
        H = c['num_heads']
        dh = d // H
        p = f'layers.{l}.attention.'
        q, k, v = (self.linear(y, p + part).reshape(n, H, dh).transpose(0, 1) for part in ('query', 'key', 'value'))
        if c['attention_score'] == 'scaled_dot':
            scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
        elif c['attention_score'] == 'dot':
            scores = q @ k.transpose(-1, -2)
        else:
            scores = torch.einsum('hijt,ht->hij', torch.tanh(q[:, :, None] + k[:, None]), self.t[p + 'additive_v'])
        if c['causal']:
            scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float('-inf'))
        weights = torch.softmax(scores, dim=-1)
        out = (weights @ v).transpose(0, 1).reshape(n, d)
        return self.linear(out, p + 'output'), weights

    def pool(self, x):
        how = self.config['pooling']
        if how == 'mean':
            return x.mean(dim=0)
        if how == 'max':
            return x.max(dim=0).values
        if how == 'first':
            return x[0]
        if how == 'last':
            return x[-1]
        weights = torch.softmax(x @ self.t['pooling.query'] / math.sqrt(x.shape[1]), dim=0)
        return weights @ x

    @torch.no_grad()
    def forward(self, ids):
        """Model ids (already wrapped) -> (probabilities [C], attention [layers, heads, n, n])."""
        c = self.config
        n = len(ids)
        if not 1 <= n <= c['max_length']:
            raise ValueError(f'{n} ids (expected 1 to {c["max_length"]})')
        act = ACTIVATION[c['activation']]
        x = self.t['embedding.weight'][torch.as_tensor(ids, dtype=torch.long)] \
            + self.t['position_embedding.weight'][:n]
        if c['embedding_norm']:
            x = self.layer_norm(x, 'embedding_norm')
        if c['embedding_projection']:
            x = self.linear(x, 'embedding_projection')
        attention = []
        for l in range(c['num_layers']):
            p = f'layers.{l}.'
            pre = c['norm_placement'] == 'pre'
            a, weights = self.attention(self.layer_norm(x, p + 'attention_norm') if pre else x, l)
            attention.append(weights)
            x = x + a if pre else self.layer_norm(x + a, p + 'attention_norm')
            y = self.layer_norm(x, p + 'ffn_norm') if pre else x
            ffn = self.linear(act(self.linear(y, p + 'ffn.linear1')), p + 'ffn.linear2')
            x = x + ffn if pre else self.layer_norm(x + ffn, p + 'ffn_norm')
        if c['norm_placement'] == 'pre':
            x = self.layer_norm(x, 'final_norm')
        s = self.pool(x)
        if c['head'] != 'linear':
            s = HEAD_ACTIVATION[c['head']](self.linear(s, 'head.dense'))
        return torch.softmax(self.linear(s, 'classifier'), dim=-1), torch.stack(attention)
