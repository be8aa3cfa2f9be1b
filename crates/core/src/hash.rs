//! A fast hasher for the hash maps on hot paths (taxonomy terms, sentiment lexicon,
//! phrase counts).

use std::hash::{BuildHasherDefault, Hasher};

/// FxHash (rustc's hasher): term, lexicon and phrase lookups hash short strings millions
/// of times, where SipHash's resistance to crafted collisions buys nothing in a batch
/// job over the client's own data.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // The length first: the last word is padded with zeros, so `ab` and `ab\0`
        // would otherwise hash alike.
        self.add(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        // The last 1-7 bytes in fixed-size reads (two overlapping u32, or three bytes):
        // copying a variable length called memmove for every short string hashed. With
        // the length hashed first, the reads still cover every byte.
        let rest = chunks.remainder();
        let n = rest.len();
        if n >= 4 {
            let first = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
            let last = u32::from_le_bytes([rest[n - 4], rest[n - 3], rest[n - 2], rest[n - 1]]);
            self.add(u64::from(first) | (u64::from(last) << 32));
        } else if n > 0 {
            self.add(
                u64::from(rest[0]) | (u64::from(rest[n / 2]) << 8) | (u64::from(rest[n - 1]) << 16),
            );
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash(s: &str) -> u64 {
        FxBuild::default().hash_one(s)
    }

    #[test]
    fn equal_strings_hash_equal_and_prefixes_apart() {
        assert_eq!(hash("宽带断网"), hash(&String::from("宽带断网")));
        assert_ne!(hash("宽带"), hash("宽带断网"));
        assert_ne!(hash("ab"), hash("ab\0"));
        // Every byte of a short tail counts.
        for (a, b) in [
            ("abcdefgh12345", "abcdefgh12x45"),
            ("ab", "ax"),
            ("abc", "axc"),
        ] {
            assert_ne!(hash(a), hash(b), "{a} {b}");
        }
        let mut h = FxHasher::default();
        "abc".hash(&mut h);
        assert_eq!(h.finish(), hash("abc"));
    }
}
