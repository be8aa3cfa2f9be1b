//! 情感趋势: mean customer sentiment and the negative share per period (chart and
//! table).

use std::fmt::{Result, Write};

use super::Section;
use crate::format::{fixed, fraction_pct};
use crate::svg;
use crate::table::{
    Align::{Num, Text},
    Cell, Table,
};
use crate::view::View;

pub(crate) struct Sentiment;

impl Section for Sentiment {
    fn id(&self) -> &'static str {
        "sentiment"
    }

    fn title(&self) -> &'static str {
        "情感趋势"
    }

    fn input_fields(&self) -> &'static [&'static str] {
        &["sentiment", "comparison_sentiment"]
    }

    fn tables(&self, view: &View) -> Vec<Table> {
        vec![sentiment(view)]
    }

    fn html(&self, view: &View, heading: &str, out: &mut String) -> Result {
        let rows = &view.input.sentiment;
        writeln!(out, r#"<section id="{}">"#, Sentiment.id())?;
        writeln!(out, "<h2>{heading}</h2>")?;
        if rows.is_empty() {
            writeln!(out, "<p>暂无情感分析数据。</p>")?;
            return writeln!(out, "</section>");
        }
        writeln!(out, "<figure>")?;
        svg::sentiment_chart(rows, Some(view.input.period.as_str()), out)?;
        writeln!(
            out,
            "<figcaption>图 2　各期客户情感均值（数值越低越负面，大圆点为本期）</figcaption>"
        )?;
        writeln!(out, "</figure>")?;
        sentiment(view).html(out)?;
        writeln!(out, "</section>")
    }

    fn markdown(&self, view: &View, heading: &str, out: &mut String) -> Result {
        writeln!(out, "## {heading}")?;
        writeln!(out)?;
        if view.input.sentiment.is_empty() {
            writeln!(out, "暂无情感分析数据。")?;
            return writeln!(out);
        }
        sentiment(view).markdown(out)?;
        writeln!(out, "情感均值越低表示客户越不满。")?;
        writeln!(out)
    }

    fn findings(&self, view: &View) -> Vec<String> {
        vec![sentiment_sentence(view)]
    }
}

/// Mean sentiment and negative share per period of the trend.
fn sentiment(view: &View) -> Table {
    let mut t = Table::new(
        "情感趋势",
        &[("周期", Text), ("情感均值", Num), ("负面占比", Num)],
    );
    for r in &view.input.sentiment {
        t.row(vec![
            Cell::period(&r.period, &view.input.period),
            Cell::decimal(r.mean_score, 2),
            Cell::fraction(r.negative_share),
        ]);
    }
    t
}

fn sentiment_sentence(view: &View) -> String {
    let Some(cur) = view.sentiment else {
        return "本期暂无情感分析数据。".to_string();
    };
    let prev = view.sentiment_previous;
    // The previous values only: a change of a mean score is not stated without a test.
    let mut s = format!("本期客户情感均值为 {}", fixed(cur.mean_score, 2));
    if let Some(p) = prev {
        s.push_str(&format!("（上期 {}）", fixed(p.mean_score, 2)));
    }
    s.push_str(&format!(
        "；负面情绪占比 {}",
        fraction_pct(cur.negative_share)
    ));
    if let Some(p) = prev {
        s.push_str(&format!("（上期 {}）", fraction_pct(p.negative_share)));
    }
    s.push('。');
    s
}
