//! The retry budget's settings: the `RESILIENCE_BUDGET_*` variables and the
//! `[budgets.<name>]` keys of a file.

use std::time::Duration;

use crate::{Invalid, duration::format};

crate::table::settings! {
    /// A retry budget setting, by the names each front door writes it with: the file's key
    /// (`min_retries_per_second`) and the `<SETTING>` of its variables
    /// (`MIN_RETRIES_PER_SECOND`). The one list of them: the environment and files read
    /// names through it.
    ///
    /// ```
    /// use resilience_settings::budget::Setting;
    /// assert_eq!(Setting::from_env_name("RATIO"), Some(Setting::Ratio));
    /// assert_eq!(Setting::Window.key(), "window");
    /// ```
    pub enum Setting {
        /// [`ratio`]: retries per call made.
        Ratio = "ratio", "RATIO";
        /// [`min_retries_per_second`]: the floor of retries, whatever the traffic.
        MinRetriesPerSecond = "min_retries_per_second", "MIN_RETRIES_PER_SECOND";
        /// [`window`](fn@window): how far back calls and retries count.
        Window = "window", "WINDOW";
    }
}

/// The largest `ratio`: retries per call made.
pub const MAX_RATIO: f64 = 1000.0;

/// The shortest `window`: deposits expire a tenth of the window at a time.
pub const MIN_WINDOW: Duration = Duration::from_millis(1);

/// `ratio`: a number of retries per call made, in [0, [`MAX_RATIO`]].
///
/// ```
/// use resilience_settings::budget::ratio;
/// assert_eq!(ratio(0.2), Ok(0.2));
/// assert!(ratio(-1.0).is_err() && ratio(f64::NAN).is_err());
/// ```
pub fn ratio(ratio: f64) -> Result<f64, Invalid> {
    if (0.0..=MAX_RATIO).contains(&ratio) {
        Ok(ratio)
    } else {
        Err(Invalid::new(
            "ratio",
            format!(
                "`ratio` is a number of retries per call made in [0, 1000], found {ratio}: 0.2 lets retries add 20% to the calls"
            ),
        ))
    }
}

/// `min_retries_per_second`: an integer >= 0 that fits in a `u32`.
///
/// ```
/// use resilience_settings::budget::min_retries_per_second;
/// assert_eq!(min_retries_per_second(0), Ok(0));
/// assert!(min_retries_per_second(-1).is_err());
/// ```
pub fn min_retries_per_second(n: i128) -> Result<u32, Invalid> {
    u32::try_from(n).map_err(|_| {
        Invalid::new(
            "min_retries_per_second",
            format!(
                "`min_retries_per_second` is an integer from 0 to {}, found {n}: 10 lets ten retries a second through whatever the traffic",
                u32::MAX
            ),
        )
    })
}

/// `window`: at least [`MIN_WINDOW`].
///
/// ```
/// use std::time::Duration;
/// use resilience_settings::budget::window;
/// assert!(window(Duration::from_secs(10)).is_ok());
/// assert!(window(Duration::ZERO).is_err());
/// ```
pub fn window(d: Duration) -> Result<Duration, Invalid> {
    if d >= MIN_WINDOW {
        Ok(d)
    } else {
        Err(Invalid::new(
            "window",
            format!(
                "`window` must be at least {}, found {}: give how far back calls and retries count, as in \"10s\"",
                format(MIN_WINDOW),
                format(d)
            ),
        ))
    }
}
