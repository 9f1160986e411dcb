//! A key as its family knows it: its `Display` text, written on the stack for a look-up (no
//! allocation unless it is long), and hashed with a seeded multiply-fold hasher.
//!
//! The text is the key's identity, not its Rust value: operators name a key by its text
//! (`family.get("eu-1")`), snapshots keep it as text and restore it in another process,
//! logs and listeners show it; a value of any type that displays as `eu-1` is that key.

use std::{
    borrow::Borrow,
    collections::hash_map::RandomState,
    fmt::{self, Write as _},
    hash::{BuildHasher, Hash, Hasher},
    sync::Arc,
};

/// Bytes of a key written on the stack; a longer key is written to the heap.
const INLINE: usize = 64;

/// A key's text, written by its `Display`.
pub(super) struct KeyText {
    len: usize,
    inline: [u8; INLINE],
    /// The whole text, once it outgrew `inline`.
    spilled: Option<String>,
}

impl KeyText {
    /// `key`'s text.
    #[inline]
    pub(super) fn of<K: fmt::Display + ?Sized>(key: &K) -> Self {
        let mut text = KeyText {
            len: 0,
            inline: [0; INLINE],
            spilled: None,
        };
        // Writing to a `KeyText` never fails; a `Display` that fails leaves what it wrote.
        let _ = write!(text, "{key}");
        text
    }

    /// The text's bytes (valid UTF-8: only `&str`s are written).
    #[inline]
    pub(super) fn as_bytes(&self) -> &[u8] {
        match &self.spilled {
            Some(text) => text.as_bytes(),
            None => &self.inline[..self.len],
        }
    }
}

impl fmt::Write for KeyText {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(text) = &mut self.spilled {
            text.push_str(s);
        } else if let Some(room) = self.inline.get_mut(self.len..self.len + s.len()) {
            room.copy_from_slice(s.as_bytes());
            self.len += s.len();
        } else {
            self.spill(s);
        }
        Ok(())
    }
}

impl KeyText {
    #[cold]
    fn spill(&mut self, s: &str) {
        let mut text = String::with_capacity(self.len + s.len());
        text.push_str(String::from_utf8_lossy(&self.inline[..self.len]).as_ref());
        text.push_str(s);
        self.spilled = Some(text);
    }
}

/// A family's map key: the key's text, shared with its breaker, found by its bytes (so that
/// a look-up needs no UTF-8 check of the text it wrote).
#[derive(Clone, PartialEq, Eq)]
pub(super) struct KeyBox(pub(super) Arc<str>);

impl Hash for KeyBox {
    /// As the bytes hash, which look-ups use.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.as_bytes().hash(state);
    }
}

impl Borrow<[u8]> for KeyBox {
    fn borrow(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The hasher of a family's keys: SipHash, std's default, costs more than the rest of a
/// look-up for a short key, and a key's text may come from outside (host names, tenant
/// identifiers), so this is a multiply-fold hash seeded at random per family: fast, and
/// keys cannot be chosen to collide without the seed.
#[derive(Clone, Copy)]
pub(super) struct Seeded {
    seed: u64,
}

impl Seeded {
    pub(super) fn new() -> Self {
        // Each `RandomState` has its own random keys; a loom model must be deterministic,
        // down to which shard each key falls in.
        let seed = if cfg!(loom) {
            0x5EED
        } else {
            RandomState::new().hash_one(0x5EED_u64)
        };
        Seeded { seed: seed | 1 }
    }

    /// The hash of a key's bytes, as its map computes it.
    #[inline]
    pub(super) fn hash(&self, bytes: &[u8]) -> u64 {
        self.hash_one(bytes)
    }
}

impl BuildHasher for Seeded {
    type Hasher = FoldHasher;

    #[inline]
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher {
            state: self.seed,
            seed: self.seed,
        }
    }
}

/// Odd constants (from the fractional digits of π) the words are multiplied by.
const K0: u64 = 0x243F_6A88_85A3_08D3;
const K1: u64 = 0x1319_8A2E_0370_7344;

/// The high and low halves of a full 128-bit product, folded together: each bit of the
/// result depends on every bit of both operands.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

pub(super) struct FoldHasher {
    state: u64,
    seed: u64,
}

impl Hasher for FoldHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut state = self.state;
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let word = u64::from_le_bytes([
                word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
            ]);
            state = fold(state ^ word, K0 ^ self.seed);
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            state = fold(state ^ u64::from_le_bytes(last), K1 ^ self.seed);
        }
        self.state = state;
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.state = fold(self.state ^ n as u64, K1 ^ self.seed);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold(self.state, K0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_its_display_text() {
        assert_eq!(KeyText::of(&7u32).as_bytes(), b"7");
        assert_eq!(KeyText::of("eu-1").as_bytes(), b"eu-1");
        let long = "x".repeat(300);
        assert_eq!(KeyText::of(&format_args!("{long}!")).as_bytes().len(), 301);
        assert_eq!(
            KeyText::of(&"é".repeat(40)).as_bytes(),
            "é".repeat(40).as_bytes()
        );
    }

    #[test]
    fn look_ups_hash_as_stored_keys_do() {
        let seeded = Seeded::new();
        for key in [
            "",
            "a",
            "eu-1",
            "a-key-longer-than-eight-bytes",
            &"k".repeat(100),
        ] {
            let stored = KeyBox(Arc::from(key));
            assert_eq!(
                seeded.hash_one(&stored),
                seeded.hash(key.as_bytes()),
                "{key}"
            );
        }
    }

    #[test]
    fn hashes_spread_and_depend_on_the_seed() {
        let seeded = Seeded::new();
        let hashes: std::collections::HashSet<u64> = (0..10_000)
            .map(|n| seeded.hash(n.to_string().as_bytes()))
            .collect();
        assert_eq!(hashes.len(), 10_000);
        // The bits that pick a shard spread too.
        let shards: std::collections::HashSet<u64> = (0..1_000)
            .map(|n| (seeded.hash(n.to_string().as_bytes()) >> 40) & 63)
            .collect();
        assert_eq!(shards.len(), 64);
        let other = Seeded::new();
        assert_ne!(seeded.hash(b"eu-1"), other.hash(b"eu-1"));
    }
}
