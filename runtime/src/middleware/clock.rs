//! The monotonic clock requests are timed with, as nanoseconds in a `u64`.
//!
//! `std::time::Instant` costs more per request than reading the clock
//! directly (its `now` validates the reading, `elapsed` subtracts two
//! `timespec`s with borrows, and the result goes through `Duration` and
//! `u128`): docs/benchmarks.md has the figure. On Unix the clock is read with
//! `clock_gettime(CLOCK_MONOTONIC)` (the vDSO: no system call) and a request's
//! duration is one subtraction; elsewhere, `Instant` since a process epoch.

/// Nanoseconds of the monotonic clock since an unspecified start; `u64`
/// nanoseconds last 584 years.
#[cfg(unix)]
#[inline]
pub(crate) fn now() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable `timespec`, and CLOCK_MONOTONIC is a
    // clock every Unix libc supports; it cannot fail with these arguments.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut now) };
    #[allow(
        clippy::cast_sign_loss,
        reason = "a monotonic clock reads no negative time"
    )]
    let (seconds, nanos) = (now.tv_sec as u64, now.tv_nsec as u64);
    seconds.wrapping_mul(1_000_000_000).wrapping_add(nanos)
}

/// Nanoseconds since a process-wide epoch.
#[cfg(not(unix))]
#[inline]
pub(crate) fn now() -> u64 {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(std::time::Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The nanoseconds from `start`, a reading of [`now`], to now.
#[inline]
pub(crate) fn since(start: u64) -> u64 {
    now().saturating_sub(start)
}

#[cfg(test)]
mod tests {
    use super::{now, since};

    #[test]
    fn the_clock_is_monotonic_and_counts_nanoseconds() {
        let start = now();
        let instant = std::time::Instant::now();
        while instant.elapsed() < std::time::Duration::from_millis(2) {}
        let elapsed = since(start);
        assert!(elapsed >= 2_000_000, "{elapsed}");
        assert!(elapsed < 2_000_000_000, "{elapsed}");
        assert!(now() >= start);
    }
}
