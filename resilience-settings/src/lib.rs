//! The rules of the `resilience` crates' settings, in one place: the duration syntax and, per
//! setting, which values are accepted and what to say about the others.
//!
//! Depend on `resilience` instead: this crate is what its attributes (`resilience-macros`, at
//! compile time) and its runtime (the environment and configuration files, at run time)
//! share, so that a value the attribute refuses is refused from the environment and from a
//! file too, with the same words. Each front door parses its own syntax (a literal, a
//! variable's text, a file's value) and hands the value to the check of its setting here.
//!
//! - [`duration`]: `"250ms"`, `"1.5s"`, `"2m"`: parse and format.
//! - [`breaker`], [`keyed`], [`retry`], [`budget`], [`timeout`]: one check per setting, and the checks
//!   across settings, each returning an [`Invalid`] that names the setting, says what is
//!   wrong and how to fix it; [`breaker::Setting`] and [`budget::Setting`] list the names
//!   of the settings, one table each, which every front door reads names through.
//!
//! ```
//! use std::time::Duration;
//! use resilience_settings::{breaker, duration};
//!
//! let slow = duration::parse("0s").unwrap();
//! let err = breaker::slow_call(slow).unwrap_err();
//! assert_eq!(err.key(), "slow_call");
//! assert!(err.to_string().contains("longer than zero"));
//! assert_eq!(breaker::failure_threshold(3), Ok(3));
//! ```
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]
#![forbid(unsafe_code)]

pub mod breaker;
pub mod budget;
#[doc(hidden)]
pub mod corpus;
pub mod duration;
mod invalid;
pub mod keyed;
pub mod retry;
mod table;
pub mod timeout;

pub use invalid::Invalid;
