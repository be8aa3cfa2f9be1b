//! Content fingerprints (SHA-256, hex) for the run manifest and batch recognition.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

pub fn of_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Fingerprint of a file, read in blocks so large inputs need no large buffer.
pub fn of_file(path: &Path) -> std::io::Result<String> {
    Ok(of_file_sized(path)?.0)
}

/// Fingerprint of a file and its size in bytes (as read, so the two agree).
pub fn of_file_sized(path: &Path) -> std::io::Result<(String, u64)> {
    HashingReader::new(std::fs::File::open(path)?).finish()
}

/// A reader that fingerprints what passes through it, so a file is hashed as it is
/// read for its real use instead of in a pass of its own.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Reads what the consumer left, then gives the fingerprint of everything and the
    /// byte count: the whole file, as [`of_file`] would.
    pub fn finish(mut self) -> std::io::Result<(String, u64)> {
        let mut buf = vec![0u8; 1 << 16];
        while self.read(&mut buf)? > 0 {}
        Ok((hex(&self.hasher.finalize()), self.bytes))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A keyed fingerprint of `value`, 16 hex digits: SHA-256 of the key's length, the key
/// and the value. Without the key it cannot be recomputed from a guessed value.
pub fn keyed(key: &[u8], value: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update((key.len() as u64).to_le_bytes());
    hasher.update(key);
    hasher.update(value);
    hex(&hasher.finalize()[..8])
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hashing_reader_gives_the_whole_fingerprint_even_when_read_in_part() {
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut reader = super::HashingReader::new(std::io::Cursor::new(&content));
        let mut first = [0u8; 1000];
        std::io::Read::read_exact(&mut reader, &mut first).unwrap();
        assert_eq!(
            reader.finish().unwrap(),
            (super::of_bytes(&content), content.len() as u64)
        );
    }

    #[test]
    fn known_digest() {
        assert_eq!(
            super::of_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
