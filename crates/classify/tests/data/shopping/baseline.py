"""Character 1-3-gram logistic regression baseline for `voc taxonomy eval` figures.

Same held-out split as `voc taxonomy train/eval --part test --test-share 0.2` (FNV-1a
of the row's text, mixed: see category_eval::in_test_part). Not part of CI; needs
scikit-learn:  python baseline.py ../shared/data/real/online_shopping_10_cats.csv
"""
import csv
import sys

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

MASK = (1 << 64) - 1


def in_test_part(key: str, share: float = 0.2) -> bool:
    h = 0xCBF29CE484222325
    for b in key.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & MASK
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK
    h ^= h >> 33
    return h / float(MASK) < share


def main(path: str) -> None:
    train_x, train_y, test_x, test_y = [], [], [], []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = row["review"].replace("\ufeff", "").strip()
            label = row["cat"].replace("\ufeff", "").strip()
            if not text:
                continue
            if in_test_part(text):
                test_x.append(text)
                test_y.append(label)
            else:
                train_x.append(text)
                train_y.append(label)
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    model = LogisticRegression(max_iter=1000)
    model.fit(vec.fit_transform(train_x), train_y)
    pred = model.predict(vec.transform(test_x))
    print(f"train {len(train_x)} test {len(test_x)}")
    print(f"micro-F1 {f1_score(test_y, pred, average='micro'):.4f}")
    print(f"macro-F1 {f1_score(test_y, pred, average='macro'):.4f}")


if __name__ == "__main__":
    main(sys.argv[1])
