"""PyTorch reference model for attn format v1 (docs/model-format.md, "The forward pass these values describe").

Shapes: B = batch, L = padded sequence length, d = d_model, H = num_heads, C = num_labels.
Padding uses the tokenizer's pad id; padded positions are masked out of attention (as keys) and out of the
mean pooling, so a padded batch gives the same logits as running each input on its own.
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


class AttnClassifier(nn.Module):
    """Token embedding + sinusoidal positions -> post-norm encoder layers -> masked mean pool -> linear head."""

    def __init__(self, vocab_size, num_labels, d_model=128, num_heads=4, num_layers=2, ffn_dim=512,
                 max_length=64, dropout=0.1, pad_id=0, layer_norm_eps=1e-6):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, max_length=max_length, d_model=d_model, num_heads=num_heads,
                           num_layers=num_layers, ffn_dim=ffn_dim, num_labels=num_labels,
                           layer_norm_eps=layer_norm_eps)
        self.pad_id = pad_id
        self.max_length = max_length
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.register_buffer('positions', sinusoidal_table(max_length, d_model), persistent=False)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(d_model, num_heads, ffn_dim, dropout, batch_first=True, norm_first=False,
                                       activation='relu', layer_norm_eps=layer_norm_eps)
            for _ in range(num_layers)])
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(d_model, num_labels)

    def embed(self, ids):
        """ids [B, L] long -> (x [B, L, d], pad_mask [B, L] bool, True at padding)."""
        if ids.size(1) > self.max_length:
            raise ValueError(f'sequence of {ids.size(1)} tokens exceeds max_length {self.max_length}')
        pad_mask = ids.eq(self.pad_id)
        x = self.embedding(ids) + self.positions[:ids.size(1)].unsqueeze(0)
        return x, pad_mask

    def pool_and_classify(self, x, pad_mask):
        """x [B, L, d] -> logits [B, C]; mean over real tokens only (padded states may be anything, even NaN)."""
        keep = ~pad_mask
        summed = torch.where(keep.unsqueeze(-1), x, torch.zeros_like(x)).sum(dim=1)
        pooled = summed / keep.sum(dim=1, keepdim=True).clamp(min=1).to(x.dtype)
        return self.classifier(self.dropout(pooled))

    def forward(self, ids, embedding_dropout=None):
        """ids [B, L] -> logits [B, C]. embedding_dropout (a module, training only) acts on x before layer 0."""
        x, pad_mask = self.embed(ids)
        if embedding_dropout is not None:
            x = embedding_dropout(x)
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=pad_mask)
        return self.pool_and_classify(x, pad_mask)


@torch.no_grad()
def run_with_attention(model, ids):
    """Eval-mode forward that also returns the attention matrices.

    ids [B, L] long (padded with model.pad_id) -> (logits [B, C], attention [B, num_layers, H, L, L]).
    Post-norm: each block's input is exactly what its attention sees, so the weights come from calling
    layer.self_attn on that input; padded keys get weight 0. Rows of padded queries are not meaningful.
    """
    was_training = model.training
    model.eval()
    try:
        x, pad_mask = model.embed(ids)
        attention = []
        for layer in model.layers:
            _, weights = layer.self_attn(x, x, x, key_padding_mask=pad_mask, need_weights=True,
                                         average_attn_weights=False)  # [B, H, L, L]
            attention.append(weights)
            x = layer(x, src_key_padding_mask=pad_mask)
        logits = model.pool_and_classify(x, pad_mask)
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
