"""The bundled SMS spam model on its held-out test split, scored by the attn binary.

The split is rebuilt exactly as tools/train.py made it (tools/datasets.py: identical messages merged, then a
stratified 10 % test split with seed 1), so the messages scored here were never trained on or used to pick the
epoch. Fails below the given accuracy or spam F1; exits 77 (skipped) when the data set is absent.

Usage: python3 tests/sms_accuracy.py ATTN MODEL SMSSpamCollection MIN_ACCURACY MIN_SPAM_F1   (figures in %)
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import datasets  # noqa: E402


def main():
    attn, model, data, min_accuracy, min_f1 = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
    if not os.path.exists(data):
        print(f'sms_accuracy: skipped, {data} is absent (the SMS Spam Collection is not part of the repository)')
        return 77
    rows, _ = datasets.dedupe(datasets.read_rows(data, 'label-tab-text'))
    _, _, test = datasets.train_dev_test(rows, test_fraction=0.1, dev_fraction=0.1, seed=1)  # train.py's defaults
    with tempfile.NamedTemporaryFile('w', suffix='.tsv', encoding='utf-8') as f:
        for text, label in test:
            f.write(f'{label}\t{text}\n')
        f.flush()
        done = subprocess.run([attn, '--model', model, 'eval', '-i', f.name, '--data-format', 'label-tab-text',
                               '--format', 'json'], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f'sms_accuracy: attn eval exited {done.returncode}: {done.stderr.strip()}')
        return 1
    report = json.loads(done.stdout)
    accuracy, spam_f1 = 100 * report['accuracy'], 100 * report['per_label']['spam']['f1']
    print(f'sms_accuracy: {report["inputs"]} test messages, accuracy {accuracy:.2f} %, spam F1 {spam_f1:.2f} % '
          f'(precision {100 * report["per_label"]["spam"]["precision"]:.2f}, '
          f'recall {100 * report["per_label"]["spam"]["recall"]:.2f}); confusion {report["confusion_matrix"]}')
    if report['inputs'] != len(test) or report['skipped'] != 0:
        print(f'sms_accuracy: expected {len(test)} scored messages')
        return 1
    if accuracy < min_accuracy or spam_f1 < min_f1:
        print(f'sms_accuracy: FAILED, below accuracy {min_accuracy} % or spam F1 {min_f1} %')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
