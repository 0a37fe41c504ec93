"""Where the tools find the shared data sets and keep their long-running state.

Data: `../shared/data` beside the repository, or $ATTN_DATA_ROOT. Never copied into the repository.
State (pre-training corpus, checkpoints): $ATTN_PRETRAIN_DIR, else ~/.cache/attn-pretrain, outside the work tree
so that a run survives a fresh clone and can resume.
"""
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def data_root():
    return os.environ.get('ATTN_DATA_ROOT') or os.path.normpath(os.path.join(REPO, '..', 'shared', 'data'))


def data(*parts):
    return os.path.join(data_root(), *parts)


def pretrain_dir():
    return os.environ.get('ATTN_PRETRAIN_DIR') or os.path.join(os.path.expanduser('~'), '.cache', 'attn-pretrain')


def portable(value):
    """A path (or the paths inside a list or dict) as a model's metadata records it: under the data root as
    `../shared/data/...`, under the pre-training directory as `$ATTN_PRETRAIN_DIR/...`, never an absolute path
    of the machine that trained it."""
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [portable(v) for v in value]
    if not isinstance(value, str):
        return value
    for root, shown in ((data_root(), '../shared/data'), (pretrain_dir(), '$ATTN_PRETRAIN_DIR')):
        value = value.replace(root, shown)
    return value
