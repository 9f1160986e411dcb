//! The configuration of a retry budget: plain data, buildable in a `const`, and the
//! settings a source (the environment, a file) gives, applied to it. The live budget is
//! [`RetryBudget`](crate::RetryBudget).

use std::time::Duration;

use crate::env::fields::BudgetFields;

/// How many retries a [`RetryBudget`](crate::RetryBudget) allows: at most `ratio` retries per call made, plus
/// `min_retries_per_second` whatever the traffic, over a sliding `window`. The semantics of
/// Finagle's `RetryBudget`.
///
/// With the defaults (20% of the calls, 10 retries a second, a 10 s window), a service called
/// 1,000 times a second that starts failing every call receives at most 1,000 + 210 calls a
/// second from its callers' retries, instead of 3,000 with three attempts each; a client that
/// makes one call a minute may still retry every one of them.
///
/// Plain data, with `const` builders:
///
/// ```
/// use std::time::Duration;
/// use resilience::BudgetConfig;
///
/// const BATCH: BudgetConfig = BudgetConfig::new()
///     .with_ratio(0.5)
///     .with_min_retries_per_second(1)
///     .with_window(Duration::from_secs(30));
/// assert_eq!(BATCH.ratio(), 0.5);
/// ```
///
/// # Clamping
///
/// No value makes a builder panic: a ratio below 0 (or NaN) is taken as 0 and one above 1,000
/// as 1,000; a window shorter than 1 ms as 1 ms.
///
/// # Default
///
/// `ratio` 0.2, `min_retries_per_second` 10, `window` 10 s: Finagle's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetConfig {
    ratio: f64,
    min_retries_per_second: u32,
    window: Duration,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// The shortest window; shorter ones are taken as this (the environment and files refuse them).
const MIN_WINDOW: Duration = resilience_settings::budget::MIN_WINDOW;
/// The largest ratio; larger ones are taken as this (the environment and files refuse them).
const MAX_RATIO: f64 = resilience_settings::budget::MAX_RATIO;

impl BudgetConfig {
    /// The defaults; see [`BudgetConfig`]'s `# Default` section.
    ///
    /// ```
    /// let config = resilience::BudgetConfig::new();
    /// assert_eq!((config.ratio(), config.min_retries_per_second()), (0.2, 10));
    /// assert_eq!(config.window(), std::time::Duration::from_secs(10));
    /// ```
    pub const fn new() -> Self {
        BudgetConfig {
            ratio: 0.2,
            min_retries_per_second: 10,
            window: Duration::from_secs(10),
        }
    }

    /// Retries allowed per call made in the window: `0.2` lets retries add 20% to the load.
    /// `0` leaves only the floor.
    ///
    /// ```
    /// let config = resilience::BudgetConfig::new().with_ratio(0.1);
    /// assert_eq!(config.ratio(), 0.1);
    /// assert_eq!(resilience::BudgetConfig::new().with_ratio(f64::NAN).ratio(), 0.0);
    /// ```
    pub const fn with_ratio(mut self, ratio: f64) -> Self {
        self.ratio = if ratio.is_nan() || ratio < 0.0 {
            0.0
        } else if ratio > MAX_RATIO {
            MAX_RATIO
        } else {
            ratio
        };
        self
    }

    /// Retries allowed per second of the window whatever the number of calls, so that a
    /// client that calls rarely can still retry. `0` leaves only the ratio.
    ///
    /// ```
    /// let config = resilience::BudgetConfig::new().with_min_retries_per_second(0);
    /// assert_eq!(config.min_retries_per_second(), 0);
    /// ```
    pub const fn with_min_retries_per_second(mut self, retries: u32) -> Self {
        self.min_retries_per_second = retries;
        self
    }

    /// How far back calls and retries count. Deposits older than this expire, a tenth of
    /// the window at a time.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = resilience::BudgetConfig::new().with_window(Duration::from_secs(60));
    /// assert_eq!(config.window(), Duration::from_secs(60));
    /// ```
    pub const fn with_window(mut self, window: Duration) -> Self {
        self.window = if window.as_nanos() < MIN_WINDOW.as_nanos() {
            MIN_WINDOW
        } else {
            window
        };
        self
    }

    /// See [`with_ratio`](Self::with_ratio).
    ///
    /// ```
    /// assert_eq!(resilience::BudgetConfig::new().ratio(), 0.2);
    /// ```
    pub const fn ratio(&self) -> f64 {
        self.ratio
    }

    /// See [`with_min_retries_per_second`](Self::with_min_retries_per_second).
    ///
    /// ```
    /// assert_eq!(resilience::BudgetConfig::new().min_retries_per_second(), 10);
    /// ```
    pub const fn min_retries_per_second(&self) -> u32 {
        self.min_retries_per_second
    }

    /// See [`with_window`](Self::with_window).
    ///
    /// ```
    /// assert_eq!(resilience::BudgetConfig::new().window(), std::time::Duration::from_secs(10));
    /// ```
    pub const fn window(&self) -> Duration {
        self.window
    }

    /// The retries the floor allows over one window.
    pub(crate) fn floor(&self) -> f64 {
        f64::from(self.min_retries_per_second) * self.window.as_secs_f64()
    }

    /// This configuration with the settings `fields` give.
    pub(crate) fn with_fields(mut self, fields: &BudgetFields) -> Self {
        if let Some(ratio) = fields.ratio {
            self = self.with_ratio(ratio);
        }
        if let Some(n) = fields.min_retries_per_second {
            self = self.with_min_retries_per_second(n);
        }
        if let Some(window) = fields.window {
            self = self.with_window(window);
        }
        self
    }
}

impl BudgetFields {
    /// Every setting of `config`, as a file writes them.
    #[cfg(feature = "serde")]
    pub(crate) fn written(config: &BudgetConfig) -> Self {
        BudgetFields {
            ratio: Some(config.ratio()),
            min_retries_per_second: Some(config.min_retries_per_second()),
            window: Some(config.window()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_clamp() {
        let c = BudgetConfig::new()
            .with_ratio(-1.0)
            .with_window(Duration::ZERO);
        assert_eq!((c.ratio(), c.window()), (0.0, MIN_WINDOW));
        assert_eq!(BudgetConfig::new().with_ratio(1e9).ratio(), MAX_RATIO);
        const C: BudgetConfig = BudgetConfig::new().with_ratio(0.5);
        assert_eq!(C.ratio(), 0.5);
    }
}
