//! The trend tables as files: each one as Parquet (for DuckDB, pandas, Spark) and as
//! CSV (UTF-8 with a byte-order mark, which Excel needs to read Chinese), written
//! atomically. The bytes depend only on the rows: rows come sorted, floats print in
//! Rust's shortest round-trip form, and no time or path is written into the files.

use polars::prelude::*;
use std::path::{Path, PathBuf};

use crate::AggregateError;
use crate::trends::Trends;

/// File stems written by [`write_tables`], in order.
pub const TABLES: &[&str] = &[
    "weeks",
    "volumes",
    "categories",
    "emerging",
    "new_terms",
    "top_keywords",
    "kpi_daily",
    "kpi_scorecard",
    "forecast",
    "forecast_backtest",
    "staffing",
];

/// Columns under construction.
#[derive(Default)]
struct Table {
    columns: Vec<Column>,
}

impl Table {
    fn s(mut self, name: &str, v: Vec<String>) -> Self {
        self.columns.push(Column::new(name.into(), v));
        self
    }
    fn os(mut self, name: &str, v: Vec<Option<String>>) -> Self {
        self.columns.push(Column::new(name.into(), v));
        self
    }
    fn u(mut self, name: &str, v: Vec<u64>) -> Self {
        self.columns.push(Column::new(name.into(), v));
        self
    }
    fn ou(mut self, name: &str, v: Vec<Option<u64>>) -> Self {
        self.columns.push(Column::new(name.into(), v));
        self
    }
    fn f(mut self, name: &str, v: Vec<f64>) -> Self {
        self.columns.push(Column::new(name.into(), v));
        self
    }
    fn of(mut self, name: &str, v: Vec<Option<f64>>) -> Self {
        self.columns.push(Column::new(name.into(), v));
        self
    }
    fn frame(self) -> Result<DataFrame, AggregateError> {
        Ok(DataFrame::new_infer_height(self.columns)?)
    }
}

macro_rules! col_of {
    ($rows:expr, $f:expr) => {
        $rows.iter().map($f).collect::<Vec<_>>()
    };
}

/// Every trend table as a frame, named as in [`TABLES`].
pub fn frames(t: &Trends) -> Result<Vec<(&'static str, DataFrame)>, AggregateError> {
    let w = &t.tables.weeks;
    let weeks = Table::default()
        .s("week", col_of!(w, |r| r.week.clone()))
        .u("contacts", col_of!(w, |r| r.contacts))
        .u("complaints", col_of!(w, |r| r.complaints))
        .of(
            "complaints_per_1000",
            col_of!(w, |r| (r.contacts > 0)
                .then(|| r.complaints as f64 * 1000.0 / r.contacts as f64)),
        )
        .f("sentiment_mean", col_of!(w, |r| r.sentiment_mean))
        .f("negative_share", col_of!(w, |r| r.negative_share))
        .u("escalation", col_of!(w, |r| r.escalation))
        .u("churn", col_of!(w, |r| r.churn))
        .u("repeat", col_of!(w, |r| r.repeat))
        .frame()?;

    let v = &t.volumes;
    let volumes = Table::default()
        .s("grain", col_of!(v, |r| r.grain.as_str().to_string()))
        .s("period", col_of!(v, |r| r.period.clone()))
        .s("first_day", col_of!(v, |r| r.first_day.clone()))
        .s("last_day", col_of!(v, |r| r.last_day.clone()))
        .s("dimension", col_of!(v, |r| r.dimension.clone()))
        .s("value", col_of!(v, |r| r.value.clone()))
        .u("contacts", col_of!(v, |r| r.contacts))
        .f("share", col_of!(v, |r| r.share))
        .u("complaints", col_of!(v, |r| r.complaints))
        .of("complaints_per_1000", col_of!(v, |r| r.complaints_per_1000))
        .s("previous_period", col_of!(v, |r| r.previous_period.clone()))
        .ou("previous_contacts", col_of!(v, |r| r.previous_contacts))
        .of("change_pct", col_of!(v, |r| r.change_pct))
        .frame()?;

    let c = &t.categories;
    let categories = Table::default()
        .s("grain", col_of!(c, |r| r.grain.as_str().to_string()))
        .s("period", col_of!(c, |r| r.period.clone()))
        .s("category", col_of!(c, |r| r.category.clone()))
        .u("count", col_of!(c, |r| r.count))
        .u("contacts", col_of!(c, |r| r.contacts))
        .f("share", col_of!(c, |r| r.share))
        .f("per_1000", col_of!(c, |r| r.per_1000))
        .s("previous_period", col_of!(c, |r| r.previous_period.clone()))
        .ou("previous_count", col_of!(c, |r| r.previous_count))
        .of("change_pct", col_of!(c, |r| r.change_pct))
        .frame()?;

    let e = &t.emerging;
    let emerging = Table::default()
        .s("week", col_of!(e, |r| r.week.clone()))
        .s("category", col_of!(e, |r| r.category.clone()))
        .os("region", col_of!(e, |r| r.region.clone()))
        .u("count", col_of!(e, |r| r.count))
        .f("baseline_mean", col_of!(e, |r| r.baseline_mean))
        .f("expected", col_of!(e, |r| r.expected))
        .f(
            "ratio",
            col_of!(e, |r| if r.expected > 0.0 {
                r.count as f64 / r.expected
            } else {
                0.0
            }),
        )
        .f("p_value", col_of!(e, |r| r.p_value))
        .frame()?;

    let n = &t.terms.new_terms;
    let new_terms = Table::default()
        .s("week", col_of!(n, |r| r.week.clone()))
        .s("term", col_of!(n, |r| r.term.clone()))
        .s("tokens", col_of!(n, |r| r.tokens.clone()))
        .u("count", col_of!(n, |r| r.count))
        .f("baseline_mean", col_of!(n, |r| r.baseline_mean))
        .f("expected", col_of!(n, |r| r.expected))
        .f("ratio", col_of!(n, |r| r.ratio))
        .f("p_value", col_of!(n, |r| r.p_value))
        .frame()?;

    let k = &t.terms.keywords;
    let keywords = Table::default()
        .s("week", col_of!(k, |r| r.week.clone()))
        .s("category", col_of!(k, |r| r.category.clone()))
        .u("rank", col_of!(k, |r| u64::from(r.rank)))
        .s("term", col_of!(k, |r| r.term.clone()))
        .f("score", col_of!(k, |r| r.score))
        .u("count", col_of!(k, |r| r.count))
        .u("category_contacts", col_of!(k, |r| r.category_contacts))
        .u("baseline_count", col_of!(k, |r| r.baseline_count))
        .frame()?;

    let d = &t.scorecard.daily;
    let kpi_daily = Table::default()
        .s("date", col_of!(d, |r| r.date.clone()))
        .s("metric", col_of!(d, |r| r.metric.key().to_string()))
        .of("actual", col_of!(d, |r| r.actual))
        .f("target", col_of!(d, |r| r.target))
        .os(
            "status",
            col_of!(d, |r| r.status.map(|s| s.label().to_string())),
        )
        .f("numerator", col_of!(d, |r| r.numerator))
        .f("denominator", col_of!(d, |r| r.denominator))
        .frame()?;

    let m = &t.scorecard.month_rows;
    let kpi_scorecard = Table::default()
        .s("month", col_of!(m, |r| r.month.clone()))
        .s("as_of", col_of!(m, |r| r.as_of.clone()))
        .s("metric", col_of!(m, |r| r.metric.key().to_string()))
        .s("name", col_of!(m, |r| r.metric.name().to_string()))
        .s("unit", col_of!(m, |r| r.metric.unit().to_string()))
        .f("target", col_of!(m, |r| r.target))
        .of("actual", col_of!(m, |r| r.actual))
        .os(
            "status",
            col_of!(m, |r| r.status.map(|s| s.label().to_string())),
        )
        .of("day_actual", col_of!(m, |r| r.day_actual))
        .os(
            "day_status",
            col_of!(m, |r| r.day_status.map(|s| s.label().to_string())),
        )
        .u("days_elapsed", col_of!(m, |r| u64::from(r.days_elapsed)))
        .u(
            "days_remaining",
            col_of!(m, |r| u64::from(r.days_remaining)),
        )
        .f(
            "remaining_denominator",
            col_of!(m, |r| r.remaining_denominator),
        )
        .s(
            "dynamic_target",
            col_of!(m, |r| r.dynamic.label().to_string()),
        )
        .of("dynamic_value", col_of!(m, |r| r.dynamic.value()))
        .frame()?;

    let no_days = Vec::new();
    let fd = t.forecast.as_ref().map_or(&no_days, |f| &f.days);
    let forecast = Table::default()
        .s("date", col_of!(fd, |r| r.date.clone()))
        .s("weekday", col_of!(fd, |r| r.weekday.clone()))
        .f("volume", col_of!(fd, |r| r.volume))
        .frame()?;
    let no_backtest = Vec::new();
    let bt = t.forecast.as_ref().map_or(&no_backtest, |f| &f.backtest);
    let forecast_backtest = Table::default()
        .s("date", col_of!(bt, |r| r.date.clone()))
        .s("weekday", col_of!(bt, |r| r.weekday.clone()))
        .f("actual", col_of!(bt, |r| r.actual))
        .f("forecast", col_of!(bt, |r| r.forecast))
        .of(
            "abs_pct_error",
            col_of!(bt, |r| (r.actual != 0.0)
                .then(|| ((r.actual - r.forecast) / r.actual).abs() * 100.0)),
        )
        .frame()?;

    let st = &t.staffing;
    let staffing = Table::default()
        .s("date", col_of!(st, |r| r.date.clone()))
        .s("weekday", col_of!(st, |r| r.weekday.clone()))
        .f("volume", col_of!(st, |r| r.volume))
        .f("staffed_volume", col_of!(st, |r| r.staffed_volume))
        .f("aht_s", col_of!(st, |r| r.aht_s))
        .f("traffic_erlangs", col_of!(st, |r| r.traffic_erlangs))
        .u("erlang_agents", col_of!(st, |r| u64::from(r.erlang_agents)))
        .f("service_level", col_of!(st, |r| r.service_level))
        .u(
            "erlang_headcount",
            col_of!(st, |r| u64::from(r.erlang_headcount)),
        )
        .u(
            "simple_headcount",
            col_of!(st, |r| u64::from(r.simple_headcount)),
        )
        .frame()?;

    Ok(vec![
        ("weeks", weeks),
        ("volumes", volumes),
        ("categories", categories),
        ("emerging", emerging),
        ("new_terms", new_terms),
        ("top_keywords", keywords),
        ("kpi_daily", kpi_daily),
        ("kpi_scorecard", kpi_scorecard),
        ("forecast", forecast),
        ("forecast_backtest", forecast_backtest),
        ("staffing", staffing),
    ])
}

/// Writes every table as `DIR/NAME.parquet` and `DIR/NAME.csv`; returns the paths.
pub fn write_tables(dir: &Path, trends: &Trends) -> Result<Vec<PathBuf>, AggregateError> {
    let mut written = Vec::new();
    for (name, mut frame) in frames(trends)? {
        let parquet = dir.join(format!("{name}.parquet"));
        voc_store::history::write_parquet(&parquet, &mut frame)?;
        written.push(parquet);
        let csv = dir.join(format!("{name}.csv"));
        voc_core::fsutil::write_atomic(&csv, csv_of(&frame)?.as_bytes())?;
        written.push(csv);
    }
    Ok(written)
}

/// The frame as CSV text: a BOM, a header row, `\r\n` line ends (RFC 4180), fields
/// quoted when they hold a comma, quote or line break; nulls are empty.
pub fn csv_of(frame: &DataFrame) -> Result<String, AggregateError> {
    let mut out = String::from("\u{feff}");
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| csv_field(n.as_str()))
        .collect();
    out.push_str(&names.join(","));
    out.push_str("\r\n");
    let columns = frame.columns();
    for i in 0..frame.height() {
        let mut cells = Vec::with_capacity(columns.len());
        for c in columns {
            cells.push(csv_field(&cell_text(&c.get(i)?)));
        }
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}

fn cell_text(v: &AnyValue) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        AnyValue::UInt32(n) => n.to_string(),
        AnyValue::UInt64(n) => n.to_string(),
        AnyValue::Int32(n) => n.to_string(),
        AnyValue::Int64(n) => n.to_string(),
        AnyValue::Float64(f) if f.is_finite() => f.to_string(),
        AnyValue::Float64(_) => String::new(),
        other => other.to_string(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_nulls() {
        let df = df!(
            "term" => ["光缆", "a,b", "say \"hi\""],
            "count" => [1u64, 2, 3],
            "ratio" => [Some(0.5f64), None, Some(2.0)],
        )
        .unwrap();
        assert_eq!(
            csv_of(&df).unwrap(),
            "\u{feff}term,count,ratio\r\n光缆,1,0.5\r\n\"a,b\",2,\r\n\"say \"\"hi\"\"\",3,2\r\n"
        );
    }

    #[test]
    fn empty_trends_write_every_table_with_headers() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_tables(dir.path(), &Trends::default()).unwrap();
        assert_eq!(written.len(), TABLES.len() * 2);
        let staffing = std::fs::read_to_string(dir.path().join("staffing.csv")).unwrap();
        assert!(staffing.starts_with("\u{feff}date,weekday,volume,"));
        assert_eq!(staffing.lines().count(), 1);
        let again = tempfile::tempdir().unwrap();
        write_tables(again.path(), &Trends::default()).unwrap();
        for name in TABLES {
            let file = format!("{name}.parquet");
            assert_eq!(
                std::fs::read(dir.path().join(&file)).unwrap(),
                std::fs::read(again.path().join(&file)).unwrap(),
                "{file} is byte-stable"
            );
        }
    }
}
