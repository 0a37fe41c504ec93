"""Independent PyTorch reference of three Hugging Face sequence classifiers, from their published descriptions.

BertForSequenceClassification (Devlin et al. 2019), DistilBertForSequenceClassification (Sanh et al. 2019) and
ElectraForSequenceClassification (Clark et al. 2020), evaluated from a dict of tensors under the Hugging Face
names and the folder's config.json; the transformers package is not used. Written for checking
tools/convert_hf.py, so it follows the classes, not attn's format:

- embeddings: word + absolute position + token type (all type 0 here) for BERT and ELECTRA, word + position for
  DistilBERT; then LayerNorm; ELECTRA then projects from embedding_size to hidden_size when they differ
  (`electra.embeddings_project`).
- encoder layer (post-norm): multi-head self-attention with scores q.k / sqrt(d_head) and the padding mask
  (padded keys get a large negative score, so weight 0), output projection, residual, LayerNorm; feed-forward
  (intermediate dense, activation, output dense), residual, LayerNorm.
- activations by config name: "gelu" is the erf form, "gelu_new" and "gelu_pytorch_tanh" the tanh
  approximation, "relu".
- heads on the first ([CLS]) token: BERT's pooler dense + tanh then `classifier`; DistilBERT's `pre_classifier`
  dense + ReLU then `classifier`; ELECTRA's `classifier.dense` + GELU (erf, whatever hidden_act says) then
  `classifier.out_proj`. Dropout is the identity at inference.
- eps: layer_norm_eps from the config for BERT and ELECTRA; DistilBERT's layer norms use 1e-12.

forward(config, tensors, input_ids, attention_mask) -> (probabilities [B, C], attentions [B, layers, heads, T, T]).
"""
import math

import torch

ARCHITECTURES = ('BertForSequenceClassification', 'DistilBertForSequenceClassification',
                 'ElectraForSequenceClassification')
DISTILBERT_EPS = 1e-12


def gelu_erf(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


ACTIVATIONS = {'gelu': gelu_erf, 'gelu_new': gelu_tanh, 'gelu_pytorch_tanh': gelu_tanh, 'relu': torch.relu}


def dims(config):
    """The sizes of a config.json under one set of names, whatever the architecture calls them."""
    arch = config['architectures'][0]
    if arch == 'DistilBertForSequenceClassification':
        d = config['dim']
        return dict(arch=arch, prefix='distilbert', hidden=d, embedding=d, heads=config['n_heads'],
                    layers=config['n_layers'], ffn=config['hidden_dim'], act=config['activation'],
                    eps=DISTILBERT_EPS, types=0)
    if arch not in ARCHITECTURES:
        raise ValueError(f'architecture {arch} is not one of {ARCHITECTURES}')
    hidden = config['hidden_size']
    return dict(arch=arch, prefix='bert' if arch.startswith('Bert') else 'electra', hidden=hidden,
                embedding=config.get('embedding_size', hidden), heads=config['num_attention_heads'],
                layers=config['num_hidden_layers'], ffn=config['intermediate_size'], act=config['hidden_act'],
                eps=config['layer_norm_eps'], types=config['type_vocab_size'])


def tensor_shapes(config):
    """Every tensor of the class's state dict: dict name -> shape, in the order the class registers them."""
    s = dims(config)
    h, e, f, p = s['hidden'], s['embedding'], s['ffn'], s['prefix']
    vocab, positions, labels = config['vocab_size'], config['max_position_embeddings'], len(config['id2label'])
    out = {f'{p}.embeddings.word_embeddings.weight': [vocab, e],
           f'{p}.embeddings.position_embeddings.weight': [positions, e]}
    if s['types']:
        out[f'{p}.embeddings.token_type_embeddings.weight'] = [s['types'], e]
    out[f'{p}.embeddings.LayerNorm.weight'] = [e]
    out[f'{p}.embeddings.LayerNorm.bias'] = [e]
    if p == 'electra' and e != h:
        out['electra.embeddings_project.weight'] = [h, e]
        out['electra.embeddings_project.bias'] = [h]

    def linear(name, n_out, n_in):
        out[name + '.weight'] = [n_out, n_in]
        out[name + '.bias'] = [n_out]

    def norm(name):
        out[name + '.weight'] = [h]
        out[name + '.bias'] = [h]

    for l in range(s['layers']):
        if p == 'distilbert':
            q = f'distilbert.transformer.layer.{l}.'
            for part in ('q_lin', 'k_lin', 'v_lin', 'out_lin'):
                linear(q + 'attention.' + part, h, h)
            norm(q + 'sa_layer_norm')
            linear(q + 'ffn.lin1', f, h)
            linear(q + 'ffn.lin2', h, f)
            norm(q + 'output_layer_norm')
        else:
            q = f'{p}.encoder.layer.{l}.'
            for part in ('query', 'key', 'value'):
                linear(q + 'attention.self.' + part, h, h)
            linear(q + 'attention.output.dense', h, h)
            norm(q + 'attention.output.LayerNorm')
            linear(q + 'intermediate.dense', f, h)
            linear(q + 'output.dense', h, f)
            norm(q + 'output.LayerNorm')
    if p == 'bert':
        linear('bert.pooler.dense', h, h)
        linear('classifier', labels, h)
    elif p == 'distilbert':
        linear('pre_classifier', h, h)
        linear('classifier', labels, h)
    else:
        linear('classifier.dense', h, h)
        linear('classifier.out_proj', labels, h)
    return out


def layer_norm(x, t, name, eps):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * t[name + '.weight'] + t[name + '.bias']


def dense(x, t, name):
    return x @ t[name + '.weight'].T + t[name + '.bias']


def self_attention(x, t, names, heads, keep):
    """x [B, T, h], keep [B, T] bool -> (output [B, T, h] before the output projection, weights [B, H, T, T])."""
    B, T, h = x.shape
    dh = h // heads

    def split(name):
        return dense(x, t, name).reshape(B, T, heads, dh).permute(0, 2, 1, 3)  # [B, H, T, dh]

    q, k, v = (split(n) for n in names)
    scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
    scores = scores.masked_fill(~keep[:, None, None, :], torch.finfo(scores.dtype).min)
    weights = torch.softmax(scores, dim=-1)
    return (weights @ v).permute(0, 2, 1, 3).reshape(B, T, h), weights


def embed(config, s, t, ids):
    p = s['prefix']
    T = ids.shape[1]
    x = t[f'{p}.embeddings.word_embeddings.weight'][ids] + t[f'{p}.embeddings.position_embeddings.weight'][:T]
    if s['types']:
        x = x + t[f'{p}.embeddings.token_type_embeddings.weight'][0]  # token_type_ids all 0
    x = layer_norm(x, t, f'{p}.embeddings.LayerNorm', s['eps'])
    if 'electra.embeddings_project.weight' in t:
        x = dense(x, t, 'electra.embeddings_project')
    return x


def classify(s, t, first):
    """first: [B, h] state of the first token -> logits [B, C]."""
    if s['prefix'] == 'bert':
        return dense(torch.tanh(dense(first, t, 'bert.pooler.dense')), t, 'classifier')
    if s['prefix'] == 'distilbert':
        return dense(torch.relu(dense(first, t, 'pre_classifier')), t, 'classifier')
    return dense(gelu_erf(dense(first, t, 'classifier.dense')), t, 'classifier.out_proj')


@torch.no_grad()
def forward(config, tensors, input_ids, attention_mask=None, dtype=torch.float64):
    """config: parsed config.json; tensors: name -> array or tensor; input_ids [B, T] (first token [CLS]).

    attention_mask [B, T] (1 real, 0 padding; default all 1). Returns (probabilities [B, C],
    attentions [B, layers, heads, T, T]) in dtype.
    """
    s = dims(config)
    if config.get('position_embedding_type', 'absolute') != 'absolute':
        raise ValueError(f'position_embedding_type {config["position_embedding_type"]} is not modelled here')
    if s['act'] not in ACTIVATIONS:
        raise ValueError(f'activation {s["act"]} is not modelled here')
    act = ACTIVATIONS[s['act']]
    t = {name: torch.as_tensor(value).to(dtype) for name, value in tensors.items()}
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    keep = torch.ones_like(ids, dtype=torch.bool) if attention_mask is None else torch.as_tensor(attention_mask).bool()
    x = embed(config, s, t, ids)
    attentions = []
    for l in range(s['layers']):
        if s['prefix'] == 'distilbert':
            q = f'distilbert.transformer.layer.{l}.'
            names = [q + 'attention.' + n for n in ('q_lin', 'k_lin', 'v_lin')]
            out, weights = self_attention(x, t, names, s['heads'], keep)
            x = layer_norm(x + dense(out, t, q + 'attention.out_lin'), t, q + 'sa_layer_norm', s['eps'])
            ffn = dense(act(dense(x, t, q + 'ffn.lin1')), t, q + 'ffn.lin2')
            x = layer_norm(x + ffn, t, q + 'output_layer_norm', s['eps'])
        else:
            q = f'{s["prefix"]}.encoder.layer.{l}.'
            names = [q + 'attention.self.' + n for n in ('query', 'key', 'value')]
            out, weights = self_attention(x, t, names, s['heads'], keep)
            x = layer_norm(x + dense(out, t, q + 'attention.output.dense'), t, q + 'attention.output.LayerNorm',
                           s['eps'])
            ffn = dense(act(dense(x, t, q + 'intermediate.dense')), t, q + 'output.dense')
            x = layer_norm(x + ffn, t, q + 'output.LayerNorm', s['eps'])
        attentions.append(weights)
    logits = classify(s, t, x[:, 0])
    return torch.softmax(logits, dim=-1), torch.stack(attentions, dim=1)
