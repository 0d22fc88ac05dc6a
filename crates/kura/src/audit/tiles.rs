//! The C2SP tiled-log layout (<https://c2sp.org/tlog-tiles>), for publishing the access log as static files
//! that standard transparency-log tooling can fetch and verify.
//!
//! A published log is a directory holding `checkpoint` (a signed [checkpoint](super::checkpoint)), Merkle
//! tree *tiles* at `tile/<L>/<N>[.p/<W>]` and entry *bundles* at `tile/entries/<N>[.p/<W>]`. A tile at level
//! `L` holds up to 256 consecutive hashes of tree level `8·L` (level 0: leaf hashes; level 1: roots of full
//! 256-leaf subtrees; …); tile `N` holds hashes `256·N ..< 256·N + W`. Full tiles have 256 hashes, partial
//! ones (`.p/W`) 1 to 255. A bundle holds the entries whose leaf hashes form the level-0 tile of the same
//! index and width, each prefixed by its length as a big-endian `u16`.
//!
//! What this module guarantees: it is pure (no I/O). A [`Tile`] always describes a tile that can exist in a
//! tree of at most `u64::MAX` entries (width 1–256, level 0–7), so its path and node range never overflow;
//! [`plan`] lists exactly the tiles the specification requires for a tree size; [`bundle`] and
//! [`parse_bundle`] are inverse and reject what the format cannot hold.

use std::ops::Range;

/// File name of the signed checkpoint, relative to the published log's root.
pub const CHECKPOINT_PATH: &str = "checkpoint";
/// Hashes in a full tile.
pub const FULL_WIDTH: u16 = 256;
/// Tree levels spanned by one tile level.
pub const HEIGHT: u8 = 8;
/// Highest tile level of a tree with at most `u64::MAX` entries.
pub const MAX_LEVEL: u8 = 7;
/// Size of one hash in a tile.
pub const HASH_SIZE: usize = 32;
/// Largest entry a bundle can hold (its length prefix is a `u16`).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// A tile or bundle request or input was invalid.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A tile width outside 1..=256.
    #[error("tile width {0} is outside 1..=256")]
    Width(u16),
    /// A tile level above [`MAX_LEVEL`].
    #[error("tile level {0} is above {MAX_LEVEL}, the highest a tree of `u64` size has")]
    Level(u8),
    /// A tile whose hashes would cover entries beyond `u64::MAX`.
    #[error("tile {index} at level {level} (width {width}) lies beyond the largest possible tree")]
    OutOfRange {
        /// Tile level.
        level: u8,
        /// Tile index.
        index: u64,
        /// Tile width.
        width: u16,
    },
    /// An entry too long for its `u16` length prefix.
    #[error("entry {index} is {len} bytes, over the {MAX_ENTRY_SIZE}-byte limit of a bundle entry")]
    EntryTooLarge {
        /// Position of the entry in the bundle.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// A bundle with no entry or more than 256.
    #[error("a bundle holds 1 to 256 entries, not {0}")]
    BundleSize(usize),
    /// A bundle that ends inside a length prefix or an entry.
    #[error("entry bundle is truncated")]
    TruncatedBundle,
}

/// One tile of the tree: `width` hashes of tree level `8·level`, starting at hash `256·index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    level: u8,
    index: u64,
    width: u16,
}

impl Tile {
    /// The tile at `level` and `index` with `width` hashes (256 for a full tile).
    pub fn new(level: u8, index: u64, width: u16) -> Result<Tile, Error> {
        if width == 0 || width > FULL_WIDTH {
            return Err(Error::Width(width));
        }
        if level > MAX_LEVEL {
            return Err(Error::Level(level));
        }
        // The last hash must be the root of a subtree that ends within u64::MAX entries:
        // (256·index + width) · 2^(8·level) ≤ u64::MAX, computed without overflow.
        let end = u128::from(index) * u128::from(FULL_WIDTH) + u128::from(width);
        if end > u128::from(u64::MAX >> (u32::from(HEIGHT) * u32::from(level))) {
            return Err(Error::OutOfRange { level, index, width });
        }
        Ok(Tile { level, index, width })
    }

    /// Tile level: 0 holds leaf hashes.
    pub fn level(&self) -> u8 {
        self.level
    }

    /// Index of the tile within its level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Number of hashes in the tile (256 when full).
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether the tile holds its full 256 hashes.
    pub fn is_full(&self) -> bool {
        self.width == FULL_WIDTH
    }

    /// Merkle tree level of the tile's hashes: `8 · level`.
    pub fn tree_level(&self) -> u8 {
        HEIGHT * self.level
    }

    /// Indexes, at [`tree_level`](Self::tree_level), of the hashes in the tile; for a level-0 tile, the
    /// entries of its bundle.
    pub fn nodes(&self) -> Range<u64> {
        // INVARIANT: `new` checked 256·index + width ≤ u64::MAX >> 8·level, so neither side overflows.
        let start = self.index * u64::from(FULL_WIDTH);
        start..start + u64::from(self.width)
    }

    /// Path of the tile, e.g. `tile/0/x001/x234/067` or `tile/1/000.p/3`.
    pub fn path(&self) -> String {
        format!("tile/{}/{}", self.level, index_and_width(self.index, self.width))
    }

    /// Path of the entry bundle matching this tile, e.g. `tile/entries/000.p/5`; `None` above level 0,
    /// where tiles have no bundle.
    pub fn entries_path(&self) -> Option<String> {
        (self.level == 0).then(|| format!("tile/entries/{}", index_and_width(self.index, self.width)))
    }
}

/// `<N>[.p/<W>]`: the index in 3-digit path elements, all but the last prefixed by `x`.
fn index_and_width(index: u64, width: u16) -> String {
    let mut path = format!("{:03}", index % 1000);
    let mut rest = index / 1000;
    while rest > 0 {
        path = format!("x{:03}/{path}", rest % 1000);
        rest /= 1000;
    }
    if width != FULL_WIDTH {
        path = format!("{path}.p/{width}");
    }
    path
}

/// Path of the tile at `level` and `index` with `width` hashes (256 for a full tile).
pub fn tile_path(level: u8, index: u64, width: u16) -> Result<String, Error> {
    Tile::new(level, index, width).map(|tile| tile.path())
}

/// Path of the entry bundle at `index` with `width` entries (256 for a full bundle).
pub fn entries_path(index: u64, width: u16) -> Result<String, Error> {
    let tile = Tile::new(0, index, width)?;
    Ok(format!("tile/entries/{}", index_and_width(tile.index, tile.width)))
}

/// Every tile a log of `size` entries must serve, level by level, full tiles before the partial one. The
/// entry bundles to serve are those of the level-0 tiles ([`Tile::entries_path`]).
pub fn plan(size: u64) -> Vec<Tile> {
    plan_between(0, size)
}

/// The tiles to write when a published log grows from `old` to `new` entries: every tile of [`plan`]`(new)`
/// that is not identical in [`plan`]`(old)` (new full tiles, completed tiles, grown partial tiles). Empty
/// when `new <= old`.
pub fn plan_between(old: u64, new: u64) -> Vec<Tile> {
    let mut tiles = Vec::new();
    if new <= old {
        return tiles;
    }
    for level in 0..=MAX_LEVEL {
        let shift = u32::from(HEIGHT) * u32::from(level);
        // Hashes of tree level 8·level that exist: roots of complete 2^(8·level)-entry subtrees.
        let (old_hashes, new_hashes) = (old >> shift, new >> shift);
        if new_hashes == 0 {
            break;
        }
        if old_hashes == new_hashes {
            continue;
        }
        let full = u64::from(FULL_WIDTH);
        for index in old_hashes / full..new_hashes / full {
            tiles.push(Tile { level, index, width: FULL_WIDTH });
        }
        // INVARIANT: the remainder is below 256, so it fits a u16.
        let partial = (new_hashes % full) as u16;
        if partial > 0 {
            tiles.push(Tile { level, index: new_hashes / full, width: partial });
        }
    }
    tiles
}

/// The contents of `tile`: its hashes concatenated, each read with `nodes(tree_level, index)` where
/// `tree_level` is `8 · tile.level()` and `index` runs over [`Tile::nodes`].
pub fn tile_hashes(tile: &Tile, mut nodes: impl FnMut(u8, u64) -> [u8; HASH_SIZE]) -> Vec<u8> {
    match try_tile_hashes(tile, |level, index| Ok::<_, std::convert::Infallible>(nodes(level, index))) {
        Ok(data) => data,
        Err(never) => match never {},
    }
}

/// [`tile_hashes`] for a hash source that can fail, such as a database; stops at the first error.
pub fn try_tile_hashes<E>(
    tile: &Tile,
    mut nodes: impl FnMut(u8, u64) -> Result<[u8; HASH_SIZE], E>,
) -> Result<Vec<u8>, E> {
    let mut data = Vec::with_capacity(usize::from(tile.width) * HASH_SIZE);
    for index in tile.nodes() {
        data.extend_from_slice(&nodes(tile.tree_level(), index)?);
    }
    Ok(data)
}

/// An entry bundle: each entry prefixed by its length as a big-endian `u16`. Holds 1 to 256 entries of at
/// most [`MAX_ENTRY_SIZE`] bytes each.
pub fn bundle(entries: &[&[u8]]) -> Result<Vec<u8>, Error> {
    if entries.is_empty() || entries.len() > usize::from(FULL_WIDTH) {
        return Err(Error::BundleSize(entries.len()));
    }
    let total = entries.iter().map(|e| 2 + e.len()).sum();
    let mut data = Vec::with_capacity(total);
    for (index, entry) in entries.iter().enumerate() {
        let len = u16::try_from(entry.len()).map_err(|_| Error::EntryTooLarge { index, len: entry.len() })?;
        data.extend_from_slice(&len.to_be_bytes());
        data.extend_from_slice(entry);
    }
    Ok(data)
}

/// The entries of a bundle, borrowed from `data`. Errors on a truncated bundle and on a count outside
/// 1..=256; checking the count against the expected width is the caller's job.
pub fn parse_bundle(data: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let mut entries = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<2>().ok_or(Error::TruncatedBundle)?;
        let (entry, tail) =
            tail.split_at_checked(usize::from(u16::from_be_bytes(*len))).ok_or(Error::TruncatedBundle)?;
        entries.push(entry);
        rest = tail;
        if entries.len() > usize::from(FULL_WIDTH) {
            return Err(Error::BundleSize(entries.len()));
        }
    }
    if entries.is_empty() {
        return Err(Error::BundleSize(0));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn t(level: u8, index: u64, width: u16) -> Tile {
        Tile::new(level, index, width).unwrap()
    }

    /// The spec's definition: level l has floor(size / 256^l) hashes, cut into full tiles and one partial.
    fn spec_plan(size: u64) -> Vec<Tile> {
        let mut tiles = Vec::new();
        let mut hashes = size;
        let mut level = 0;
        while hashes > 0 {
            tiles.extend((0..hashes / 256).map(|index| t(level, index, 256)));
            if !hashes.is_multiple_of(256) {
                tiles.push(t(level, hashes / 256, (hashes % 256) as u16));
            }
            hashes /= 256;
            level += 1;
        }
        tiles
    }

    #[test]
    fn paths_follow_the_spec_examples() {
        assert_eq!(tile_path(0, 1_234_067, 256).unwrap(), "tile/0/x001/x234/067");
        assert_eq!(tile_path(1, 0, 3).unwrap(), "tile/1/000.p/3");
        assert_eq!(tile_path(0, 0, 256).unwrap(), "tile/0/000");
        assert_eq!(tile_path(2, 999, 255).unwrap(), "tile/2/999.p/255");
        assert_eq!(tile_path(0, 1000, 1).unwrap(), "tile/0/x001/000.p/1");
        assert_eq!(tile_path(2, 5_123_456_078, 256).unwrap(), "tile/2/x005/x123/x456/078");
        assert_eq!(tile_path(0, 1_000_000, 256).unwrap(), "tile/0/x001/x000/000");
        assert_eq!(entries_path(1_234_067, 256).unwrap(), "tile/entries/x001/x234/067");
        assert_eq!(entries_path(0, 5).unwrap(), "tile/entries/000.p/5");
        assert_eq!(t(0, 7, 9).entries_path().unwrap(), "tile/entries/007.p/9");
        assert_eq!(t(1, 7, 9).entries_path(), None);
        // The largest index: the last level-0 tile of a tree of u64::MAX entries.
        let last = u64::MAX / 256;
        assert_eq!(tile_path(0, last, 255).unwrap(), "tile/0/x072/x057/x594/x037/x927/935.p/255");
    }

    #[test]
    fn invalid_tiles_are_rejected() {
        assert_eq!(tile_path(0, 0, 0), Err(Error::Width(0)));
        assert_eq!(tile_path(0, 0, 257), Err(Error::Width(257)));
        assert_eq!(entries_path(0, 0), Err(Error::Width(0)));
        assert_eq!(tile_path(8, 0, 1), Err(Error::Level(8)));
        assert_eq!(Tile::new(63, 0, 1), Err(Error::Level(63)));
        assert!(Tile::new(7, 0, 255).is_ok());
        assert_eq!(Tile::new(7, 0, 256), Err(Error::OutOfRange { level: 7, index: 0, width: 256 }));
        assert!(Tile::new(0, u64::MAX / 256, 255).is_ok());
        assert!(matches!(Tile::new(0, u64::MAX / 256, 256), Err(Error::OutOfRange { .. })));
        assert!(matches!(Tile::new(0, u64::MAX, 1), Err(Error::OutOfRange { .. })));
        assert!(Tile::new(1, u64::MAX / 65536, 255).is_ok());
        assert!(matches!(Tile::new(1, u64::MAX / 65536, 256), Err(Error::OutOfRange { .. })));
    }

    #[test]
    fn plans_for_small_sizes() {
        assert_eq!(plan(0), []);
        assert_eq!(plan(1), [t(0, 0, 1)]);
        assert_eq!(plan(255), [t(0, 0, 255)]);
        // The spec: a tree of size 256 is a full level-0 tile and a partial level-1 tile of width 1.
        assert_eq!(plan(256), [t(0, 0, 256), t(1, 0, 1)]);
        assert_eq!(plan(257), [t(0, 0, 256), t(0, 1, 1), t(1, 0, 1)]);
        let p = plan(65_537);
        assert_eq!(p.len(), 256 + 1 + 1 + 1);
        assert!(p[..256].iter().enumerate().all(|(i, tile)| *tile == t(0, i as u64, 256)));
        assert_eq!(p[256..], [t(0, 256, 1), t(1, 0, 256), t(2, 0, 1)]);
    }

    #[test]
    fn plan_matches_spec_example_of_70000() {
        // The spec: 273 full level-0 tiles, a partial one of width 112, one full level-1 tile, a partial
        // level-1 tile of width 17 and a partial level-2 tile of width 1.
        let p = plan(70_000);
        let level0: Vec<_> = p.iter().filter(|tile| tile.level() == 0).collect();
        assert_eq!(level0.len(), 274);
        assert_eq!(level0.iter().filter(|tile| tile.is_full()).count(), 273);
        assert_eq!(*level0[273], t(0, 273, 112));
        assert_eq!(p[274..], [t(1, 0, 256), t(1, 1, 17), t(2, 0, 1)]);
    }

    #[test]
    fn plan_near_the_largest_tree() {
        assert_eq!(plan_between(u64::MAX - 1, u64::MAX), [t(0, u64::MAX / 256, 255)]);
        // Entry 2^56 completes a full tile at each of levels 0 to 6 and starts level 7.
        let p = plan_between((1 << 56) - 1, 1 << 56);
        let mut want: Vec<Tile> = (0..7).map(|level| t(level, (1 << (48 - 8 * u32::from(level))) - 1, 256)).collect();
        want.push(t(7, 0, 1));
        assert_eq!(p, want);
    }

    #[test]
    fn plan_between_lists_only_changed_tiles() {
        assert_eq!(plan_between(5, 5), []);
        assert_eq!(plan_between(9, 5), []);
        assert_eq!(plan_between(255, 256), [t(0, 0, 256), t(1, 0, 1)]);
        assert_eq!(plan_between(256, 300), [t(0, 1, 44)]);
        assert_eq!(plan_between(300, 513), [t(0, 1, 256), t(0, 2, 1), t(1, 0, 2)]);
    }

    #[test]
    fn tile_hashes_reads_the_right_nodes() {
        let mut calls = Vec::new();
        let data = tile_hashes(&t(1, 2, 3), |level, index| {
            calls.push((level, index));
            [index as u8; 32]
        });
        assert_eq!(calls, [(8, 512), (8, 513), (8, 514)]);
        assert_eq!(data.len(), 3 * HASH_SIZE);
        assert_eq!(data[..32], [0u8; 32]);
        assert_eq!(data[32..64], [1u8; 32]);
        assert_eq!(data[64..], [2u8; 32]);
        assert_eq!(tile_hashes(&t(0, 0, 256), |_, _| [9; 32]).len(), 8192);

        let failed = try_tile_hashes(&t(0, 0, 4), |_, index| if index == 2 { Err("missing") } else { Ok([0; 32]) });
        assert_eq!(failed, Err("missing"));
    }

    #[test]
    fn bundle_round_trip_and_limits() {
        let big = vec![7u8; MAX_ENTRY_SIZE];
        let entries: Vec<&[u8]> = vec![b"first", b"", &big, b"\x00\x01"];
        let data = bundle(&entries).unwrap();
        assert_eq!(data[..7], *b"\x00\x05first");
        assert_eq!(data.len(), entries.iter().map(|e| 2 + e.len()).sum::<usize>());
        assert_eq!(parse_bundle(&data).unwrap(), entries);

        let too_big = vec![0u8; MAX_ENTRY_SIZE + 1];
        assert_eq!(bundle(&[b"ok", &too_big]), Err(Error::EntryTooLarge { index: 1, len: 65_536 }));
        assert_eq!(bundle(&[]), Err(Error::BundleSize(0)));
        let many = vec![&b"x"[..]; 257];
        assert_eq!(bundle(&many), Err(Error::BundleSize(257)));
        assert_eq!(parse_bundle(&bundle(&many[..256]).unwrap()).unwrap().len(), 256);
        let mut over = bundle(&many[..256]).unwrap();
        over.extend_from_slice(b"\x00\x01x");
        assert_eq!(parse_bundle(&over), Err(Error::BundleSize(257)));

        assert_eq!(parse_bundle(b""), Err(Error::BundleSize(0)));
        assert_eq!(parse_bundle(b"\x00"), Err(Error::TruncatedBundle));
        assert_eq!(parse_bundle(b"\x00\x03ab"), Err(Error::TruncatedBundle));
        assert_eq!(parse_bundle(b"\x00\x02ab\x00"), Err(Error::TruncatedBundle));
    }

    proptest! {
        #[test]
        fn prop_plan_matches_spec_definition(size in 0u64..1_000_000) {
            prop_assert_eq!(plan(size), spec_plan(size));
        }

        #[test]
        fn prop_one_more_entry_changes_one_tile_per_grown_level(size in 1u64..=u64::MAX) {
            // Growing by one entry adds one hash at each level whose hash count changes: that hash either
            // completes a tile or extends the partial one.
            let mut want = Vec::new();
            for level in 0..=MAX_LEVEL {
                let shift = 8 * u32::from(level);
                let hashes = size >> shift;
                if hashes == (size - 1) >> shift {
                    continue;
                }
                want.push(match hashes % 256 {
                    0 => t(level, hashes / 256 - 1, 256),
                    w => t(level, hashes / 256, w as u16),
                });
            }
            prop_assert_eq!(plan_between(size - 1, size), want);
        }

        #[test]
        fn prop_plan_between_is_plan_difference(a in 0u64..300_000, b in 0u64..300_000) {
            let (old, new) = (a.min(b), a.max(b));
            let before: BTreeSet<Tile> = plan(old).into_iter().collect();
            let want: Vec<Tile> = plan(new).into_iter().filter(|tile| !before.contains(tile)).collect();
            prop_assert_eq!(plan_between(old, new), want);
        }

        #[test]
        fn prop_bundle_round_trip(entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 1..=256)) {
            let borrowed: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
            let data = bundle(&borrowed).unwrap();
            prop_assert_eq!(parse_bundle(&data).unwrap(), borrowed);
        }

        #[test]
        fn prop_parse_bundle_never_panics(data in prop::collection::vec(any::<u8>(), 0..2000)) {
            if let Ok(entries) = parse_bundle(&data) {
                prop_assert_eq!(bundle(&entries).unwrap(), data);
            }
        }
    }
}
