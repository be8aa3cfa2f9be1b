//! The Parquet reader: rows read back as written, in order, batch by batch; and a row
//! read straight from its columns into a contact must be the contact its JSON object
//! gives, or take the general path as that object would: same contact, same refusals,
//! for the awkward values exports hold (nulls, pandas' NaN integers, empty and null
//! turn lists, a turn without a speaker, out-of-range numbers).

use super::*;
use crate::record::{canonical_contact_from, canonical_contact_of_value};
use serde::Deserialize;

/// Every row of a Parquet file, numbered from 1: its JSON object and the column that
/// could not be read. Where the batch reads rows directly, each row deserialized
/// through [`RowBatch::deserializer`] must be that same object.
fn read_rows(path: &Path) -> Vec<(u64, Value, Option<RowError>)> {
    let mut rows = Vec::new();
    parquet_batches(path, &mut |batch| {
        for i in 0..batch.len() {
            let (value, error) = batch.json_row(i);
            if let Some(row) = batch.deserializer(i) {
                assert_eq!(error, None);
                assert_eq!(Value::deserialize(row).unwrap(), value);
            }
            rows.push((rows.len() as u64 + 1, value, error));
        }
    })
    .unwrap();
    rows
}

/// Writes `df` as Parquet (row groups of `group_rows` rows, or polars' default) and
/// reads it back: each row's number and value, every row read without error.
fn round_trip(df: &mut DataFrame, group_rows: Option<usize>) -> Vec<(u64, Value)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .with_row_group_size(group_rows)
        .finish(df)
        .unwrap();
    read_rows(&path)
        .into_iter()
        .map(|(n, v, e)| {
            assert_eq!(e, None);
            (n, v)
        })
        .collect()
}

#[test]
fn rows_round_trip_through_parquet() {
    let mut df = df!(
        "id" => ["W1", "W2"],
        "started_at" => ["2026-11-02 09:15:00", "2026-11-03 10:00:00"],
        "csat" => [Some(2i64), None],
        "text" => ["宽带断网", "话费疑问"],
    )
    .unwrap();
    let rows = round_trip(&mut df, None);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, 1);
    assert_eq!(rows[0].1["id"], "W1");
    assert_eq!(rows[0].1["csat"], 2);
    assert_eq!(rows[1].1["csat"], Value::Null);
}

#[test]
fn turns_as_a_list_of_structs_read_as_json_lines_turns() {
    let speaker = Series::new("speaker".into(), ["agent", "customer", "customer"]);
    let text = Series::new("text".into(), ["您好", "宽带断网了", "光猫闪红灯"]);
    let turns = StructChunked::from_series("turns".into(), 3, [speaker, text].iter())
        .unwrap()
        .into_series();
    // Row 1 holds the first two turns, row 2 the third.
    let lists = Series::new("turns".into(), [turns.slice(0, 2), turns.slice(2, 1)]);
    let mut df = DataFrame::new(
        2,
        vec![Column::new("id".into(), ["W1", "W2"]), lists.into()],
    )
    .unwrap();
    let rows = round_trip(&mut df, None);
    assert_eq!(
        rows[0].1["turns"],
        serde_json::json!([
            {"speaker": "agent", "text": "您好"},
            {"speaker": "customer", "text": "宽带断网了"}
        ])
    );
    assert_eq!(rows[1].1["turns"][0]["text"], "光猫闪红灯");
}

#[test]
fn naive_timestamps_are_wall_clock_times_and_zoned_ones_instants() {
    // 2026-11-02 09:15:00 as milliseconds since the epoch.
    let naive = Series::new("naive".into(), [1_793_610_900_000i64])
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
        .unwrap();
    let mut df = DataFrame::new(1, vec![naive.into()]).unwrap();
    // Without a zone: no offset written, so ingest reads it in Beijing time.
    assert_eq!(
        round_trip(&mut df, None)[0].1["naive"],
        "2026-11-02 09:15:00"
    );
    // pyarrow's timestamps with a zone (the broken corpus's: 2026-11-02 01:15 UTC)
    // are instants.
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/broken/contacts.parquet");
    assert_eq!(
        read_rows(&corpus)[0].1["started_at"],
        "2026-11-02T09:15:00+08:00"
    );
}

#[test]
fn every_row_of_many_row_groups_is_read_once_in_order() {
    let n = 2_500;
    let ids: Vec<String> = (0..n).map(|i| format!("W{i}")).collect();
    let mut df = df!("id" => ids).unwrap();
    let rows = round_trip(&mut df, Some(300));
    assert_eq!(rows.len(), n);
    for (i, (row, value)) in rows.iter().enumerate() {
        assert_eq!(*row, i as u64 + 1);
        assert_eq!(value["id"], Value::String(format!("W{i}")));
    }
}

#[test]
fn batches_keep_whole_groups_and_slice_large_ones() {
    assert_eq!(batches(&[], 10), vec![]);
    assert_eq!(batches(&[3, 4, 3, 5], 10), vec![(0, 10), (10, 5)]);
    assert_eq!(batches(&[25], 10), vec![(0, 10), (10, 10), (20, 5)]);
    assert_eq!(
        batches(&[4, 25, 2], 10),
        vec![(0, 4), (4, 10), (14, 10), (24, 5), (29, 2)]
    );
}

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
            let from_columns = canonical_contact_from(batch.deserializer(row).unwrap(), None);
            assert_eq!(
                from_columns,
                canonical_contact_of_value(&value, None),
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

/// Database exports hold ids and phone numbers as NUMBER(n, 0) columns, amounts and
/// scores with a scale: read as their written digits, and read directly; durations
/// as seconds.
#[test]
fn decimal_columns_are_read_as_their_written_digits() {
    let decimal = |name: &str, values: &[f64], precision: usize, scale: usize| {
        Series::new(name.into(), values)
            .cast(&DataType::Decimal(precision, scale))
            .unwrap()
            .into_column()
    };
    let mut df = DataFrame::new(
        2,
        vec![
            decimal("customer_id", &[13812345678.0, 3830772740080373.0], 18, 0),
            decimal("csat", &[4.5, 0.5], 3, 1),
            decimal("refund", &[-0.05, 1234.56], 10, 2),
            // A handling time exported as a duration: seconds.
            Series::new("handle".into(), [1500i64, 90_000])
                .cast(&DataType::Duration(TimeUnit::Milliseconds))
                .unwrap()
                .into_column(),
        ],
    )
    .unwrap();
    assert_eq!(df.column("csat").unwrap().dtype(), &DataType::Decimal(3, 1));
    let rows = round_trip(&mut df, None);
    assert_eq!(rows[0].1["customer_id"], 13812345678i64);
    assert_eq!(rows[1].1["customer_id"], 3830772740080373i64);
    assert_eq!(rows[0].1["csat"], 4.5);
    assert_eq!(rows[1].1["csat"], 0.5);
    assert_eq!(rows[0].1["refund"], -0.05);
    assert_eq!(rows[1].1["refund"], 1234.56);
    assert_eq!(rows[0].1["handle"], 1.5);
    assert_eq!(rows[1].1["handle"], 90);
    // Past 64 bits, as text: the digits as written.
    assert_eq!(
        decimal_json(1_234_567_890_123_456_789_012, 0),
        Value::String("1234567890123456789012".into())
    );
    assert_eq!(decimal_json(7, 3), serde_json::json!(0.007));
}
