"""export.py keeps the format's discipline with models assembled from PyTorch's own modules (issue 13, item 4):
what format v1 can represent is exported and reads back with the same logits; the rest is refused by name.

Usage (from the repository root): nice -n 5 /usr/bin/python3 tools/test_export.py
"""
import os
import sys
import tempfile
import unittest

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attn_model import AttnClassifier, pad_batch  # noqa: E402
from export import build_document, encoder_parts, export_model, load_model  # noqa: E402
from vocab import tokenizer_spec  # noqa: E402

VOCAB = ['[PAD]', '[UNK]', 'a', 'good', 'bad', 'film', 'not', 'very', '##s', '.']
D, HEADS, FFN, EPS = 16, 2, 24, 1e-6
IDS = pad_batch([[2, 3, 5, 9], [6, 7, 4, 5, 8], [3]], 0)


def model(norm_placement='post', activation='gelu', seed=0):
    torch.manual_seed(seed)
    m = AttnClassifier(len(VOCAB), 3, d_model=D, num_heads=HEADS, num_layers=2, ffn_dim=FFN, max_length=8,
                       dropout=0.0, layer_norm_eps=EPS, norm_placement=norm_placement, activation=activation)
    with torch.no_grad():  # random norms, so that gamma 1 / beta 0 written for a missing affine would show
        for name, p in m.named_parameters():
            if 'norm' in name:
                p.add_(torch.randn_like(p) * 0.3)
    return m.eval()


def layer(norm_first, activation='gelu', batch_first=True, eps=EPS):
    return nn.TransformerEncoderLayer(D, HEADS, FFN, 0.0, activation=activation, layer_norm_eps=eps,
                                      batch_first=batch_first, norm_first=norm_first).eval()


def reference_logits(m, ids):
    """The model's own forward, each layer fed in the layout it was built for (batch_first or not). Layers run
    in training mode (dropout is 0): PyTorch 1.13's inference fast path fails on a norm without affine."""
    layers, final_norm = encoder_parts(m)
    x, pad = m.embed(ids)
    for block in layers:
        block.train()
        if block.self_attn.batch_first:
            x = block(x, src_key_padding_mask=pad)
        else:
            x = block(x.transpose(0, 1), src_key_padding_mask=pad).transpose(0, 1)
    if final_norm is not None:
        x = final_norm(x)
    return m.classifier(m.pool(x, pad)[0]).detach()


class ExportDiscipline(unittest.TestCase):
    def round_trip(self, m):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'm.json')
            export_model(m, tokenizer_spec(VOCAB), ['x', 'y', 'z'], path)
            loaded, _, _ = load_model(path)
        with torch.no_grad():
            self.assertLess((loaded(IDS) - reference_logits(m, IDS)).abs().max().item(), 1e-5)

    def refused(self, m, *words):
        with self.assertRaises(ValueError) as caught:
            build_document(m, tokenizer_spec(VOCAB), ['x', 'y', 'z'])
        for word in words:
            self.assertIn(word, str(caught.exception))

    def test_plain_models_still_round_trip(self):
        self.round_trip(model('post'))
        self.round_trip(model('pre', 'relu'))

    def test_final_norm_without_affine_is_gamma_1_beta_0(self):
        m = model('pre')
        m.final_norm = nn.LayerNorm(D, eps=EPS, elementwise_affine=False)
        self.round_trip(m)

    def test_layer_norms_without_affine(self):
        m = model('post')
        for block in m.layers:
            block.norm2 = nn.LayerNorm(D, eps=EPS, elementwise_affine=False)
        self.round_trip(m)

    def test_final_norm_eps_must_match(self):
        m = model('pre')
        m.final_norm = nn.LayerNorm(D, eps=1e-5)
        self.refused(m, 'final norm', 'eps 1e-05', "layer_norm_eps 1e-06")

    def test_layer_norm_eps_must_match(self):
        m = model('post')
        m.layers[1] = layer(False, eps=1e-5)
        self.refused(m, 'layer 1: norm1', 'eps 1e-05')

    def test_pre_norm_without_final_norm(self):
        m = model('pre')
        m.final_norm = None
        self.refused(m, 'pre-norm stack without a final LayerNorm')

    def test_post_norm_with_final_norm(self):
        m = model('post')
        m.final_norm = nn.LayerNorm(D, eps=EPS)
        self.refused(m, 'post-norm stack with a final LayerNorm')

    def test_activation_must_match(self):
        m = model('post', 'gelu')
        m.layers[0] = layer(False, activation=nn.SiLU())
        self.refused(m, 'layer 0: activation SiLU', "'gelu'")
        m.layers[0] = layer(False, activation=nn.GELU(approximate='tanh'))
        self.refused(m, "GELU(approximate='tanh')")
        m.layers[0] = layer(False, activation=nn.GELU())  # the exact GELU as a module is the format's gelu
        self.round_trip(m)

    def test_norm_first_must_match(self):
        m = model('post')
        m.layers[0] = layer(True)
        self.refused(m, 'layer 0: norm_first=True', "'post'")

    def test_sequence_first_layers_export(self):
        m = model('pre')
        for i in range(len(m.layers)):
            seq_first = layer(True, batch_first=False)
            seq_first.load_state_dict(m.layers[i].state_dict())
            m.layers[i] = seq_first
        self.round_trip(m)

    def test_transformer_encoder_with_its_own_norm(self):
        m = model('pre')
        encoder = nn.TransformerEncoder(layer(True), num_layers=2, norm=nn.LayerNorm(D, eps=EPS,
                                                                                    elementwise_affine=False))
        m.layers, m.final_norm = encoder.eval(), None
        self.round_trip(m)


if __name__ == '__main__':
    torch.set_num_threads(1)
    unittest.main()
