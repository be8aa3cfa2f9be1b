//! How customers' mood moved over the report period's contacts, by category, by queue
//! and, when `[drivers] agent_teams` names them, by agent team (the same teams as the key
//! drivers): of the contacts with a trajectory (two customer turns or more), how many
//! ended worse than they began (`emotion_trajectory = worsening`).

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AggregateError;

/// The contacts of one category or one queue whose mood could be followed, and how
/// many of them ended worse or better than they began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrajectoryCount {
    /// `all`, `category`, `team` or `queue`.
    pub dimension: String,
    pub value: String,
    /// Contacts with a trajectory (improving, worsening or steady): the base.
    pub followed: u64,
    pub worsening: u64,
    pub improving: u64,
}

/// Counts over `lf` (the report period's rows): all followed contacts (dimension
/// `all`), then categories (a contact counts in each of its categories), then agent teams
/// (`team_of_agent`, agent id → team; none when empty), then queues; each by `followed`
/// descending, then by value. A history written before the mood columns existed gives
/// no rows.
pub fn ending_worse(
    lf: LazyFrame,
    team_of_agent: &HashMap<&str, &str>,
) -> Result<Vec<TrajectoryCount>, AggregateError> {
    let mut lf = lf;
    let schema = lf.collect_schema()?;
    if schema.get("emotion_trajectory").is_none() {
        return Ok(Vec::new());
    }
    let by_team = !team_of_agent.is_empty() && schema.get("agent_id").is_some();
    let mut columns = vec![col("categories"), col("queue"), col("emotion_trajectory")];
    if by_team {
        columns.push(col("agent_id"));
    }
    let followed = lf.select(columns).filter(
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
    let followed_agents = if by_team {
        followed
            .clone()
            .select([col("agent_id"), col("emotion_trajectory")])
            .collect()?
    } else {
        DataFrame::empty()
    };
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
    let teams = if by_team {
        team_counts(&followed_agents, team_of_agent)?
    } else {
        Vec::new()
    };
    for (dimension, mut rows) in [
        ("category", rows_of("category", &categories)?),
        ("team", teams),
        ("queue", rows_of("queue", &queues)?),
    ] {
        debug_assert!(rows.iter().all(|r| r.dimension == dimension));
        rows.sort_by(|a, b| b.followed.cmp(&a.followed).then(a.value.cmp(&b.value)));
        out.extend(rows);
    }
    Ok(out)
}

/// Followed contacts counted by the team of their agent; contacts of agents in no team
/// are left out, as in the key drivers.
fn team_counts(
    followed: &DataFrame,
    team_of_agent: &HashMap<&str, &str>,
) -> Result<Vec<TrajectoryCount>, AggregateError> {
    let agents = followed.column("agent_id")?.str()?;
    let trajectories = followed.column("emotion_trajectory")?.str()?;
    let mut counts: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new();
    for (agent, trajectory) in agents.iter().zip(trajectories.iter()) {
        let Some(team) = agent.and_then(|a| team_of_agent.get(a)) else {
            continue;
        };
        let c = counts.entry(team).or_default();
        c.0 += 1;
        match trajectory {
            Some("worsening") => c.1 += 1,
            Some("improving") => c.2 += 1,
            _ => {}
        }
    }
    Ok(counts
        .into_iter()
        .map(|(team, (followed, worsening, improving))| TrajectoryCount {
            dimension: "team".to_string(),
            value: team.to_string(),
            followed,
            worsening,
            improving,
        })
        .collect())
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
            Column::new("agent_id".into(), ["A1", "A2", "A1", "A9"]),
        ])
        .unwrap();
        let rows = ending_worse(frame.clone().lazy(), &HashMap::new()).unwrap();
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

        // With teams configured, a team row per team after the categories; A9 is in none.
        let teams = HashMap::from([("A1", "一组"), ("A2", "二组")]);
        let rows = ending_worse(frame.lazy(), &teams).unwrap();
        let dims: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.dimension.as_str(), r.value.as_str()))
            .collect();
        assert_eq!(
            dims,
            [
                ("all", ""),
                ("category", "网络/断网"),
                ("category", "资费/扣费"),
                ("team", "一组"),
                ("team", "二组"),
                ("queue", "一线"),
                ("queue", "二线"),
            ]
        );
        let team = |v: &str| {
            rows.iter()
                .find(|r| r.dimension == "team" && r.value == v)
                .map(|r| (r.followed, r.worsening, r.improving))
        };
        assert_eq!(team("一组"), Some((1, 1, 0)));
        assert_eq!(team("二组"), Some((1, 0, 1)));
    }

    #[test]
    fn a_history_without_the_mood_columns_gives_nothing() {
        let frame =
            DataFrame::new_infer_height(vec![Column::new("queue".into(), ["一线"])]).unwrap();
        assert!(
            ending_worse(frame.lazy(), &HashMap::from([("A1", "一组")]))
                .unwrap()
                .is_empty()
        );
    }
}
