//! Issue 7: the workbook read back by an independent reader (calamine), its numbers
//! checked against the report's JSON model. The sheets are the tables the HTML shows
//! (same columns, labels and rows), with numbers stored as numbers.

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
    let input = voc_report::testing::sample_input();
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

    // The complaint categories, largest first, then the others on their own sheet.
    for (name, complaint) in [("投诉主题", true), ("非投诉类关注点", false)] {
        let themes = sheet(&bytes, name);
        // The complaint themes add the two-period test's verdict.
        let columns: &[&str] = if complaint {
            &[
                "类别",
                "归属部门",
                "本期",
                "上期",
                "环比",
                "占比",
                "变化检验",
            ]
        } else {
            &["类别", "归属部门", "本期", "上期", "环比", "占比"]
        };
        let header: Vec<Data> = columns.iter().map(|h| Data::String((*h).into())).collect();
        assert_eq!(themes[0], header);
        let mut categories: Vec<&serde_json::Value> = json["categories"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["complaint"] == complaint)
            .collect();
        categories.sort_by(|a, b| f(&b["current"]).total_cmp(&f(&a["current"])));
        let total: f64 = categories.iter().map(|c| f(&c["current"])).sum();
        assert_eq!(themes.len() - 1, categories.len());
        for (row, c) in themes[1..].iter().zip(categories) {
            assert!(text(&row[0]).starts_with(c["id"].as_str().unwrap()));
            assert_eq!(number(&row[2]), f(&c["current"]));
            assert_eq!(number(&row[3]), f(&c["previous"]));
            // A relative change, or the difference in counts on a small base.
            let change = if f(&c["previous"]) < 20.0 {
                f(&c["current"]) - f(&c["previous"])
            } else {
                (f(&c["current"]) - f(&c["previous"])) / f(&c["previous"])
            };
            assert!((number(&row[4]) - change).abs() < 1e-12);
            assert!((number(&row[5]) - f(&c["current"]) / total).abs() < 1e-12);
        }
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

fn text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("expected text, found {other:?}"),
    }
}

/// A date cell as `yyyy-mm-dd`: the workbook holds Excel's day number.
fn date(cell: &Data) -> String {
    match cell {
        Data::DateTime(d) => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
            (epoch + chrono::Duration::days(d.as_f64() as i64))
                .format("%Y-%m-%d")
                .to_string()
        }
        other => panic!("expected a date, found {other:?}"),
    }
}

fn f(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A number or an empty cell against an optional JSON number.
fn same_optional(cell: &Data, v: &serde_json::Value) -> bool {
    match (cell, v.as_f64()) {
        (Data::Empty, None) => true,
        (cell, Some(x)) => (number(cell) - x).abs() < 1e-9,
        _ => false,
    }
}

/// The trend sections' sheets, read back with calamine, against the JSON of the input
/// they were written from.
#[test]
fn trend_sheets_match_the_report_model() {
    let input = voc_report::testing::full_input();
    let bytes = voc_report::render_xlsx(&input).unwrap();
    let json: serde_json::Value = serde_json::to_value(&input).unwrap();

    // Breakdown: as the report's table, channels, business lines and queues in full,
    // the ten largest regions and the rest summed.
    let breakdown = sheet(&bytes, "渠道地区分布");
    let rows = json["breakdown"].as_array().unwrap();
    let regions = rows.iter().filter(|b| b["dimension"] == "region").count();
    assert_eq!(breakdown.len() - 1, rows.len() - regions + 11);
    let channel = breakdown[1..]
        .iter()
        .find(|r| text(&r[0]) == "渠道" && text(&r[1]) == "电话")
        .unwrap();
    let voice = rows
        .iter()
        .find(|b| b["dimension"] == "channel" && b["value"] == "voice")
        .unwrap();
    assert_eq!(number(&channel[2]), f(&voice["contacts"]));
    assert!((number(&channel[3]) - f(&voice["share"])).abs() < 1e-12);
    assert!(same_optional(&channel[4], &voice["previous"]));
    let change = (f(&voice["contacts"]) - f(&voice["previous"])) / f(&voice["previous"]);
    assert!((number(&channel[5]) - change).abs() < 1e-12);
    assert!(same_optional(&channel[6], &voice["complaint_rate"]));
    let rest = breakdown.last().unwrap();
    assert_eq!(text(&rest[1]), format!("其他 {} 个", regions - 10));
    assert_eq!(rest[6], Data::Empty);

    let keywords = sheet(&bytes, "类别关键词");
    assert_eq!(
        keywords[1..]
            .iter()
            .map(|r| text(&r[1]))
            .collect::<Vec<_>>(),
        ["光缆（12）、物业（3）"]
    );

    let terms = sheet(&bytes, "新词发现");
    let t = &json["new_terms"][0];
    assert_eq!(terms.len(), 2);
    assert_eq!(text(&terms[1][0]), t["term"].as_str().unwrap());
    for (col, key) in [
        (1, "current"),
        (2, "baseline_mean"),
        (3, "ratio"),
        (4, "p_value"),
    ] {
        assert_eq!(number(&terms[1][col]), f(&t[key]), "{key}");
    }

    // KPI scorecard: values in their unit (shares as fractions, seconds, per mille).
    let card = sheet(&bytes, "KPI达成");
    let kpi = &json["kpi"];
    let rows = kpi["rows"].as_array().unwrap();
    assert_eq!(text(&card[0][4]), kpi["as_of"].as_str().unwrap());
    assert_eq!(card.len() - 1, rows.len());
    for (row, r) in card[1..].iter().zip(rows) {
        assert_eq!(text(&row[0]), r["name"].as_str().unwrap());
        assert_eq!(number(&row[1]), f(&r["target"]));
        assert!(same_optional(&row[2], &r["actual"]));
        assert_eq!(text(&row[3]), r["status"].as_str().unwrap_or("—"));
        assert!(same_optional(&row[4], &r["day_actual"]));
        // The level to reach as a number; the other dynamic targets in words.
        if r["dynamic"] == "需达到" {
            assert!(same_optional(&row[6], &r["dynamic_value"]), "{r}");
        } else {
            assert!(matches!(row[6], Data::String(_)), "{r}");
        }
    }
    // One row a day, one column a KPI.
    let daily = sheet(&bytes, "KPI逐日");
    let days = kpi["daily"].as_array().unwrap();
    assert_eq!(daily.len() - 1, days.len());
    assert_eq!(daily[0].len(), rows.len() + 1);
    for (row, day) in daily[1..].iter().zip(days) {
        assert_eq!(date(&row[0]), day["date"].as_str().unwrap());
        for (cell, v) in row[1..].iter().zip(day["values"].as_array().unwrap()) {
            assert!(same_optional(cell, &v["actual"]));
        }
    }

    // Forecast: the recent actual days, then the forecast days.
    let forecast = sheet(&bytes, "话务预测");
    let fc = &json["forecast"];
    let points: Vec<(&str, &serde_json::Value)> = fc["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| ("实际", p))
        .chain(fc["days"].as_array().unwrap().iter().map(|p| ("预测", p)))
        .collect();
    assert_eq!(forecast.len() - 1, points.len());
    for (row, (kind, p)) in forecast[1..].iter().zip(&points) {
        assert_eq!(date(&row[0]), p["date"].as_str().unwrap());
        assert_eq!(text(&row[2]), *kind);
        assert_eq!(number(&row[3]), f(&p["volume"]));
    }
    // Staffing: the forecast days' volume, as the report's table shows it.
    let staffing = sheet(&bytes, "排班测算");
    let rows = fc["staffing"].as_array().unwrap();
    assert_eq!(staffing.len() - 1, rows.len());
    for ((row, s), day) in staffing[1..]
        .iter()
        .zip(rows)
        .zip(fc["days"].as_array().unwrap())
    {
        assert_eq!(date(&row[0]), s["date"].as_str().unwrap());
        assert_eq!(number(&row[2]), f(&day["volume"]));
        for (col, key) in [
            (3, "erlang_agents"),
            (4, "service_level"),
            (5, "erlang_headcount"),
            (6, "simple_headcount"),
        ] {
            assert_eq!(number(&row[col]), f(&s[key]), "{key}");
        }
    }

    let risk = sheet(&bytes, "风险汇总");
    let r = &json["risk"];
    assert_eq!(
        (number(&risk[1][1]), number(&risk[1][2])),
        (f(&r["escalation"]), f(&r["escalation_previous"]))
    );
    assert_eq!(
        (number(&risk[2][1]), number(&risk[2][2])),
        (f(&r["churn"]), f(&r["churn_previous"]))
    );
}
