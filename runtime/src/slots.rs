//! A sparse array indexed by mount id that readers use without locking.
//!
//! Mount ids are small dense integers handed out process-wide (see
//! [`crate::stamp`]). Each [`HttpMetrics`](crate::HttpMetrics) keeps its cells
//! for mount `id` here. Chunk `c` holds ids `2^c - 1 .. 2^(c+1) - 1`, so a
//! lookup is a leading-zeros count and two `OnceLock::get`s (atomic loads),
//! and no chunk ever moves once allocated.

use std::sync::OnceLock;

/// Ids `0..=u32::MAX` need chunks `0..=32`.
const CHUNKS: usize = u32::BITS as usize + 1;

pub(crate) struct Slots<T> {
    chunks: [OnceLock<Box<[OnceLock<T>]>>; CHUNKS],
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self {
            chunks: [const { OnceLock::new() }; CHUNKS],
        }
    }
}

impl<T> std::fmt::Debug for Slots<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slots").finish_non_exhaustive()
    }
}

/// The chunk and the offset in it of `id`.
fn locate(id: u32) -> (usize, usize) {
    let n = u64::from(id) + 1;
    let chunk = 63 - n.leading_zeros() as usize;
    (chunk, (n - (1 << chunk)) as usize)
}

impl<T> Slots<T> {
    pub(crate) fn get(&self, id: u32) -> Option<&T> {
        let (chunk, offset) = locate(id);
        self.chunks[chunk].get()?[offset].get()
    }

    /// The value at `id`, made by `init` on first use. Allocates (a chunk,
    /// and whatever `init` does) only the first time an id is used.
    pub(crate) fn get_or_init(&self, id: u32, init: impl FnOnce() -> T) -> &T {
        let (chunk, offset) = locate(id);
        let chunk = self.chunks[chunk]
            .get_or_init(|| (0..1usize << chunk).map(|_| OnceLock::new()).collect());
        chunk[offset].get_or_init(init)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_to_distinct_places_in_doubling_chunks() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(1), (1, 0));
        assert_eq!(locate(2), (1, 1));
        assert_eq!(locate(3), (2, 0));
        assert_eq!(locate(6), (2, 3));
        assert_eq!(locate(7), (3, 0));
        assert_eq!(locate(u32::MAX), (32, 0));
    }

    #[test]
    fn values_are_made_once_and_found_again() {
        let slots = Slots::default();
        assert_eq!(slots.get(5), None);
        assert_eq!(*slots.get_or_init(5, || 50), 50);
        assert_eq!(*slots.get_or_init(5, || 51), 50);
        assert_eq!(slots.get(5), Some(&50));
        assert_eq!(slots.get(4), None);
        assert_eq!(*slots.get_or_init(1000, || 7), 7);
    }
}
