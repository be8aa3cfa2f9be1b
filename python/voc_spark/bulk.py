"""voc's history as bulk files for OpenSearch / Elasticsearch or Quickwit.

    python -m voc_spark.bulk OUT/history --dest DIR [--format opensearch|quickwit]

Writes DIR/mapping.json and one DIR/bulk-<week>.ndjson per history partition. The
text fields hold voc's tokens (cut once, at `voc run` or in the Spark job) joined by
spaces, to be indexed with a whitespace analyzer so the engine cuts nothing itself;
queries must be cut by voc's segmenter too (`voc segment`). See docs/scale.md.
"""

import argparse
import json
import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

KEYWORDS = ["id", "week", "channel", "region", "business", "queue", "sentiment_label",
            "categories", "risk", "emotion", "emotion_trajectory", "last_turn_sentiment"]
RISKS = ["escalation", "churn", "repeat", "no_greeting", "forbidden_phrase", "no_closing"]


def mapping(engine):
    """The index mapping (OpenSearch/Elasticsearch) or doc mapping (Quickwit)."""
    if engine == "quickwit":
        text = {"type": "text", "tokenizer": "whitespace", "record": "position"}
        fields = [{"name": name, "type": "array<text>" if name in ("categories", "risk") else "text",
                   "tokenizer": "raw", "fast": True} for name in KEYWORDS]
        fields += [{"name": "customer_text", **text}, {"name": "agent_text", **text},
                   {"name": "text", "type": "text", "indexed": False},
                   {"name": "started_at", "type": "datetime", "fast": True, "input_formats": ["rfc3339"]},
                   {"name": "sentiment", "type": "f64", "fast": True}]
        return {"doc_mapping": {"field_mappings": fields, "timestamp_field": "started_at"},
                "indexing_settings": {}, "search_settings": {"default_search_fields": ["customer_text", "agent_text"]}}
    properties = {name: {"type": "keyword"} for name in KEYWORDS}
    properties.update({
        "customer_text": {"type": "text", "analyzer": "whitespace"},
        "agent_text": {"type": "text", "analyzer": "whitespace"},
        "text": {"type": "text", "index": False},
        "started_at": {"type": "date"},
        "sentiment": {"type": "float"},
    })
    return {"mappings": {"dynamic": "strict", "properties": properties}}


def side_text(table, agent):
    """Each contact's tokens of the customer's side (every turn not the agent's, as
    voc's index: the customer's and work-order notes) or of the agent's, joined by
    spaces."""
    speakers = pc.list_flatten(table.column("speakers"))
    tokens = pc.list_flatten(table.column("tokens"))
    parents = pc.list_parent_indices(table.column("tokens"))
    is_agent = pc.equal(speakers, "agent")
    keep = is_agent if agent else pc.invert(is_agent)
    kept_tokens = pc.filter(tokens, keep).to_pylist()
    kept_parents = pc.filter(parents, keep).to_pylist()
    out = [[] for _ in range(table.num_rows)]
    for parent, text in zip(kept_parents, kept_tokens):
        if text:
            out[parent].append(text)
    return [" ".join(parts) for parts in out]


def documents(table, week):
    customer, agent = side_text(table, agent=False), side_text(table, agent=True)
    columns = table.to_pydict()
    for i, id_ in enumerate(columns["id"]):
        yield {
            "id": id_, "week": week,
            "started_at": columns["started_at"][i].isoformat(),
            **{k: columns[k][i] for k in ("channel", "region", "business", "queue", "sentiment_label",
                                           "categories", "emotion", "emotion_trajectory",
                                           "last_turn_sentiment", "sentiment")},
            "risk": [r for r in RISKS if columns["risk_" + r][i]],
            "customer_text": customer[i], "agent_text": agent[i],
            "text": "\n".join(columns["turns"][i]),
        }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("history")
    parser.add_argument("--dest", required=True)
    parser.add_argument("--format", choices=["opensearch", "quickwit"], default="opensearch")
    args = parser.parse_args(argv)
    os.makedirs(args.dest, exist_ok=True)
    with open(os.path.join(args.dest, "mapping.json"), "w", encoding="utf-8") as f:
        json.dump(mapping(args.format), f, ensure_ascii=False, indent=2)
    total = 0
    for folder in sorted(os.listdir(args.history)):
        if not folder.startswith("week="):
            continue
        week = folder.split("=", 1)[1]
        table = pq.read_table(os.path.join(args.history, folder, "part-0.parquet"))
        table = table.set_column(table.schema.get_field_index("started_at"), "started_at",
                                 table.column("started_at").cast(pa.timestamp("us", tz="Asia/Shanghai")))
        with open(os.path.join(args.dest, f"bulk-{week}.ndjson"), "w", encoding="utf-8") as f:
            for doc in documents(table, week):
                if args.format == "opensearch":
                    action = {"index": {"_index": "voc-" + doc["started_at"][:7], "_id": doc["id"]}}
                    f.write(json.dumps(action, ensure_ascii=False) + "\n")
                f.write(json.dumps(doc, ensure_ascii=False) + "\n")
                total += 1
    print(f"voc bulk: {total} contacts to {args.dest} ({args.format})")


if __name__ == "__main__":
    main()
