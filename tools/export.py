"""Write and read attn model files (format v1, docs/model-format.md) for models built by attn_model.py.

export_model(model, tokenizer_spec, labels, path, metadata) writes the JSON; load_model(path) rebuilds the
PyTorch model and returns (model, tokenizer, document). Every float is written with 9 significant digits, so it
reads back bit for bit as float32.

CLI: export.py --checkpoint X.pt --out Y.json, where X.pt is a torch.save'd dict with keys
state_dict, config (AttnClassifier keyword arguments), tokenizer (the tokenizer spec), labels, metadata.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attn_model import DEFAULT_VARIANT, AttnClassifier  # noqa: E402
from attn_tokenizer import Tokenizer  # noqa: E402

FORMAT_VERSION = 1

# The architecture keys of `config` (docs/model-format.md); AttnClassifier takes each as a keyword argument.
VARIANT_KEYS = tuple(DEFAULT_VARIANT)


def float32_list(tensor):
    """Tensor -> flat list of Python floats that print with at most 9 significant digits.

    '%.9g' of a float32 value identifies it uniquely, so parsing the text and rounding to float32 gives the
    same bits back; float() of that text makes json emit the shortest repr of it (<= 9 digits).
    """
    values = tensor.detach().to(torch.float32).contiguous().view(-1).numpy()
    if not np.all(np.isfinite(values)):
        raise ValueError('tensor holds NaN or infinity; format v1 cannot store it')
    return [float('%.9g' % v) for v in values.tolist()]


def encoder_parts(model):
    """(list of encoder layers, final norm or None). model.layers may be a ModuleList of layers or an
    nn.TransformerEncoder, whose own `norm` is then the final norm unless model.final_norm is set."""
    layers = model.layers
    final_norm = getattr(model, 'final_norm', None)
    if isinstance(layers, nn.TransformerEncoder):
        final_norm = final_norm if final_norm is not None else layers.norm
        layers = layers.layers
    return list(layers), final_norm


def norm_parameters(norm, width):
    """A LayerNorm's (gamma, beta); one built with elementwise_affine=False is gamma 1, beta 0."""
    weight = norm.weight if norm.weight is not None else torch.ones(width)
    bias = norm.bias if getattr(norm, 'bias', None) is not None else torch.zeros(width)
    return weight, bias


def bias_or_zeros(bias, width):
    return bias if bias is not None else torch.zeros(width)


def format_weights(model):
    """Named tensors in format-v1 naming and [out, in] layout: list of (name, tensor). Parameters a module
    was built without (a LayerNorm without elementwise affine, a layer without biases) are written as the
    values that act the same: gamma 1, beta 0, bias 0."""
    out = [('embedding.weight', model.embedding.weight)]
    if model.position_embedding is not None:
        out.append(('position_embedding.weight', model.position_embedding.weight))
    d = model.config['d_model']
    layers, final_norm = encoder_parts(model)
    for l, layer in enumerate(layers):
        attn = layer.self_attn
        w, b = attn.in_proj_weight, bias_or_zeros(attn.in_proj_bias, 3 * d)  # [3d, d], [3d]: query, key, value
        p = f'layers.{l}.'
        for i, part in enumerate(('query', 'key', 'value')):
            out.append((p + f'attention.{part}.weight', w[i * d:(i + 1) * d]))
            out.append((p + f'attention.{part}.bias', b[i * d:(i + 1) * d]))
        norm1, norm2 = norm_parameters(layer.norm1, d), norm_parameters(layer.norm2, d)
        out += [
            (p + 'attention.output.weight', attn.out_proj.weight),
            (p + 'attention.output.bias', bias_or_zeros(attn.out_proj.bias, d)),
            (p + 'attention_norm.weight', norm1[0]),
            (p + 'attention_norm.bias', norm1[1]),
            (p + 'ffn.linear1.weight', layer.linear1.weight),
            (p + 'ffn.linear1.bias', bias_or_zeros(layer.linear1.bias, layer.linear1.out_features)),
            (p + 'ffn.linear2.weight', layer.linear2.weight),
            (p + 'ffn.linear2.bias', bias_or_zeros(layer.linear2.bias, d)),
            (p + 'ffn_norm.weight', norm2[0]),
            (p + 'ffn_norm.bias', norm2[1]),
        ]
        if getattr(layer, 'additive_v', None) is not None:
            out.append((p + 'attention.additive_v', layer.additive_v))  # [H, d_head]
    if final_norm is not None:
        gamma, beta = norm_parameters(final_norm, d)
        out += [('final_norm.weight', gamma), ('final_norm.bias', beta)]
    if model.pooling_query is not None:
        out.append(('pooling.query', model.pooling_query))
    out += [('classifier.weight', model.classifier.weight),
            ('classifier.bias', bias_or_zeros(model.classifier.bias, model.config['num_labels']))]
    return out


def activation_name(layer):
    """The format's name of a layer's feed-forward activation, or a description of one it has no name for."""
    act = layer.activation
    if act is F.relu or isinstance(act, nn.ReLU):
        return 'relu'
    if act is F.gelu or (isinstance(act, nn.GELU) and act.approximate == 'none'):
        return 'gelu'
    if isinstance(act, nn.GELU):
        return f'GELU(approximate={act.approximate!r})'
    return getattr(act, '__name__', type(act).__name__)


def check_norm(name, norm, d, eps):
    if not isinstance(norm, nn.LayerNorm):
        raise ValueError(f'{name}: {type(norm).__name__} is not a LayerNorm')
    if tuple(norm.normalized_shape) != (d,):
        raise ValueError(f'{name}: normalizes over {tuple(norm.normalized_shape)}, expected ({d},)')
    if norm.eps != eps:
        raise ValueError(f'{name}: eps {norm.eps} differs from the config\'s layer_norm_eps {eps} '
                         f'(the format has one eps for every layer norm)')


def check_model(model):
    """Refuse, by name, what the format cannot describe (a layer built with other options than the config).

    batch_first is not checked: it only changes the layout of a layer's input, not its weights."""
    cfg = model.config
    d, eps = cfg['d_model'], cfg['layer_norm_eps']
    layers, final_norm = encoder_parts(model)
    if len(layers) != cfg['num_layers']:
        raise ValueError(f'{len(layers)} encoder layers, the config says num_layers {cfg["num_layers"]}')
    for l, layer in enumerate(layers):
        if layer.norm_first != (cfg['norm_placement'] == 'pre'):
            raise ValueError(f'layer {l}: norm_first={layer.norm_first} disagrees with the config\'s '
                             f'norm_placement {cfg["norm_placement"]!r}')
        if not layer.self_attn._qkv_same_embed_dim:
            raise ValueError(f'layer {l}: attention with separate key/value widths (kdim/vdim) is not supported')
        act = activation_name(layer)
        if act != cfg['activation']:
            raise ValueError(f'layer {l}: activation {act} differs from the config\'s activation '
                             f'{cfg["activation"]!r} (format v1 has one activation: relu or the exact gelu)')
        check_norm(f'layer {l}: norm1', layer.norm1, d, eps)
        check_norm(f'layer {l}: norm2', layer.norm2, d, eps)
    if cfg['norm_placement'] == 'pre':
        if final_norm is None:
            raise ValueError('a pre-norm stack without a final LayerNorm: format v1 requires final_norm for '
                             'norm_placement "pre"')
        check_norm('final norm', final_norm, d, eps)
    elif final_norm is not None:
        raise ValueError('a post-norm stack with a final LayerNorm: format v1 has no final norm for '
                         'norm_placement "post"')


def build_document(model, tokenizer_spec, labels, metadata=None):
    check_model(model)
    cfg = model.config
    if len(labels) != cfg['num_labels']:
        raise ValueError(f'{len(labels)} labels for a model with {cfg["num_labels"]} outputs')
    if len(tokenizer_spec['vocab']) != cfg['vocab_size']:
        raise ValueError(f'vocabulary has {len(tokenizer_spec["vocab"])} entries, embedding {cfg["vocab_size"]}')
    config = {k: cfg[k] for k in ('vocab_size', 'max_length', 'd_model', 'num_heads', 'num_layers', 'ffn_dim',
                                  'num_labels', 'layer_norm_eps')}
    config.update({k: cfg[k] for k in VARIANT_KEYS})
    weights = [{'name': name, 'shape': list(t.shape), 'data': float32_list(t)} for name, t in format_weights(model)]
    return {
        'format_version': FORMAT_VERSION,
        'config': config,
        'tokenizer': tokenizer_spec,
        'labels': list(labels),
        'weights': weights,
        'metadata': metadata or {},
    }


def export_model(model, tokenizer_spec, labels, path, metadata=None):
    """Write model as a format-v1 JSON file at path. Returns the file size in bytes."""
    return write_document(build_document(model, tokenizer_spec, labels, metadata), path)


def write_document(doc, path):
    """Write a model document (any format version) atomically at path. Returns the file size in bytes."""
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        # One tensor per line keeps the file diff- and grep-friendly without the cost of full indentation.
        f.write('{\n')
        for key in ('format_version', 'config', 'tokenizer', 'labels', 'metadata'):
            f.write(f'"{key}": {json.dumps(doc[key], ensure_ascii=False, allow_nan=False)},\n')
        f.write('"weights": [\n')
        for i, w in enumerate(doc['weights']):
            sep = ',' if i + 1 < len(doc['weights']) else ''
            f.write(json.dumps(w, allow_nan=False, separators=(',', ':')) + sep + '\n')
        f.write(']\n}\n')
    os.replace(tmp, path)
    return os.path.getsize(path)


def model_from_document(doc, dropout=0.0):
    """Rebuild an AttnClassifier (eval mode) from a parsed format-v1 document."""
    if doc.get('format_version') != FORMAT_VERSION:
        raise ValueError(f'format_version {doc.get("format_version")!r} is not {FORMAT_VERSION}')
    cfg = doc['config']
    tokenizer = Tokenizer(doc['tokenizer'])
    model = AttnClassifier(cfg['vocab_size'], cfg['num_labels'], d_model=cfg['d_model'],
                           num_heads=cfg['num_heads'], num_layers=cfg['num_layers'], ffn_dim=cfg['ffn_dim'],
                           max_length=cfg['max_length'], dropout=dropout, pad_id=tokenizer.pad_id,
                           layer_norm_eps=cfg['layer_norm_eps'], **{k: cfg[k] for k in VARIANT_KEYS})
    stored = {w['name']: w for w in doc['weights']}
    if len(stored) != len(doc['weights']):
        raise ValueError('duplicate weight names')
    expected = format_weights(model)
    missing = [name for name, _ in expected if name not in stored]
    unknown = sorted(set(stored) - {name for name, _ in expected})
    if missing or unknown:
        raise ValueError(f'missing weights {missing}, unknown weights {unknown}')
    with torch.no_grad():
        for name, param in expected:
            w = stored[name]
            if list(w['shape']) != list(param.shape):
                raise ValueError(f'{name}: shape {w["shape"]}, expected {list(param.shape)}')
            data = np.asarray(w['data'], dtype=np.float64).astype(np.float32)
            param.copy_(torch.from_numpy(data.reshape(param.shape)))  # slices of in_proj write through
    model.eval()
    return model, tokenizer


def load_model(path):
    """Read a format-v1 file -> (model in eval mode, Tokenizer, document)."""
    with open(path, encoding='utf-8') as f:
        doc = json.load(f)
    model, tokenizer = model_from_document(doc)
    return model, tokenizer, doc


def main():
    ap = argparse.ArgumentParser(description='Export a saved checkpoint to attn format v1.')
    ap.add_argument('--checkpoint', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    ckpt = torch.load(args.checkpoint, map_location='cpu')
    model = AttnClassifier(**ckpt['config'])
    model.load_state_dict(ckpt['state_dict'])
    size = export_model(model, ckpt['tokenizer'], ckpt['labels'], args.out, ckpt.get('metadata'))
    print(f'wrote {args.out} ({size} bytes)')


if __name__ == '__main__':
    main()
