#!/usr/bin/env python3
"""Topic discovery measured against labels and peers, side by side in one run.

For each labelled set and size: `voc run` stores the contacts (segmented once, as in
production), `voc discover --topics K` finds topics from the stored tokens; the peers
work on the same texts cut by jieba (Python): scikit-learn NMF and KMeans on TF-IDF,
and BERTopic handed TF-IDF-based embeddings (TruncatedSVD of the TF-IDF, so nothing is
downloaded). Agreement with the gold classes: NMI, ARI (unassigned documents count as
one cluster of their own), purity (unassigned count as wrong), share unassigned; and
the time of each (voc: the discovery itself, as `voc discover` reports it, its stored
tokens already there; peers: the fit, jieba's cut timed apart).

NMI, ARI and purity depend on the number of clusters, and BERTopic (HDBSCAN) chooses
its own. So each set gets two row groups: at the gold's k (voc, NMF, KMeans), and at
BERTopic's k, the number of its topics without the -1 outliers (voc, NMF and KMeans
again at that k, and BERTopic itself): agreement at equal granularity.

Sets (read from ../shared/data/real/, skipped with a message when absent):
  shopping  online_shopping_10_cats.csv, gold = its 10 product categories
  stc3      stc3/dialogues.jsonl, customer turns, gold = the helpdesk brand of the first
            @mention (a weak gold: the brand, not the complaint)

  python benches/discover.py [--sizes 10000] [--sets shopping,stc3] [--voc target/debug/voc]
                             [--no-peers] [--no-bertopic] [--seeds 1,2,3,4,5]
(--seeds: also voc's agreement over those seeds, spectral and k-means++ seeding, at each k.)

Python: the venv of benches/discover-requirements.txt (bertopic with --no-deps), e.g.
  python3 -m venv $CARGO_TARGET_DIR/discover-venv
  $CARGO_TARGET_DIR/discover-venv/bin/pip install -r benches/discover-requirements.txt
  $CARGO_TARGET_DIR/discover-venv/bin/pip install --no-deps bertopic==0.17.4
Prints a Markdown table (for benches/RESULTS.md).
"""

import argparse
import csv
import json
import os
import random
import resource
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "data" / "real"
WEEK = "2026-W46"
DAYS = ["2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13", "2026-11-14", "2026-11-15"]


def load_shopping():
    path = REAL / "online_shopping_10_cats.csv"
    if not path.exists():
        return None
    rows = []
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            text = (r.get("review") or "").replace("\ufeff", "").strip()
            if text:
                rows.append((text, r["cat"]))
    return rows


BRANDS = [
    ("联通", "联通"), ("电信", "电信"), ("移动", "移动"), ("锤子", "锤子"), ("罗永浩", "锤子"),
    ("朱萧木", "锤子"), ("91手机", "91手机"), ("搜狗", "搜狗"), ("音悦", "音悦台"), ("vivo", "vivo"),
    ("去哪儿", "去哪儿"), ("美图", "美图"), ("友宝", "友宝"), ("艺龙", "艺龙"), ("乐视", "乐视"),
    ("贾跃亭", "乐视"), ("好乐买", "好乐买"), ("岛风", "岛风"), ("花粉", "华为"), ("TCL", "TCL"),
]


def load_stc3():
    path = REAL / "stc3" / "dialogues.jsonl"
    if not path.exists():
        return None
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            text = " ".join(t["text"] for t in d["turns"])
            mentions = re.findall(r"@([^\s:：,，@]+)", text)
            gold = None
            for m in mentions[:1]:
                for key, brand in BRANDS:
                    if key in m:
                        gold = brand
                        break
            customer = "。".join(t["text"] for t in d["turns"] if t["speaker"] == "customer").strip()
            if gold and customer:
                rows.append((customer, gold))
    return rows


def sample(rows, n, seed=1):
    rng = random.Random(seed)
    if n <= len(rows):
        return rng.sample(rows, n)
    # Larger than the set: repeated (timing only; agreement is then inflated).
    return [rows[rng.randrange(len(rows))] for _ in range(n)]


def write_pipeline(folder: Path, rows):
    data = folder / "contacts.jsonl"
    with open(data, "w", encoding="utf-8") as f:
        for i, (text, _) in enumerate(rows):
            day = DAYS[i % 7]
            rec = {
                "id": f"r{i:07d}",
                "started_at": f"{day}T{8 + i % 12:02d}:{i % 60:02d}:00+08:00",
                "channel": "app",
                "turns": [{"speaker": "customer", "text": text}],
            }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    (folder / "taxonomy.toml").write_text(
        '[[category]]\nid = "其他/占位"\nname = "占位"\nany = ["占位词语"]\n', encoding="utf-8"
    )
    (folder / "pipeline.toml").write_text(
        f"""[pipeline]
name = "discover-bench"
period = "latest"
[input]
paths = ["contacts.jsonl"]
[output]
dir = "out"
[classify]
taxonomy = "taxonomy.toml"
""",
        encoding="utf-8",
    )
    return folder / "pipeline.toml"


def purity(labels, gold):
    by = {}
    for l, g in zip(labels, gold):
        if l is None or l == -1:
            continue
        by.setdefault(l, Counter())[g] += 1
    return sum(c.most_common(1)[0][1] for c in by.values()) / len(gold)


def scores(labels, gold):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    flat = ["_none" if l is None or l == -1 else str(l) for l in labels]
    return {
        "nmi": normalized_mutual_info_score(gold, flat),
        "ari": adjusted_rand_score(gold, flat),
        "purity": purity(labels, gold),
        "unassigned": sum(1 for l in labels if l is None or l == -1) / len(labels),
    }


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Voc:
    """The set stored once by `voc run`; `discover(k)` runs `voc discover --topics k` on it."""

    def __init__(self, voc, rows):
        self.voc, self.n = voc, len(rows)
        self.tmp = tempfile.TemporaryDirectory(prefix="discover-bench-")
        self.folder = Path(self.tmp.name)
        self.pipeline = write_pipeline(self.folder, rows)
        subprocess.run([voc, "-q", "run", str(self.pipeline), "--force"], check=True)

    def discover(self, k, seed=None, seeding=None):
        started = time.perf_counter()
        cpu = children_cpu()
        extra = (["--seed", str(seed)] if seed is not None else []) + (["--seeding", seeding] if seeding else [])
        out = subprocess.run(
            [self.voc, "-q", "discover", str(self.pipeline), "--period", WEEK, "--topics", str(k), "--json", *extra],
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        cpu = children_cpu() - cpu
        result = json.loads(out.stdout)
        topic_of = {}
        with open(self.folder / "out" / "tables" / "discover" / WEEK / "assignments.csv", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                topic_of[r["contact_id"]] = r["topic"] or None
        labels = [topic_of.get(f"r{i:07d}") for i in range(self.n)]
        return labels, result["seconds"], wall, cpu

    def close(self):
        self.tmp.cleanup()


class Peers:
    """The peers on the same texts: jieba's cut and the TF-IDF once, then each method."""

    def __init__(self, rows):
        import jieba
        from sklearn.feature_extraction.text import TfidfVectorizer

        jieba.setLogLevel(60)
        started = time.perf_counter()
        self.tokens = [
            [w for w in jieba.lcut(t) if len(w) >= 2 and re.search(r"\w", w) and not w.isdigit()] for t, _ in rows
        ]
        self.cut = time.perf_counter() - started
        vec = TfidfVectorizer(analyzer=lambda x: x, min_df=2, max_df=0.5, sublinear_tf=True)
        started, cpu = time.perf_counter(), time.process_time()
        self.X = vec.fit_transform(self.tokens)
        # The TF-IDF is part of every peer's time.
        self.tfidf = time.perf_counter() - started
        self.tfidf_cpu = time.process_time() - cpu

    def _timed(self, fit):
        started, cpu = time.perf_counter(), time.process_time()
        labels = fit()
        return labels, self.tfidf + time.perf_counter() - started, self.tfidf_cpu + time.process_time() - cpu

    def nmf(self, k):
        import numpy as np
        from sklearn.decomposition import NMF

        def fit():
            W = NMF(n_components=k, init="nndsvd", random_state=42, max_iter=300).fit_transform(self.X)
            return [int(np.argmax(w)) if w.max() > 0 else -1 for w in W]

        return self._timed(fit)

    def kmeans(self, k):
        import numpy as np
        from sklearn.cluster import KMeans

        def fit():
            labels = KMeans(n_clusters=k, random_state=42, n_init=1).fit_predict(self.X)
            empty = np.asarray(self.X.sum(axis=1)).ravel() == 0
            return [-1 if e else int(l) for l, e in zip(labels, empty)]

        return self._timed(fit)

    def bertopic(self):
        import numpy as np
        from bertopic import BERTopic
        from hdbscan import HDBSCAN
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import CountVectorizer
        from umap import UMAP

        def fit():
            emb = TruncatedSVD(n_components=100, random_state=42).fit_transform(self.X)
            emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
            model = BERTopic(
                embedding_model=None,
                umap_model=UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42),
                hdbscan_model=HDBSCAN(min_cluster_size=max(10, len(self.tokens) // 200), prediction_data=True),
                vectorizer_model=CountVectorizer(analyzer=lambda x: x.split(" "), min_df=2),
                calculate_probabilities=False,
                verbose=False,
            )
            labels, _ = model.fit_transform([" ".join(t) for t in self.tokens], embeddings=emb)
            return [int(l) for l in labels]

        return self._timed(fit)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000")
    ap.add_argument("--sets", default="shopping,stc3")
    ap.add_argument("--voc", default=str(Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug" / "voc"))
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-bertopic", action="store_true")
    ap.add_argument("--repeat", action="store_true", help="sample with repetition beyond the set's size (timing)")
    ap.add_argument("--seeds", default="", help="e.g. 1,2,3,4,5: also voc's agreement over these seeds, both seedings")
    args = ap.parse_args()
    loaders = {"shopping": load_shopping, "stc3": load_stc3}
    lines = [
        "| set | contacts | k | method | NMI | ARI | purity | unassigned | wall (s) | CPU (s) |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    seed_lines = [
        "| set | k | seeding | NMI mean (min–max) | ARI mean (min) | purity mean |",
        "| --- | ---: | --- | --- | --- | ---: |",
    ]

    def over_seeds(voc, name, k, gold):
        import statistics

        for seeding in ["spectral", "kmeans++"]:
            runs = [scores(voc.discover(k, seed, seeding)[0], gold) for seed in args.seeds.split(",")]
            nmi, ari = [r["nmi"] for r in runs], [r["ari"] for r in runs]
            seed_lines.append(
                f"| {name} | {k} | {seeding} | {statistics.mean(nmi):.3f} ({min(nmi):.3f}–{max(nmi):.3f}) "
                f"| {statistics.mean(ari):.3f} ({min(ari):.3f}) | {statistics.mean(r['purity'] for r in runs):.3f} |"
            )
            print(seed_lines[-1], file=sys.stderr, flush=True)

    def row(name, n, k, method, labels, gold, wall, cpu):
        s = scores(labels, gold)
        lines.append(
            f"| {name} | {n:,} | {k} | {method} | {s['nmi']:.3f} | {s['ari']:.3f} | {s['purity']:.3f} | {s['unassigned']:.1%} | {wall} | {cpu:.2f} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)

    for name in args.sets.split(","):
        rows = loaders[name]()
        if rows is None:
            print(f"skipped {name}: not under {REAL}", file=sys.stderr)
            continue
        k = len({g for _, g in rows})
        for n in [int(s) for s in args.sizes.split(",")]:
            # A set smaller than the size is taken whole (repeating texts would flatter
            # every method), except with --repeat, for timing at sizes beyond the set.
            part = sample(rows, n if args.repeat else min(n, len(rows)))
            n = len(part)
            gold = [g for _, g in part]
            voc = Voc(args.voc, part)
            peers = None if args.no_peers else Peers(part)

            def at(k):
                """voc, NMF and KMeans at k topics."""
                labels, seconds, wall, cpu = voc.discover(k)
                row(name, n, k, "voc discover", labels, gold, f"{seconds:.2f} (command {wall:.2f})", cpu)
                if peers:
                    jieba = f"(+ jieba {peers.cut:.2f})"
                    for method, fit in [("scikit-learn NMF (TF-IDF of jieba)", peers.nmf), ("scikit-learn KMeans (TF-IDF of jieba)", peers.kmeans)]:
                        labels, wall, cpu = fit(k)
                        row(name, n, k, method, labels, gold, f"{wall:.2f} {jieba}", cpu)

            at(k)
            ks = [k]
            if peers and not args.no_bertopic:
                labels, wall, cpu = peers.bertopic()
                # BERTopic's own granularity: its topics, the -1 outliers not counted.
                kb = len({l for l in labels if l != -1})
                if kb >= 2 and kb != k:
                    at(kb)
                    ks.append(kb)
                method = "BERTopic (TF-IDF SVD embeddings, UMAP, HDBSCAN)"
                row(name, n, kb, method, labels, gold, f"{wall:.2f} (+ jieba {peers.cut:.2f})", cpu)
            if args.seeds:
                for kk in ks:
                    over_seeds(voc, name, kk, gold)
            voc.close()
    print("\n".join(lines))
    if args.seeds:
        print()
        print("\n".join(seed_lines))


if __name__ == "__main__":
    main()
