#!/usr/bin/env python3
"""The pipeline an analyst would otherwise write: jieba + pandas.

Reads the same JSON Lines input as `voc run`, segments every contact with jieba (same
user dictionary), classifies by the demo taxonomy's keywords (a contact matches a
category when one of its `any` terms is among its tokens), and counts contacts per
week and category. No PII masking, no index, no report: it does strictly less work
than `voc run`, which makes the speedup comparison conservative.

    python3 benches/baseline/pipeline.py INPUT.jsonl pipelines/demo/userdict.txt pipelines/demo/taxonomy.toml
"""
import json
import sys
import time
import tomllib

import jieba
import pandas as pd


def main():
    input_path, userdict, taxonomy_path = sys.argv[1:4]
    started = time.time()
    jieba.setLogLevel(60)
    jieba.load_userdict(userdict)
    with open(taxonomy_path, "rb") as f:
        taxonomy = tomllib.load(f)
    rules = [(c["id"], set(c.get("any", []))) for c in taxonomy.get("category", [])]

    df = pd.read_json(input_path, lines=True)
    df["started_at"] = pd.to_datetime(df["started_at"], utc=True).dt.tz_convert("Asia/Shanghai")
    iso = df["started_at"].dt.isocalendar()
    df["week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)

    def text_of(row):
        turns = row["turns"] if isinstance(row.get("turns"), list) else []
        parts = [t["text"] for t in turns]
        if isinstance(row.get("text"), str):
            parts.append(row["text"])
        return "\n".join(parts)

    df["text"] = df.apply(text_of, axis=1)
    df["tokens"] = df["text"].map(lambda t: set(jieba.lcut(t)))
    df["categories"] = df["tokens"].map(lambda toks: [cid for cid, terms in rules if toks & terms])
    weekly = df.groupby("week").size().rename("contacts")
    by_category = df.explode("categories").dropna(subset=["categories"]).groupby(["week", "categories"]).size()
    elapsed = time.time() - started
    print(json.dumps({
        "contacts": int(len(df)),
        "weeks": int(len(weekly)),
        "category_cells": int(len(by_category)),
        "seconds": elapsed,
    }))


if __name__ == "__main__":
    main()
