//! `voc taxonomy eval` and `voc taxonomy train` on a small labelled file of sentences
//! written for this test, with the shopping taxonomy of crates/classify/tests/data.

mod common;

use common::voc;
use std::path::Path;

const LABELS: &str = "text,categories\n\
这本书的作者写得很好，印刷也清楚,书籍\n\
酒店房间很干净，前台服务热情,酒店\n\
笔记本散热不错，键盘手感好,计算机\n\
衣服穿着很合身，面料也舒服,衣服\n\
蒙牛的牛奶很好喝,蒙牛\n\
橙子很新鲜很甜,水果\n\
热水器安装师傅很专业,热水器\n\
洗发水味道很香，洗完头发很柔顺,洗发水\n\
手机信号不太好，电池也不耐用,手机\n\
平板屏幕很清晰，看电影不错,平板\n\
快递很快，包装完好,\n\
住了一晚还行,酒店\n\
我的手机号13812345678一直没信号,酒店\n";

fn setup(dir: &Path) -> String {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../classify/tests/data/shopping");
    for f in ["taxonomy.toml", "pipeline.toml", "no-input.csv"] {
        std::fs::copy(data.join(f), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("labels.csv"), LABELS).unwrap();
    dir.join("pipeline.toml").display().to_string()
}

#[test]
fn eval_prints_scores_json_and_xlsx_and_train_saves_models() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = setup(dir.path());
    let labels = dir.path().join("labels.csv").display().to_string();
    let out = voc(&["taxonomy", "eval", &pipeline, "--labels", &labels]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("13 rows"), "{stdout}");
    // A labelled text is masked as ingest masks it: the number never shows.
    assert!(!stdout.contains("13812345678"), "{stdout}");
    assert!(stdout.contains("micro"), "{stdout}");
    assert!(stdout.contains("macro"), "{stdout}");

    let xlsx = dir.path().join("eval.xlsx");
    let out = voc(&[
        "taxonomy",
        "eval",
        &pipeline,
        "--labels",
        &labels,
        "--json",
        "--xlsx",
        &xlsx.display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["scores"]["rows"], 13);
    assert!(!json.to_string().contains("13812345678"), "{json}");
    assert!(
        json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["category"] == "酒店" && e["error"] == "false negative"),
        "{json}"
    );
    assert_eq!(json["scores"]["categories"].as_array().unwrap().len(), 10);
    assert!(
        json["scores"]["micro"]["f1"].as_f64().unwrap() > 0.5,
        "{json}"
    );
    assert!(xlsx.exists());

    let out = voc(&["taxonomy", "train", &pipeline, "--labels", &labels]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("taxonomy.models.json").exists());
    // A labelling budget: the first rows in the split's hash order.
    let small = dir.path().join("small.models.json");
    let out = voc(&[
        "taxonomy",
        "train",
        &pipeline,
        "--labels",
        &labels,
        "--train-rows",
        "4",
        "--out",
        small.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("on 4 rows"),
        "{stdout}"
    );
    assert!(small.exists());
    let out = voc(&[
        "taxonomy",
        "eval",
        &pipeline,
        "--labels",
        &labels,
        "--combine",
        "either",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Trained on the same rows, rules or model finds every labelled category.
    assert!(
        json["scores"]["micro"]["recall"].as_f64().unwrap() > 0.9,
        "{json}"
    );

    // A labels file without a text or id column names the file and line.
    std::fs::write(dir.path().join("bad.csv"), "a,b\n1,2\n").unwrap();
    let bad = dir.path().join("bad.csv").display().to_string();
    let out = voc(&["taxonomy", "eval", &pipeline, "--labels", &bad]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.csv:1:"), "{stderr}");
}

/// A file listing a text once per category (one row per text and subject) is read as
/// one labelled text with both categories: not two texts, each missing the other's.
#[test]
fn a_text_listed_once_per_category_is_one_labelled_text() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = setup(dir.path());
    let labels = dir.path().join("long.csv");
    std::fs::write(
        &labels,
        "内容,主题\n\
         这本书的作者写得很好，平板屏幕也清晰,书籍\n\
         酒店房间很干净，前台服务热情,酒店\n\
         这本书的作者写得很好，平板屏幕也清晰,平板\n",
    )
    .unwrap();
    let labels = labels.display().to_string();
    let out = voc(&["taxonomy", "eval", &pipeline, "--labels", &labels, "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("1 row repeats"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["scores"]["rows"], 2, "{json}");
    let support = |id: &str| {
        json["scores"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["support"].clone())
    };
    assert_eq!(support("书籍"), Some(1.into()), "{json}");
    assert_eq!(support("平板"), Some(1.into()), "{json}");
}
