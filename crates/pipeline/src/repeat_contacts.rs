//! The repeat-contact flag of a streamed batch: a contact is a repeat when its customer
//! contacted within the window before it. It needs every kept delivery of the batch, so
//! the batch keeps only each delivery's time and customer ([`DeliveryKeys`]) and flags
//! them once the newest delivery of every id is known.

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;
use voc_core::Contact;
use voc_core::arena::{StrArena, prefix_key};
use voc_ingest::Deliveries;

/// What the repeat-contact flag needs of every delivery, by sequence number: its time
/// and its customer.
#[derive(Default)]
pub(crate) struct DeliveryKeys {
    at: Vec<DateTime<FixedOffset>>,
    customers: StrArena,
}

impl DeliveryKeys {
    /// The time of delivery `seq`.
    pub(crate) fn at(&self, seq: u64) -> DateTime<FixedOffset> {
        self.at[seq as usize]
    }

    pub(crate) fn push(&mut self, seq: u64, contact: &Contact) {
        debug_assert_eq!(seq as usize, self.at.len(), "deliveries arrive in order");
        self.at.push(contact.started_at);
        self.customers.push(contact.customer_id.as_deref());
    }

    /// A contact is a repeat when its customer contacted within `window_days` before
    /// it, among the batch's kept contacts in order of time, then id (what marking the
    /// sorted batch in memory gives): sorted by customer, time and id, each contact is
    /// compared with the one before it of the same customer. Indexed by sequence number.
    pub(crate) fn repeat_flags(&self, deliveries: &Deliveries, window_days: u32) -> Vec<bool> {
        let window = chrono::Duration::days(i64::from(window_days));
        // At its final size from the start: growing it would hold two copies at once.
        let mut kept: Vec<RepeatKey> = Vec::with_capacity(deliveries.accepted() as usize);
        kept.extend(deliveries.kept().filter_map(|seq| {
            let customer = self.customers.get(seq as usize)?;
            let at = self.at[seq as usize];
            Some(RepeatKey {
                customer: prefix_key(customer),
                customer_len: customer.len() as u32,
                seq: seq as u32,
                secs: at.timestamp(),
            })
        }));
        let by_customer = |a: &RepeatKey, b: &RepeatKey| {
            a.customer.cmp(&b.customer).then_with(|| {
                if a.customer_len <= 16 && b.customer_len <= 16 {
                    // Equal padded prefixes of strings this short: the shorter one is
                    // the longer one without its trailing zero bytes.
                    a.customer_len.cmp(&b.customer_len)
                } else {
                    let customer = |k: &RepeatKey| self.customers.get(k.seq as usize);
                    customer(a).cmp(&customer(b))
                }
            })
        };
        kept.par_sort_unstable_by(|a, b| {
            by_customer(a, b)
                .then_with(|| a.secs.cmp(&b.secs))
                .then_with(|| self.at[a.seq as usize].cmp(&self.at[b.seq as usize]))
                .then_with(|| {
                    let id = |k: &RepeatKey| deliveries.id(u64::from(k.seq));
                    id(a).cmp(id(b))
                })
        });
        let mut flags = vec![false; self.at.len()];
        for pair in kept.windows(2) {
            let (prev, cur) = (&pair[0], &pair[1]);
            if by_customer(prev, cur).is_eq() {
                flags[cur.seq as usize] =
                    self.at[cur.seq as usize] - self.at[prev.seq as usize] <= window;
            }
        }
        flags
    }
}

/// A kept delivery in the repeat flags' sort, with what most comparisons need inline,
/// so that sorting a million deliveries does not read two strings per comparison from
/// all over the arenas. 32 bytes (a million: 32 MB for the sort's duration); the
/// fraction of a second is read from the times only on equal seconds.
struct RepeatKey {
    customer: u128,
    secs: i64,
    customer_len: u32,
    seq: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use voc_core::Turn;
    use voc_ingest::{Chunk, IngestOptions, Ingestor};

    fn contact(id: &str, at: &str, customer: Option<&str>) -> Contact {
        let mut c = Contact::new(
            id,
            DateTime::parse_from_rfc3339(at).unwrap(),
            "voice",
            vec![Turn {
                speaker: voc_core::Speaker::Customer,
                text: "x".into(),
            }],
        );
        c.customer_id = customer.map(str::to_string);
        c
    }

    /// The repeat flags of the streamed deliveries, and those of marking the kept
    /// contacts in memory, sorted by time and id.
    fn flags_both_ways(deliveries: &[Contact], window_days: u32) -> (Vec<bool>, Vec<bool>) {
        let mut keys = DeliveryKeys::default();
        let mut lines = String::new();
        for (seq, c) in deliveries.iter().enumerate() {
            keys.push(seq as u64, c);
            lines.push_str(&serde_json::to_string(c).unwrap());
            lines.push('\n');
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.jsonl");
        std::fs::write(&path, lines).unwrap();
        let ingestor = Ingestor::new(IngestOptions::default()).unwrap();
        let streamed = ingestor
            .ingest_streaming(&[voc_ingest::InputFile::new(&path)], &mut |_: Chunk| {
                Ok::<(), anyhow::Error>(())
            })
            .unwrap();
        let flags = keys.repeat_flags(&streamed.deliveries, window_days);

        let mut kept: Vec<(usize, &Contact)> = deliveries
            .iter()
            .enumerate()
            .filter(|(i, _)| streamed.deliveries.keeps(*i as u64))
            .collect();
        kept.sort_by(|x, y| {
            x.1.started_at
                .cmp(&y.1.started_at)
                .then_with(|| x.1.id.cmp(&y.1.id))
        });
        let mut last_seen = std::collections::HashMap::new();
        let mut expected = vec![false; deliveries.len()];
        for (i, c) in kept {
            let Some(customer) = c.customer_id.clone() else {
                continue;
            };
            if let Some(prev) = last_seen.get(&customer) {
                expected[i] =
                    c.started_at - *prev <= chrono::Duration::days(i64::from(window_days));
            }
            last_seen.insert(customer, c.started_at);
        }
        (flags, expected)
    }

    #[test]
    fn repeat_flags_follow_time_then_id_over_kept_deliveries() {
        let deliveries = [
            contact("a", "2026-11-02T09:00:00+08:00", Some("u1")),
            contact("b", "2026-11-05T09:00:00+08:00", Some("u1")),
            // Same instant as b, other offset and a smaller id: comes before b.
            contact("a2", "2026-11-05T01:00:00+00:00", Some("u1")),
            contact("c", "2026-11-20T09:00:00+08:00", Some("u1")),
            contact("d", "2026-11-03T09:00:00+08:00", None),
            contact("e", "2026-11-04T09:00:00+08:00", Some("u0")),
            // A re-delivery of a moves it after c: the first delivery no longer counts.
            contact("a", "2026-11-21T09:00:00+08:00", Some("u1")),
        ];
        let (flags, expected) = flags_both_ways(&deliveries, 7);
        // a2 first of u1 (a moved away), b within 7 days of a2, c 15 days later, a 1 day.
        assert_eq!(flags, [false, true, false, false, false, false, true]);
        assert_eq!(flags, expected);
    }

    #[test]
    fn repeat_flags_match_marking_in_memory_for_customers_alike_in_their_first_bytes() {
        // Customers the sort's 16-byte prefixes cannot tell apart (a trailing zero byte,
        // a shared 16-byte start, lengths on both sides of 16), ids re-delivered,
        // instants written with two offsets, and times a fraction of a second apart.
        let customers = [
            None,
            Some(""),
            Some("u1"),
            Some("u1\0"),
            Some("u10"),
            Some("0123456789abcdef"),
            Some("0123456789abcdef\0"),
            Some("0123456789abcdefA"),
            Some("0123456789abcdefB"),
            Some("客户甲乙丙丁戊"),
            Some("客户甲乙丙丁戊己"),
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let deliveries: Vec<Contact> = (0..3_000)
            .map(|_| {
                let id = format!("c{}", next(2_000));
                let day = 1 + next(28);
                let hour = next(3);
                let fraction = ["", ".25", ".5"][next(3)];
                // 08:00+08:00 and 00:00Z are the same instant.
                let at = if next(2) == 0 {
                    format!("2026-11-{day:02}T{:02}:00:00{fraction}+08:00", 8 + hour)
                } else {
                    format!("2026-11-{day:02}T{hour:02}:00:00{fraction}+00:00")
                };
                contact(&id, &at, customers[next(customers.len())])
            })
            .collect();
        let (flags, expected) = flags_both_ways(&deliveries, 3);
        assert!(flags.iter().filter(|&&f| f).count() > 500);
        assert_eq!(flags, expected);
    }
}
