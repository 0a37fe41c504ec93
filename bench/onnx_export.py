"""Writes an attn JSON model as ONNX for the ONNX Runtime worker; run.py runs it in a subprocess (run.py itself
does not import torch).

    /usr/bin/python3 bench/onnx_export.py MODEL.json OUT.onnx

The graph is tools/export.load_model's PyTorch module, traced: input `ids` [batch, length] int64, padded at the
end with the pad id; output `logits` [batch, labels]; batch and length are dynamic. The padding mask is computed
inside the graph from the pad id, as the module computes its src_key_padding_mask, so ONNX Runtime is given the
very tensors PyTorch is given in torch_worker.py.
"""
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
from export import load_model  # noqa: E402

# 17: the newest opset torch 1.13 writes; layer norm is one LayerNormalization node from 17 on.
OPSET = 17


def export(model_path, out_path):
    model, tokenizer, _ = load_model(model_path)
    model.eval()
    pad, word = tokenizer.pad_id, (tokenizer.pad_id + 1) % model.config['vocab_size']
    length = min(5, model.max_length)
    # Two rows, the second padded, so that the trace records the masking.
    ids = torch.tensor([[word] * length, [word] * (length - 1) + [pad]])
    with warnings.catch_warnings():
        # The trace fixes `length > max_length` as False (run.py truncates every input to max_length), and 1.13
        # notes that it infers no shape for constants: both harmless, both noisy.
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
        warnings.filterwarnings('ignore', message='The shape inference of prim::Constant')
        # With gradients enabled nn.TransformerEncoderLayer takes its regular path: 1.13's fused fast path
        # (taken under no_grad/inference_mode) cannot be exported.
        with torch.enable_grad():
            torch.onnx.export(model, (ids,), out_path, input_names=['ids'], output_names=['logits'],
                              dynamic_axes={'ids': {0: 'batch', 1: 'length'}, 'logits': {0: 'batch'}},
                              opset_version=OPSET)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    export(sys.argv[1], sys.argv[2])
