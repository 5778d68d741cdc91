//! A sparse array indexed by small integers that readers use without
//! locking, and that grows without moving what it holds.
//!
//! Two kinds of keys index one: mount ids and template labels (`u32`, small
//! dense integers handed out process-wide: each
//! [`HttpMetrics`](crate::HttpMetrics) keeps its cells for mount `id` here),
//! and the series indexes of a [`ClosedFamily`](crate::ClosedFamily)
//! (`usize`).
//!
//! Cells come in groups of [`GROUP`], each group aligned to a cache line, and
//! chunk `c` holds groups `2^c - 1 .. 2^(c+1) - 1`: a lookup is a shift, a
//! leading-zeros count and two `OnceLock::get`s (atomic loads), a chunk is
//! allocated on the first use of one of its keys, and no chunk ever moves
//! once allocated. As the cache-line alignment also pads the end of a chunk,
//! no other allocation shares a cache line with it: a value made right after
//! a chunk (the metric of its first series) is not written to by a thread
//! while others read that chunk's cells.

use std::marker::PhantomData;
use std::sync::OnceLock;

/// Cells per group.
const GROUP: usize = 4;

/// Groups `0..=usize::MAX / GROUP` need chunks `0..usize::BITS - 1`.
const CHUNKS: usize = (usize::BITS - 1) as usize;

pub(crate) struct Chunked<T, K = u32> {
    chunks: [OnceLock<Box<[Group<T>]>>; CHUNKS],
    key: PhantomData<fn(K) -> K>,
}

/// [`GROUP`] cells on cache lines of their own: four `OnceLock`s of an
/// `Arc` (the shape of prometheus-client's metrics) fill one 64-byte line.
#[repr(align(64))]
struct Group<T>([OnceLock<T>; GROUP]);

/// What indexes [`Chunked`]: a mount id or label (`u32`), a series index
/// (`usize`).
pub(crate) trait Key: Copy {
    fn position(self) -> usize;
    fn at(position: usize) -> Self;
}

impl Key for u32 {
    #[inline]
    fn position(self) -> usize {
        // Lossless where actix-web runs (`usize` has 32 bits or more).
        self as usize
    }

    #[inline]
    fn at(position: usize) -> Self {
        // Only positions of keys of this type come back.
        position as u32
    }
}

impl Key for usize {
    #[inline]
    fn position(self) -> usize {
        self
    }

    #[inline]
    fn at(position: usize) -> Self {
        position
    }
}

impl<T, K> Default for Chunked<T, K> {
    fn default() -> Self {
        Self {
            chunks: [const { OnceLock::new() }; CHUNKS],
            key: PhantomData,
        }
    }
}

impl<T, K> std::fmt::Debug for Chunked<T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunked").finish_non_exhaustive()
    }
}

/// Where the cell of `position` is: its chunk, its group in the chunk and
/// its place in the group.
#[inline]
fn locate(position: usize) -> (usize, usize, usize) {
    // At most `usize::MAX / GROUP + 1`: no overflow.
    let n = position / GROUP + 1;
    let chunk = (usize::BITS - 1 - n.leading_zeros()) as usize;
    (chunk, n - (1 << chunk), position % GROUP)
}

/// The first position of chunk `chunk`.
fn first_of(chunk: usize) -> usize {
    ((1 << chunk) - 1) * GROUP
}

impl<T, K: Key> Chunked<T, K> {
    #[inline]
    pub(crate) fn get(&self, key: K) -> Option<&T> {
        let (chunk, group, cell) = locate(key.position());
        self.chunks[chunk].get()?[group].0[cell].get()
    }

    /// The value at `key`, made by `init` on first use. Allocates (a chunk,
    /// and whatever `init` does) only the first time a key is used.
    pub(crate) fn get_or_init(&self, key: K, init: impl FnOnce() -> T) -> &T {
        let (chunk, group, cell) = locate(key.position());
        let groups = self.chunks[chunk].get_or_init(|| {
            (0..1usize << chunk)
                .map(|_| Group([const { OnceLock::new() }; GROUP]))
                .collect()
        });
        groups[group].0[cell].get_or_init(init)
    }

    /// Every value made so far, with its key, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (K, &T)> {
        self.chunks
            .iter()
            .enumerate()
            .filter_map(|(chunk, groups)| Some((first_of(chunk), groups.get()?)))
            .flat_map(|(first, groups)| groups.iter().flat_map(|group| &group.0).zip(first..))
            .filter_map(|(cell, position)| Some((K::at(position), cell.get()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_distinct_places_in_doubling_chunks() {
        assert_eq!(locate(0), (0, 0, 0));
        assert_eq!(locate(3), (0, 0, 3));
        assert_eq!(locate(4), (1, 0, 0));
        assert_eq!(locate(11), (1, 1, 3));
        assert_eq!(locate(12), (2, 0, 0));
        assert_eq!(locate(27), (2, 3, 3));
        assert_eq!(locate(28), (3, 0, 0));
        assert_eq!(locate(u32::MAX.position()), (30, 0, 3));
        assert_eq!(locate(usize::MAX), (CHUNKS - 1, 0, 3));
        for chunk in 0..CHUNKS {
            assert_eq!(locate(first_of(chunk)), (chunk, 0, 0));
        }
    }

    #[test]
    fn a_chunk_shares_no_cache_line() {
        assert_eq!(align_of::<Group<std::sync::Arc<u64>>>(), 64);
        assert_eq!(size_of::<Group<std::sync::Arc<u64>>>(), 64);
        assert_eq!(size_of::<Group<[u8; 17]>>() % 64, 0);
    }

    #[test]
    fn values_are_made_once_and_found_again() {
        let chunked = Chunked::<_, u32>::default();
        assert_eq!(chunked.get(5), None);
        assert_eq!(*chunked.get_or_init(5, || 50), 50);
        assert_eq!(*chunked.get_or_init(5, || 51), 50);
        assert_eq!(chunked.get(5), Some(&50));
        assert_eq!(chunked.get(4), None);
        assert_eq!(*chunked.get_or_init(1000, || 7), 7);
    }

    #[test]
    fn iteration_yields_the_values_made_in_key_order() {
        let chunked = Chunked::<_, usize>::default();
        assert_eq!(chunked.iter().count(), 0);
        for key in [1000, 0, 6, 5, 7] {
            chunked.get_or_init(key, || key * 10);
        }
        let made: Vec<(usize, usize)> = chunked.iter().map(|(key, &value)| (key, value)).collect();
        assert_eq!(made, [(0, 0), (5, 50), (6, 60), (7, 70), (1000, 10_000)]);
        assert_eq!(chunked.get(usize::MAX), None);
        assert_eq!(chunked.get(1001), None);
    }
}
