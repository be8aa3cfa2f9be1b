//! A period's discovery as the report's section data ([`voc_report::DiscoverySection`]):
//! the new and growing topics and themes, those mostly outside the taxonomy first.

use voc_report::{DiscoveredTopic, DiscoverySection, TopicVerbatim};

use crate::{Discovery, Status, Topic, TopicKind};

/// Turns a share of a topic's contacts back into their count.
fn count_of(share: f64, size: u64) -> u64 {
    (share * size as f64).round().max(0.0) as u64
}

fn pairs(shares: &[crate::Share], name: &dyn Fn(&str) -> String) -> Vec<(String, u64)> {
    shares.iter().map(|s| (name(&s.value), s.count)).collect()
}

fn section_topic(t: &Topic, channel_name: &dyn Fn(&str) -> String) -> DiscoveredTopic {
    DiscoveredTopic {
        id: t.id.clone(),
        kind: match t.kind {
            TopicKind::Topic => "topic",
            TopicKind::Theme => "theme",
        }
        .to_string(),
        label: t.label.clone(),
        status: match t.status {
            Status::New => "new",
            _ => "growing",
        }
        .to_string(),
        size: t.size,
        previous_size: t.previous_size,
        p_value: t.p_value.filter(|_| t.status == Status::Growing),
        uncategorised: count_of(t.uncategorised_share, t.size),
        mean_sentiment: t.mean_sentiment,
        negative: count_of(t.negative_share, t.size),
        regions: pairs(&t.regions, &|v| v.to_string()),
        channels: pairs(&t.channels, channel_name),
        categories: pairs(&t.categories, &|v| v.to_string()),
        verbatims: t
            .verbatims
            .iter()
            .take(3)
            .map(|v| TopicVerbatim {
                contact_id: v.id.clone(),
                text: v.text.clone(),
            })
            .collect(),
    }
}

impl Discovery {
    /// The report's section: topics and themes that are new or grew significantly
    /// (stable, shrinking and untested ones are left out), those with at least half
    /// their contacts outside every category first, then by size and id.
    /// `channel_name` gives a channel value's report name (`[report] channel_names`).
    pub fn report_section(&self, channel_name: &dyn Fn(&str) -> String) -> DiscoverySection {
        let mut listed: Vec<&Topic> = self
            .topics
            .iter()
            .chain(&self.themes)
            .filter(|t| matches!(t.status, Status::New | Status::Growing))
            .collect();
        listed.sort_by(|a, b| {
            let outside = |t: &Topic| t.uncategorised_share >= 0.5;
            outside(b)
                .cmp(&outside(a))
                .then(b.size.cmp(&a.size))
                .then(a.id.cmp(&b.id))
        });
        DiscoverySection {
            period: self.period.clone(),
            previous_period: self.previous_period.clone(),
            contacts: self.contacts,
            uncategorised: self.uncategorised,
            topics_found: (self.topics.len() + self.themes.len()) as u64,
            topics: listed
                .into_iter()
                .map(|t| section_topic(t, channel_name))
                .collect(),
        }
    }
}
