//! Issue 7: the workbook read back by an independent reader (calamine), its numbers
//! checked against the report's JSON model.

use calamine::{Data, Reader};
use std::io::Cursor;

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = workbook.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn number(cell: &Data) -> f64 {
    match cell {
        Data::Float(f) => *f,
        Data::Int(n) => *n as f64,
        other => panic!("expected a number, found {other:?}"),
    }
}

#[test]
fn workbook_numbers_match_the_report_model() {
    let input = voc_report::sample_input();
    let bytes = voc_report::render_xlsx(&input).unwrap();
    // The model the JSON output serializes: compare against it through JSON, as a
    // downstream tool would see it.
    let json: serde_json::Value = serde_json::to_value(&input).unwrap();

    let volume = sheet(&bytes, "话务量趋势");
    assert_eq!(volume[0][0], Data::String("周期".into()));
    assert_eq!(volume.len() - 1, json["volume"].as_array().unwrap().len());
    for (row, v) in volume[1..].iter().zip(json["volume"].as_array().unwrap()) {
        assert_eq!(row[0], Data::String(v["period"].as_str().unwrap().into()));
        assert_eq!(number(&row[1]), v["contacts"].as_f64().unwrap());
        assert_eq!(number(&row[2]), v["complaints"].as_f64().unwrap());
        let rate = v["complaints"].as_f64().unwrap() * 1000.0 / v["contacts"].as_f64().unwrap();
        assert!((number(&row[3]) - rate).abs() < 1e-9);
    }

    let themes = sheet(&bytes, "投诉主题");
    for (row, c) in themes[1..]
        .iter()
        .zip(json["categories"].as_array().unwrap())
    {
        assert_eq!(row[0], Data::String(c["id"].as_str().unwrap().into()));
        assert_eq!(number(&row[4]), c["current"].as_f64().unwrap());
        assert_eq!(number(&row[5]), c["previous"].as_f64().unwrap());
    }

    let quality = sheet(&bytes, "数据质量");
    let q = &json["quality"];
    let values: Vec<f64> = quality[1..].iter().map(|r| number(&r[1])).collect();
    assert_eq!(
        values,
        [
            q["read"].as_f64().unwrap(),
            q["accepted"].as_f64().unwrap(),
            q["quarantined"].as_f64().unwrap(),
            q["duplicates"].as_f64().unwrap()
        ]
    );

    let emerging = sheet(&bytes, "新兴问题");
    assert_eq!(
        emerging.len() - 1,
        json["emerging"].as_array().unwrap().len()
    );
    let verbatims = sheet(&bytes, "代表性原话");
    let expected: usize = json["emerging"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["verbatims"].as_array().unwrap().len())
        .sum();
    assert_eq!(verbatims.len() - 1, expected);
}
