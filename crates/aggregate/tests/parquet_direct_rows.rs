//! A Parquet row read straight from its columns into a contact must be the contact its
//! JSON object gives, or take the general path as that object would: same contact, same
//! refusals, for the awkward values exports hold (nulls, pandas' NaN integers, empty and
//! null turn lists, a turn without a speaker, out-of-range numbers).

use polars::prelude::*;
use voc_aggregate::rows::parquet_batches;
use voc_ingest::record::{canonical_contact_from, canonical_contact_of_value};

fn write(df: &mut DataFrame) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ParquetWriter::new(std::fs::File::create(dir.path().join("in.parquet")).unwrap())
        .finish(df)
        .unwrap();
    dir
}

/// A turn as (speaker, text); a speaker may be missing.
type TurnCells<'a> = (Option<&'a str>, &'a str);

fn turns_column(rows: &[Option<&[TurnCells]>]) -> Column {
    let lists: Vec<Option<Series>> = rows
        .iter()
        .map(|row| {
            row.map(|turns| {
                let speaker: Vec<Option<&str>> = turns.iter().map(|t| t.0).collect();
                let text: Vec<&str> = turns.iter().map(|t| t.1).collect();
                let fields = [
                    Series::new("speaker".into(), speaker),
                    Series::new("text".into(), text),
                ];
                StructChunked::from_series("turns".into(), turns.len(), fields.iter())
                    .unwrap()
                    .into_series()
            })
        })
        .collect();
    Series::new("turns".into(), lists).into()
}

#[test]
fn direct_rows_give_the_contacts_their_json_objects_give() {
    let ms = |s: &str| {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_millis()
    };
    let started = Series::new(
        "started_at".into(),
        [
            Some(ms("2026-11-02 09:15:00")),
            Some(ms("2026-11-08 23:30:00")),
            Some(ms("2026-11-03 10:00:00")),
            None,
            Some(ms("2026-11-04 08:00:00")),
            Some(ms("2026-11-05 12:00:00")),
            Some(ms("2026-11-06 12:00:00")),
            Some(ms("2026-11-07 12:00:00")),
        ],
    )
    .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
    .unwrap();
    let ok: &[TurnCells] = &[(Some("agent"), "您好"), (Some("customer"), "宽带断网了")];
    let turns = turns_column(&[
        Some(ok),
        Some(&[]),
        None,
        Some(ok),
        Some(&[(None, "没有说话人")]),
        Some(&[(Some("robot"), "未知说话人")]),
        Some(ok),
        Some(ok),
    ]);
    let mut df = DataFrame::new(
        8,
        vec![
            Column::new(
                "id".into(),
                [
                    Some("C1"),
                    Some("C2"),
                    Some("C3"),
                    Some("C4"),
                    Some("C5"),
                    Some("C6"),
                    Some(" "),
                    Some("C8"),
                ],
            ),
            started.into(),
            Column::new(
                "duration_s".into(),
                [
                    f64::NAN,
                    120.0,
                    f64::NAN,
                    f64::NAN,
                    f64::NAN,
                    f64::NAN,
                    f64::NAN,
                    60.0,
                ],
            ),
            Column::new(
                "wait_s".into(),
                [
                    Some(5i64),
                    None,
                    Some(3),
                    Some(3),
                    Some(3),
                    Some(3),
                    Some(3),
                    Some(-1),
                ],
            ),
            Column::new(
                "csat".into(),
                [Some(5i32), Some(9), None, Some(1), None, None, None, None],
            ),
            Column::new(
                "resolved".into(),
                [Some(true), None, Some(false), None, None, None, None, None],
            ),
            Column::new(
                "customer_id".into(),
                [
                    Some("13812345678"),
                    None,
                    Some(""),
                    Some("U1"),
                    None,
                    None,
                    None,
                    None,
                ],
            ),
            turns,
            Column::new(
                "text".into(),
                [
                    None,
                    None,
                    Some("坐席：你好 客户：断网"),
                    None,
                    None,
                    None,
                    None,
                    None::<&str>,
                ],
            ),
            Column::new("extra".into(), [1u32, 2, 3, 4, 5, 6, 7, 8]),
        ],
    )
    .unwrap();
    let dir = write(&mut df);
    let (mut direct, mut general) = (0, 0);
    parquet_batches(&dir.path().join("in.parquet"), &mut |batch| {
        for row in 0..batch.len() {
            let (value, error) = batch.json_row(row);
            assert_eq!(error, None);
            let from_columns = canonical_contact_from(batch.deserializer(row).unwrap());
            assert_eq!(
                from_columns,
                canonical_contact_of_value(&value),
                "row {row}: {value}"
            );
            if from_columns.is_some() {
                direct += 1;
            } else {
                general += 1;
            }
        }
    })
    .unwrap();
    // C1 and C3 (turns from the text) are read directly; the others (a duration that
    // is not a whole number, a csat out of range, no start time, a turn without a
    // speaker or with an unknown one, a blank id, a negative wait) are left to the
    // general path, which gives the reasons.
    assert_eq!((direct, general), (2, 6));
}

#[test]
fn a_batch_with_a_column_only_json_reads_takes_the_general_path() {
    let mut df = DataFrame::new(
        1,
        vec![
            Column::new("id".into(), ["C1"]),
            Column::new("tags".into(), [Series::new("".into(), ["a", "b"])]),
        ],
    )
    .unwrap();
    let dir = write(&mut df);
    parquet_batches(&dir.path().join("in.parquet"), &mut |batch| {
        assert!(batch.deserializer(0).is_none());
        assert_eq!(batch.json_row(0).0["tags"], serde_json::json!(["a", "b"]));
    })
    .unwrap();
}
