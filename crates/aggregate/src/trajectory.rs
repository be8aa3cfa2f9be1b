//! How customers' mood moved over the report period's contacts, by category and by
//! agent team (queue): of the contacts with a trajectory (two customer turns or more),
//! how many ended worse than they began (`emotion_trajectory = worsening`).

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AggregateError;

/// The contacts of one category or one queue whose mood could be followed, and how
/// many of them ended worse or better than they began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrajectoryCount {
    /// `category` or `queue`.
    pub dimension: String,
    pub value: String,
    /// Contacts with a trajectory (improving, worsening or steady): the base.
    pub followed: u64,
    pub worsening: u64,
    pub improving: u64,
}

/// Counts over `lf` (the report period's rows): all followed contacts (dimension
/// `all`), then categories (a contact counts in each of its categories), then queues; each by `followed` descending, then by value.
/// A history written before the mood columns existed gives no rows.
pub fn ending_worse(lf: LazyFrame) -> Result<Vec<TrajectoryCount>, AggregateError> {
    let mut lf = lf;
    let schema = lf.collect_schema()?;
    if schema.get("emotion_trajectory").is_none() {
        return Ok(Vec::new());
    }
    let followed = lf
        .select([col("categories"), col("queue"), col("emotion_trajectory")])
        .filter(
            col("emotion_trajectory")
                .is_not_null()
                .and(col("emotion_trajectory").neq(lit(""))),
        );
    let counts = || {
        [
            len().alias("followed"),
            col("emotion_trajectory")
                .eq(lit("worsening"))
                .cast(DataType::UInt32)
                .sum()
                .alias("worsening"),
            col("emotion_trajectory")
                .eq(lit("improving"))
                .cast(DataType::UInt32)
                .sum()
                .alias("improving"),
        ]
    };
    let categories = followed
        .clone()
        .explode(
            by_name(["categories"], true, false),
            ExplodeOptions {
                empty_as_null: false,
                keep_nulls: false,
            },
        )
        .filter(col("categories").is_not_null())
        .group_by([col("categories")])
        .agg(counts())
        .rename(["categories"], ["value"], true)
        .collect()?;
    let all = followed
        .clone()
        .select(counts())
        .with_column(lit("").alias("value"))
        .collect()?;
    let queues = followed
        .filter(col("queue").is_not_null())
        .group_by([col("queue")])
        .agg(counts())
        .rename(["queue"], ["value"], true)
        .collect()?;
    // No row at all when nothing could be followed, so the report leaves the section out.
    let mut out: Vec<TrajectoryCount> = rows_of("all", &all)?
        .into_iter()
        .filter(|r| r.followed > 0)
        .collect();
    if out.is_empty() {
        return Ok(out);
    }
    for (dimension, frame) in [("category", &categories), ("queue", &queues)] {
        let mut rows = rows_of(dimension, frame)?;
        rows.sort_by(|a, b| b.followed.cmp(&a.followed).then(a.value.cmp(&b.value)));
        out.extend(rows);
    }
    Ok(out)
}

fn rows_of(dimension: &str, frame: &DataFrame) -> Result<Vec<TrajectoryCount>, AggregateError> {
    let value = frame.column("value")?.str()?.clone();
    let number = |name: &str| -> Result<Vec<u64>, AggregateError> {
        let c = frame.column(name)?.cast(&DataType::UInt64)?;
        let c = c.u64()?;
        Ok((0..c.len()).map(|i| c.get(i).unwrap_or(0)).collect())
    };
    let (followed, worsening, improving) = (
        number("followed")?,
        number("worsening")?,
        number("improving")?,
    );
    Ok((0..frame.height())
        .map(|i| TrajectoryCount {
            dimension: dimension.to_string(),
            value: value.get(i).unwrap_or_default().to_string(),
            followed: followed[i],
            worsening: worsening[i],
            improving: improving[i],
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_category_and_queue() {
        let categories = Series::new(
            "categories".into(),
            [
                Series::new("".into(), ["网络/断网", "资费/扣费"]),
                Series::new("".into(), ["网络/断网"]),
                Series::new("".into(), ["网络/断网"]),
                Series::new("".into(), Vec::<&str>::new()),
            ],
        );
        let frame = DataFrame::new_infer_height(vec![
            categories.into(),
            Column::new(
                "queue".into(),
                [Some("一线"), Some("一线"), None, Some("二线")],
            ),
            Column::new(
                "emotion_trajectory".into(),
                ["worsening", "improving", "", "worsening"],
            ),
        ])
        .unwrap();
        let rows = ending_worse(frame.lazy()).unwrap();
        let row = |d: &str, v: &str| {
            rows.iter()
                .find(|r| r.dimension == d && r.value == v)
                .map(|r| (r.followed, r.worsening, r.improving))
        };
        // The third contact has no trajectory: it is not in any base.
        assert_eq!(row("category", "网络/断网"), Some((2, 1, 1)));
        assert_eq!(row("category", "资费/扣费"), Some((1, 1, 0)));
        assert_eq!(row("queue", "一线"), Some((2, 1, 1)));
        assert_eq!(row("queue", "二线"), Some((1, 1, 0)));
        assert_eq!(row("all", ""), Some((3, 2, 1)));
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[1].value, "网络/断网");
    }

    #[test]
    fn a_history_without_the_mood_columns_gives_nothing() {
        let frame =
            DataFrame::new_infer_height(vec![Column::new("queue".into(), ["一线"])]).unwrap();
        assert!(ending_worse(frame.lazy()).unwrap().is_empty());
    }
}
