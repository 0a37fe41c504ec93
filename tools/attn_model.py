"""PyTorch reference model for attn format v1 (docs/model-format.md, "The forward pass these values describe").

Shapes: B = batch, L = padded sequence length, d = d_model, H = num_heads, C = num_labels.
Padding uses the tokenizer's pad id; padded positions are masked out of attention (as keys) and out of the
pooling, so a padded batch gives the same logits as running each input on its own.

Every architecture variant of the format is a constructor argument. Blocks are PyTorch's own
nn.TransformerEncoderLayer wherever it expresses the variant (scaled dot-product scores, post- or pre-norm,
ReLU or exact GELU, a causal mask); the unscaled dot and additive (Bahdanau) scores, which it cannot express,
are ScoreEncoderLayer: the same parameters and the same block, with the scores computed in plain torch ops.
"""
import math

import torch
from torch import nn


def sinusoidal_table(max_length, d_model):
    """[max_length, d] interleaved encoding: P[pos][2j] = sin(pos / 10000^(2j/d)), P[pos][2j+1] = cos(same).

    Computed in float64 and rounded once to float32, so any implementation that evaluates the formula in double
    precision gets the same float32 table.
    """
    table = torch.zeros(max_length, d_model, dtype=torch.float64)
    for pos in range(max_length):
        for i in range(0, d_model, 2):
            angle = pos / math.pow(10000.0, i / d_model)
            table[pos, i] = math.sin(angle)
            if i + 1 < d_model:
                table[pos, i + 1] = math.cos(angle)
    return table.to(torch.float32)


VARIANT_CHOICES = {
    'norm_placement': ('post', 'pre'),
    'activation': ('relu', 'gelu'),
    'positional_encoding': ('sinusoidal', 'learned'),
    'attention_score': ('scaled_dot', 'dot', 'additive'),
    'causal': (False, True),
    'pooling': ('mean', 'max', 'first', 'last', 'attention'),
}
DEFAULT_VARIANT = {'norm_placement': 'post', 'activation': 'relu', 'positional_encoding': 'sinusoidal',
                   'attention_score': 'scaled_dot', 'causal': False, 'pooling': 'mean'}


def causal_mask(length, device=None):
    """[L, L] bool, True above the diagonal: query i may not attend to key j > i."""
    return torch.ones(length, length, dtype=torch.bool, device=device).triu(1)


class ScoreEncoderLayer(nn.TransformerEncoderLayer):
    """nn.TransformerEncoderLayer with unscaled dot or additive scores instead of scaled dot-product.

    Same parameters (self_attn.in_proj_*, self_attn.out_proj, linear1/2, norm1/2), plus for additive scores
    additive_v [H, d_head]: S[i][j] = v_h . tanh(q_h[i] + k_h[j]), q and k being the projected query and key.
    """

    def __init__(self, d_model, nhead, dim_feedforward, dropout, score, **kwargs):
        super().__init__(d_model, nhead, dim_feedforward, dropout, batch_first=True, **kwargs)
        self.score = score
        self.num_heads = nhead
        self.additive_v = nn.Parameter(torch.randn(nhead, d_model // nhead) * 0.1) if score == 'additive' else None

    def attention(self, y, key_padding_mask=None, attn_mask=None):
        """y [B, L, d] -> (output [B, L, d], weights [B, H, L, L])."""
        B, L, d = y.shape
        H = self.num_heads
        qkv = nn.functional.linear(y, self.self_attn.in_proj_weight, self.self_attn.in_proj_bias)
        q, k, v = (t.reshape(B, L, H, d // H).transpose(1, 2) for t in qkv.chunk(3, dim=-1))  # [B, H, L, dh]
        if self.score == 'dot':
            scores = q @ k.transpose(-1, -2)
        else:  # additive: [B, H, L, 1, dh] + [B, H, 1, L, dh] -> tanh -> . v_h
            scores = torch.einsum('bhijt,ht->bhij', torch.tanh(q.unsqueeze(3) + k.unsqueeze(2)), self.additive_v)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask, float('-inf'))
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask[:, None, None, :], float('-inf'))
        weights = torch.softmax(scores, dim=-1)
        out = (self.dropout(weights) @ v).transpose(1, 2).reshape(B, L, d)
        return self.self_attn.out_proj(out), weights

    def _sa_block(self, x, attn_mask, key_padding_mask):
        return self.dropout1(self.attention(x, key_padding_mask, attn_mask)[0])

    def forward(self, src, src_mask=None, src_key_padding_mask=None):
        # The block of nn.TransformerEncoderLayer without its fused fast path, which would bypass _sa_block.
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask))
            x = self.norm2(x + self._ff_block(x))
        return x


class AttnClassifier(nn.Module):
    """Token embedding + positions -> encoder layers -> pooling over real tokens -> linear head."""

    def __init__(self, vocab_size, num_labels, d_model=128, num_heads=4, num_layers=2, ffn_dim=512,
                 max_length=64, dropout=0.1, pad_id=0, layer_norm_eps=1e-6, **variant):
        super().__init__()
        unknown = set(variant) - set(DEFAULT_VARIANT)
        if unknown:
            raise ValueError(f'unknown variant options {sorted(unknown)}')
        variant = {**DEFAULT_VARIANT, **variant}
        for key, value in variant.items():
            if value not in VARIANT_CHOICES[key]:
                raise ValueError(f'{key}={value!r} is not one of {VARIANT_CHOICES[key]}')
        self.config = dict(vocab_size=vocab_size, max_length=max_length, d_model=d_model, num_heads=num_heads,
                           num_layers=num_layers, ffn_dim=ffn_dim, num_labels=num_labels,
                           layer_norm_eps=layer_norm_eps, **variant)
        self.variant = variant
        self.pad_id = pad_id
        self.max_length = max_length
        self.embedding = nn.Embedding(vocab_size, d_model)
        if variant['positional_encoding'] == 'learned':
            self.position_embedding = nn.Embedding(max_length, d_model)
        else:
            self.position_embedding = None
            self.register_buffer('positions', sinusoidal_table(max_length, d_model), persistent=False)
        options = dict(norm_first=variant['norm_placement'] == 'pre', activation=variant['activation'],
                       layer_norm_eps=layer_norm_eps)
        if variant['attention_score'] == 'scaled_dot':
            make = lambda: nn.TransformerEncoderLayer(d_model, num_heads, ffn_dim, dropout, batch_first=True,
                                                      **options)
        else:
            make = lambda: ScoreEncoderLayer(d_model, num_heads, ffn_dim, dropout, variant['attention_score'],
                                             **options)
        self.layers = nn.ModuleList([make() for _ in range(num_layers)])
        self.final_norm = nn.LayerNorm(d_model, eps=layer_norm_eps) if variant['norm_placement'] == 'pre' else None
        self.pooling_query = (nn.Parameter(torch.randn(d_model) * d_model ** -0.5)
                              if variant['pooling'] == 'attention' else None)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(d_model, num_labels)

    def embed(self, ids):
        """ids [B, L] long -> (x [B, L, d], pad_mask [B, L] bool, True at padding)."""
        if ids.size(1) > self.max_length:
            raise ValueError(f'sequence of {ids.size(1)} tokens exceeds max_length {self.max_length}')
        pad_mask = ids.eq(self.pad_id)
        if self.position_embedding is not None:
            positions = self.position_embedding.weight[:ids.size(1)]
        else:
            positions = self.positions[:ids.size(1)]
        x = self.embedding(ids) + positions.unsqueeze(0)
        return x, pad_mask

    def attn_mask(self, length, device=None):
        return causal_mask(length, device) if self.variant['causal'] else None

    def pool(self, x, pad_mask):
        """x [B, L, d] -> (pooled [B, d], pooling weights [B, L] or None). Padded states may hold anything."""
        keep = ~pad_mask
        how = self.variant['pooling']
        if how == 'mean':
            summed = torch.where(keep.unsqueeze(-1), x, torch.zeros_like(x)).sum(dim=1)
            return summed / keep.sum(dim=1, keepdim=True).clamp(min=1).to(x.dtype), None
        if how == 'max':
            return torch.where(keep.unsqueeze(-1), x, torch.full_like(x, float('-inf'))).max(dim=1).values, None
        if how == 'first':
            return x[:, 0], None
        if how == 'last':
            last = keep.sum(dim=1) - 1
            return x[torch.arange(x.size(0)), last], None
        scores = (x @ self.pooling_query) / math.sqrt(x.size(-1))
        weights = torch.softmax(scores.masked_fill(pad_mask, float('-inf')), dim=-1)  # [B, L]
        pooled = (torch.where(keep.unsqueeze(-1), x, torch.zeros_like(x)) * weights.unsqueeze(-1)).sum(dim=1)
        return pooled, weights

    def finish(self, x, pad_mask):
        """Final norm (pre-norm only), pooling and the head: x [B, L, d] -> (logits [B, C], pooling weights)."""
        if self.final_norm is not None:
            x = self.final_norm(x)
        pooled, weights = self.pool(x, pad_mask)
        return self.classifier(self.dropout(pooled)), weights

    def pool_and_classify(self, x, pad_mask):
        return self.finish(x, pad_mask)[0]

    def forward(self, ids, embedding_dropout=None):
        """ids [B, L] -> logits [B, C]. embedding_dropout (a module, training only) acts on x before layer 0."""
        x, pad_mask = self.embed(ids)
        if embedding_dropout is not None:
            x = embedding_dropout(x)
        mask = self.attn_mask(ids.size(1), ids.device)
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=pad_mask)
        return self.pool_and_classify(x, pad_mask)


@torch.no_grad()
def run_with_attention(model, ids, with_pooling=False):
    """Eval-mode forward that also returns the attention matrices.

    ids [B, L] long (padded with model.pad_id) -> (logits [B, C], attention [B, num_layers, H, L, L]), and with
    with_pooling also the attention-pooling weights [B, L] (None for other poolings). The weights come from
    calling the layer's attention on what it sees: the block input (post-norm) or norm1 of it (pre-norm);
    padded keys get weight 0. Rows of padded queries are not meaningful.
    """
    was_training = model.training
    model.eval()
    try:
        x, pad_mask = model.embed(ids)
        mask = model.attn_mask(ids.size(1), ids.device)
        attention = []
        for layer in model.layers:
            y = layer.norm1(x) if layer.norm_first else x
            if isinstance(layer, ScoreEncoderLayer):
                _, weights = layer.attention(y, pad_mask, mask)
            else:
                _, weights = layer.self_attn(y, y, y, key_padding_mask=pad_mask, attn_mask=mask, need_weights=True,
                                             average_attn_weights=False)  # [B, H, L, L]
            attention.append(weights)
            x = layer(x, src_mask=mask, src_key_padding_mask=pad_mask)
        logits, pooling = model.finish(x, pad_mask)
        if with_pooling:
            return logits, torch.stack(attention, dim=1), pooling
        return logits, torch.stack(attention, dim=1)
    finally:
        model.train(was_training)


def pad_batch(sequences, pad_id):
    """List of id lists -> [B, max len] long tensor padded at the end with pad_id."""
    length = max(len(s) for s in sequences)
    out = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    for row, seq in enumerate(sequences):
        out[row, :len(seq)] = torch.tensor(seq, dtype=torch.long)
    return out
