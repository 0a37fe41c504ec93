"""The files of a Hugging Face model folder, read and written without the transformers or safetensors packages.

safetensors layout: 8 bytes little-endian unsigned header length N, then N bytes of JSON
{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}},
then the data area; each tensor's bytes are data[begin:end], row-major, little-endian. The offsets are relative to
the data area, tensors may come in any order but must tile it without gaps or overlaps.

pytorch_model.bin is a torch.save'd state dict; it is read with torch.load(weights_only=True), which refuses
pickles that hold anything but tensors and plain containers.
"""
import json
import os
import struct

import numpy as np
import torch

SAFETENSORS = 'model.safetensors'
PYTORCH_BIN = 'pytorch_model.bin'

# safetensors dtype -> numpy little-endian dtype; BF16 is read as its 16 raw bits and widened below.
SAFETENSORS_DTYPES = {'F64': '<f8', 'F32': '<f4', 'F16': '<f2', 'BF16': '<u2', 'I64': '<i8', 'I32': '<i4'}
MAX_HEADER_BYTES = 100 * 1024 * 1024


def read_safetensors(path):
    """path -> (dict name -> numpy array (float32 for float dtypes, int64 for integer ones), metadata dict)."""
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f'{path}: {len(raw)} bytes, too short for a safetensors header')
    (header_len,) = struct.unpack('<Q', raw[:8])
    if header_len > min(MAX_HEADER_BYTES, len(raw) - 8):
        raise ValueError(f'{path}: header length {header_len} does not fit the file of {len(raw)} bytes')
    try:
        header = json.loads(raw[8:8 + header_len].decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f'{path}: header is not JSON ({e})') from None
    if not isinstance(header, dict):
        raise ValueError(f'{path}: header is not a JSON object')
    metadata = header.pop('__metadata__', None) or {}
    data = memoryview(raw)[8 + header_len:]
    tensors, spans = {}, []
    for name, entry in header.items():
        dtype = entry.get('dtype')
        if dtype not in SAFETENSORS_DTYPES:
            raise ValueError(f'{path}: tensor {name}: dtype {dtype!r} is not supported '
                             f'(supported: {", ".join(SAFETENSORS_DTYPES)})')
        shape = [int(s) for s in entry['shape']]
        begin, end = (int(o) for o in entry['data_offsets'])
        itemsize = np.dtype(SAFETENSORS_DTYPES[dtype]).itemsize
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not 0 <= begin <= end <= len(data) or end - begin != count * itemsize:
            raise ValueError(f'{path}: tensor {name}: data_offsets [{begin}, {end}] do not hold shape {shape} '
                             f'of {dtype} inside a data area of {len(data)} bytes')
        values = np.frombuffer(data[begin:end], dtype=SAFETENSORS_DTYPES[dtype]).reshape(shape)
        if dtype == 'BF16':
            values = (values.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = values.astype(np.int64 if dtype.startswith('I') else np.float32)
        spans.append((begin, end, name))
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise ValueError(f'{path}: tensor {name} starts at byte {begin}, expected {position} '
                             f'(gap or overlap in the data area)')
        position = end
    if position != len(data):
        raise ValueError(f'{path}: {len(data) - position} bytes after the last tensor')
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Write dict name -> float32 tensor/array as safetensors, in the dict's order, without padding."""
    header, chunks, offset = {}, [], 0
    for name, value in tensors.items():
        array = np.ascontiguousarray(np.asarray(value, dtype='<f4'))
        blob = array.tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(array.shape), 'data_offsets': [offset, offset + len(blob)]}
        chunks.append(blob)
        offset += len(blob)
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in chunks:
            f.write(blob)


def read_pytorch_bin(path):
    """torch.save'd state dict -> dict name -> numpy array (float32 for floats, int64 for integers)."""
    state = torch.load(path, map_location='cpu', weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f'{path}: holds a {type(state).__name__}, expected a state dict of tensors')
    out = {}
    for name, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise ValueError(f'{path}: entry {name} is a {type(value).__name__}, not a tensor')
        if value.is_floating_point():
            out[name] = value.detach().to(torch.float32).numpy()
        else:
            out[name] = value.detach().to(torch.int64).numpy()
    return out


def read_weights(folder, prefer=None):
    """Folder -> (dict name -> numpy array, file name read). prefer: 'safetensors', 'bin' or None (safetensors
    when present)."""
    candidates = {'safetensors': SAFETENSORS, 'bin': PYTORCH_BIN}
    order = [prefer] if prefer else ['safetensors', 'bin']
    for kind in order:
        path = os.path.join(folder, candidates[kind])
        if os.path.exists(path):
            tensors = read_safetensors(path)[0] if kind == 'safetensors' else read_pytorch_bin(path)
            return tensors, candidates[kind]
    wanted = ' or '.join(candidates[k] for k in order)
    sharded = [n for n in os.listdir(folder) if n.endswith('.index.json')]
    extra = f' (sharded checkpoints such as {sharded[0]} are not supported)' if sharded else ''
    raise ValueError(f'{folder}: no {wanted}{extra}')


def read_json(folder, name):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        raise ValueError(f'{folder}: {name} is missing')
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def read_vocab(folder):
    """vocab.txt: one token per line, the line number being its id (only the line break is stripped)."""
    path = os.path.join(folder, 'vocab.txt')
    if not os.path.exists(path):
        raise ValueError(f'{folder}: vocab.txt is missing (a WordPiece vocabulary is required)')
    with open(path, encoding='utf-8', newline='') as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    return [line[:-1] if line.endswith('\r') else line for line in lines]
