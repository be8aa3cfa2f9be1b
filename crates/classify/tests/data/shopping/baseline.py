"""Character 1-3-gram logistic regression baseline for `voc taxonomy eval` figures.

Same held-out split as `voc taxonomy train/eval --part test --test-share 0.2` (FNV-1a
of the row's text, mixed: see category_eval::split_position), and with `--train-rows N`
the same N training rows as `voc taxonomy train --train-rows N` (the first in hash
order). Not part of CI; needs scikit-learn:
  python baseline.py ../shared/data/real/online_shopping_10_cats.csv [--train-rows 3000]
`--C 10` is the same model less regularized (sklearn's default is 1).
"""
import argparse
import csv

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

MASK = (1 << 64) - 1


def split_position(key: str) -> float:
    h = 0xCBF29CE484222325
    for b in key.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & MASK
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK
    h ^= h >> 33
    return h / float(MASK)


def main(path: str, train_rows: int | None, c: float) -> None:
    train, test_x, test_y = [], [], []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = row["review"].replace("\ufeff", "").strip()
            label = row["cat"].replace("\ufeff", "").strip()
            if not text:
                continue
            position = split_position(text)
            if position < 0.2:
                test_x.append(text)
                test_y.append(label)
            else:
                train.append((position, text, label))
    if train_rows is not None:
        train = sorted(train, key=lambda r: r[0])[:train_rows]
    train_x = [t for _, t, _ in train]
    train_y = [y for _, _, y in train]
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    model = LogisticRegression(max_iter=2000, C=c)
    model.fit(vec.fit_transform(train_x), train_y)
    pred = model.predict(vec.transform(test_x))
    print(f"train {len(train_x)} test {len(test_x)}")
    print(f"micro-F1 {f1_score(test_y, pred, average='micro'):.4f}")
    print(f"macro-F1 {f1_score(test_y, pred, average='macro'):.4f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("labels")
    ap.add_argument("--train-rows", type=int)
    ap.add_argument("--C", type=float, default=1.0)
    a = ap.parse_args()
    main(a.labels, a.train_rows, a.C)
