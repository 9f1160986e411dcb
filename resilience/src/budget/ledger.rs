//! A budget's ledger: the calls made and the retries taken, in slices of its window. It
//! lives behind the budget's mutex.

use std::time::Duration;

use tokio::time::Instant;

use super::config::BudgetConfig;

/// The slices a window is cut into; deposits expire one slice at a time.
const SLICES: usize = 10;

/// What the budget's mutex guards.
#[derive(Debug)]
pub(super) struct Ledger {
    /// Set by [`RetryBudget::configure`]; `None` takes the defaults (the environment's, else
    /// the built-in ones).
    pub(super) configured: Option<BudgetConfig>,
    /// The configuration in force and the generation of the environment it was resolved
    /// against.
    pub(super) resolved: Option<(BudgetConfig, u64)>,
    /// The origin of the ledger's clock: the first deposit, or the first look.
    base: Option<Instant>,
    /// The width of a slice, in nanoseconds.
    pub(super) width: u64,
    /// The deposits counted into slices so far, and when (nanoseconds since `base`).
    seen: u64,
    seen_at: u64,
    slices: [Slice; SLICES],
}

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Slice {
    /// Which slice of time (`nanos / width`) the counts belong to.
    index: u64,
    deposits: f64,
    pub(super) retries: u64,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Ledger {
    pub(super) const fn new() -> Self {
        Ledger {
            configured: None,
            resolved: None,
            base: None,
            width: 0,
            seen: 0,
            seen_at: 0,
            slices: [Slice {
                index: 0,
                deposits: 0.0,
                retries: 0,
            }; SLICES],
        }
    }

    /// Nanoseconds since the ledger's origin, which is set here if it is not yet.
    pub(super) fn clock(&mut self, now: Instant) -> u64 {
        let base = *self.base.get_or_insert(now);
        nanos(now.saturating_duration_since(base))
    }

    /// Counts the deposits made up to `total` into the slices, spread evenly over the time
    /// since the last look, and makes the slices `config`'s width.
    pub(super) fn catch_up(&mut self, total: u64, now: u64, config: &BudgetConfig) {
        let width = (nanos(config.window()) / SLICES as u64).max(1);
        if width != self.width {
            // A new window shape: the counts of the old slices no longer fit.
            self.width = width;
            self.slices = [Slice::default(); SLICES];
        }
        // The clock never runs backwards here, whichever runtime's clock a caller reads.
        let now = now.max(self.seen_at);
        let delta = total.saturating_sub(self.seen) as f64;
        self.spread(delta, self.seen_at, now);
        self.seen = total;
        self.seen_at = now;
    }

    pub(super) fn spread(&mut self, amount: f64, from: u64, to: u64) {
        if amount == 0.0 {
            return;
        }
        let width = self.width;
        let current = to / width;
        if to <= from {
            self.slice(current).deposits += amount;
            return;
        }
        let span = (to - from) as f64;
        let first = (from / width).max(current.saturating_sub(SLICES as u64 - 1));
        for index in first..=current {
            let start = index.saturating_mul(width).max(from);
            let end = index.saturating_add(1).saturating_mul(width).min(to);
            if end > start {
                self.slice(index).deposits += amount * (end - start) as f64 / span;
            }
        }
    }

    /// The slice `index`, emptied first if it held an older one.
    pub(super) fn slice(&mut self, index: u64) -> &mut Slice {
        let slice = &mut self.slices[(index % SLICES as u64) as usize];
        if slice.index != index {
            *slice = Slice {
                index,
                ..Slice::default()
            };
        }
        slice
    }

    /// `(deposits, retries)` in the window that ends in the slice of `now`.
    pub(super) fn totals(&self, now: u64) -> (f64, u64) {
        let current = now / self.width;
        self.slices
            .iter()
            .filter(|s| s.index <= current && current - s.index < SLICES as u64)
            .fold((0.0, 0), |(d, r), s| (d + s.deposits, r + s.retries))
    }

    /// Retries allowed now.
    pub(super) fn balance(&self, now: u64, config: &BudgetConfig) -> f64 {
        let (deposits, retries) = self.totals(now);
        config.ratio() * deposits + config.floor() - retries as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;
    const SEC: u64 = 1_000 * MS;

    fn ledger(config: &BudgetConfig) -> Ledger {
        let mut ledger = Ledger::new();
        ledger.catch_up(0, 0, config);
        ledger
    }

    #[test]
    fn the_balance_is_the_ratio_of_calls_plus_the_floor_minus_retries() {
        let config = BudgetConfig::new();
        let mut l = ledger(&config);
        assert_eq!(l.balance(0, &config), 100.0, "10 a second over 10 s");
        l.catch_up(1_000, SEC, &config);
        assert!((l.balance(SEC, &config) - 300.0).abs() < 1e-9);
        l.slice(1).retries += 50;
        assert!((l.balance(SEC, &config) - 250.0).abs() < 1e-9);
    }

    #[test]
    fn deposits_are_spread_over_the_time_since_the_last_look_and_expire() {
        let config = BudgetConfig::new().with_min_retries_per_second(0);
        let mut l = ledger(&config);
        // 2,000 calls over 20 s. The window is ten slices of 1 s, the last one in progress:
        // half-way through the 21st second, it holds the calls of the last 9.5 s.
        l.catch_up(2_000, 20 * SEC + 500 * MS, &config);
        let (deposits, _) = l.totals(20 * SEC + 500 * MS);
        assert!((deposits - 2_000.0 * 9.5 / 20.5).abs() < 1e-6, "{deposits}");
        // 5 s later with no new call, those of 5 s more have expired.
        l.catch_up(2_000, 25 * SEC + 500 * MS, &config);
        let (deposits, _) = l.totals(25 * SEC + 500 * MS);
        assert!((deposits - 2_000.0 * 4.5 / 20.5).abs() < 1e-6, "{deposits}");
        // Much later, nothing is left.
        l.catch_up(2_000, 100 * SEC, &config);
        assert_eq!(l.totals(100 * SEC), (0.0, 0));
    }

    #[test]
    fn retries_expire_with_their_slice() {
        let config = BudgetConfig::new()
            .with_ratio(0.0)
            .with_min_retries_per_second(1)
            .with_window(Duration::from_secs(10));
        let mut l = ledger(&config);
        for _ in 0..10 {
            assert!(l.balance(0, &config) >= 1.0);
            l.slice(0).retries += 1;
        }
        assert!(l.balance(0, &config) < 1.0, "the floor is spent");
        assert!(l.balance(9 * SEC, &config) < 1.0, "still inside the window");
        assert_eq!(
            l.balance(10 * SEC, &config),
            10.0,
            "the first slice has expired"
        );
    }

    #[test]
    fn a_new_window_starts_afresh() {
        let config = BudgetConfig::new();
        let mut l = ledger(&config);
        l.catch_up(100, SEC, &config);
        let short = config.with_window(Duration::from_secs(1));
        l.catch_up(100, SEC, &short);
        assert_eq!(l.totals(SEC), (0.0, 0));
    }

    #[test]
    fn time_running_backwards_is_taken_as_standing_still() {
        let config = BudgetConfig::new();
        let mut l = ledger(&config);
        l.catch_up(10, 5 * SEC, &config);
        l.catch_up(20, SEC, &config);
        let (deposits, _) = l.totals(5 * SEC);
        assert!((deposits - 20.0).abs() < 1e-9, "{deposits}");
    }
}
