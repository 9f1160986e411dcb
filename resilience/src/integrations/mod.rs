//! The optional integrations: the crate's engines as tower layers (`tower` feature) and as a
//! reqwest-middleware middleware (`reqwest` feature), and the HTTP rules both use. Each module
//! is re-exported at the crate's root (`resilience::tower`, `resilience::reqwest`,
//! `resilience::http`); nothing here is compiled without its feature.

pub mod http;
#[cfg(feature = "reqwest")]
pub mod reqwest;
#[cfg(feature = "tower")]
pub mod tower;
