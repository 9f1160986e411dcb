//! The duration syntax of the environment and files, as the attributes write it, from the
//! one grammar of `resilience_settings::duration`.

use std::{fmt, time::Duration};

/// A duration string that [`parse_duration`] could not read.
///
/// ```
/// let err = resilience::config::parse_duration("250").unwrap_err();
/// assert!(err.to_string().contains("has no unit"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError(String);

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DurationError {}

/// Parses a duration written as in the attributes: an integer or decimal and a unit, `ns`,
/// `us`, `ms`, `s`, `m` or `h`, with no space. The grammar is the attributes' own (one
/// implementation, which the attributes run when the code compiles and this runs at run time),
/// so that a value moves between code, the environment and a file unchanged.
///
/// ```
/// use std::time::Duration;
/// use resilience::config::parse_duration;
///
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
/// assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
/// assert!(parse_duration("5 s").is_err());
/// assert!(parse_duration("5secs").unwrap_err().to_string().contains("use \"s\""));
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    resilience_settings::duration::parse(text).map_err(|e| DurationError(e.to_string()))
}

/// Writes a duration in the syntax [`parse_duration`] reads, exactly, in the largest unit
/// that holds it in whole numbers. Durations beyond what the syntax holds (about 584 years)
/// are written as the largest it holds.
///
/// ```
/// use std::time::Duration;
/// use resilience::config::format_duration;
///
/// assert_eq!(format_duration(Duration::from_secs(120)), "2m");
/// assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
/// assert_eq!(format_duration(Duration::ZERO), "0s");
/// ```
pub fn format_duration(duration: Duration) -> String {
    resilience_settings::duration::format(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shared_corpus() {
        for (text, expected) in resilience_settings::corpus::DURATIONS {
            match (parse_duration(text), expected) {
                (Ok(d), Ok(nanos)) => assert_eq!(d, Duration::from_nanos(*nanos), "{text:?}"),
                (Err(err), Err(says)) => assert!(err.to_string().contains(says), "{text:?}: {err}"),
                (got, want) => panic!("{text:?}: got {got:?}, expected {want:?}"),
            }
        }
        let d = Duration::from_millis(1500);
        assert_eq!(parse_duration(&format_duration(d)), Ok(d));
    }
}
