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
