//! [`StrArena`]: many short optional strings (contact ids, customer ids) in one buffer,
//! 8 bytes of bookkeeping each, for the per-record facts a streamed batch keeps about
//! every record it has seen (a `HashMap<String, _>` costs ~100 bytes a key).

/// Marks an absent string in `ends`.
const ABSENT: u64 = 1 << 63;

/// A list of optional strings stored back to back.
#[derive(Debug, Default, Clone)]
pub struct StrArena {
    bytes: String,
    /// End offset of each string in `bytes`; `ABSENT` set for `None`.
    ends: Vec<u64>,
}

impl StrArena {
    pub fn new() -> Self {
        StrArena::default()
    }

    /// Appends a string (or its absence); returns its position.
    pub fn push(&mut self, s: Option<&str>) -> usize {
        let end = match s {
            Some(s) => {
                self.bytes.push_str(s);
                self.bytes.len() as u64
            }
            None => self.bytes.len() as u64 | ABSENT,
        };
        self.ends.push(end);
        self.ends.len() - 1
    }

    /// The string at position `i` (`None` if absent; panics past the end).
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = self.ends[i];
        if end & ABSENT != 0 {
            return None;
        }
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] & !ABSENT
        };
        Some(&self.bytes[start as usize..end as usize])
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Releases spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
    }
}

/// The first 16 bytes of a string as a number, zero-padded: a sort key that settles
/// most comparisons without reading the strings. Strings whose numbers differ compare
/// as the numbers do (they differ at a byte within the first 16, or one is a shorter
/// prefix of the other, padded with a zero no byte is below); equal numbers say
/// nothing, and the strings themselves are compared.
pub fn prefix_key(s: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = s.len().min(16);
    bytes[..n].copy_from_slice(&s.as_bytes()[..n]);
    u128::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_and_absences_come_back() {
        let mut a = super::StrArena::new();
        assert_eq!(a.push(Some("C1")), 0);
        a.push(None);
        a.push(Some(""));
        a.push(Some("客户-9"));
        assert_eq!(a.len(), 4);
        assert_eq!(a.get(0), Some("C1"));
        assert_eq!(a.get(1), None);
        assert_eq!(a.get(2), Some(""));
        assert_eq!(a.get(3), Some("客户-9"));
    }
}
