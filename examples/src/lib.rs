//! Examples live beside this file; this crate has no code of its own.
