//! What a `#[circuit_breaker]` call site calls to meet its breaker (or, with a `key`, its
//! family of keyed breakers): a `static` of its own ([`BreakerSite`], [`KeyedSite`]) keeps it
//! after the first call, which finds (or makes) it in the registry, so that the hot path is
//! a load of that `static`.

use std::{
    any::type_name,
    sync::{Arc, OnceLock},
};

use super::{
    names::{intern, method_name},
    register_keyed_site, register_site,
};
use crate::{
    KeyedBreaker, KeyedConfig,
    breaker::{BreakerConfig, CircuitBreaker},
};

/// A call site's cached breaker: filled on the site's first call.
pub type BreakerSite = OnceLock<Arc<CircuitBreaker>>;

/// The breaker of a call site, with its own `cell`: the hot path is just `cell.get()`, the
/// registry's lock is only taken the first time. `site` is `"file:line"`.
#[inline]
pub fn site_breaker(
    cell: &'static BreakerSite,
    name: &'static str,
    config: &'static BreakerConfig,
    site: &'static str,
) -> &'static CircuitBreaker {
    match cell.get() {
        Some(breaker) => breaker,
        None => first_call(cell, name, config, site),
    }
}

/// A call site's first call: its breaker, found or made in the registry.
#[cold]
#[inline(never)]
fn first_call(
    cell: &'static BreakerSite,
    name: &'static str,
    config: &'static BreakerConfig,
    site: &'static str,
) -> &'static CircuitBreaker {
    cell.get_or_init(|| register_site(name, *config, site))
}

/// [`site_breaker`] for a method of `S` without a `name`: the breaker is
/// named `module::Type::method`, `Type` being `S`'s name without its path or generic
/// arguments.
#[inline]
pub fn method_site_breaker<S: ?Sized>(
    cell: &'static BreakerSite,
    module: &'static str,
    method: &'static str,
    config: &'static BreakerConfig,
    site: &'static str,
) -> &'static CircuitBreaker {
    match cell.get() {
        Some(breaker) => breaker,
        None => method_first_call(
            cell,
            method_name(module, type_name::<S>(), method),
            config,
            site,
        ),
    }
}

#[cold]
#[inline(never)]
fn method_first_call(
    cell: &'static BreakerSite,
    name: String,
    config: &'static BreakerConfig,
    site: &'static str,
) -> &'static CircuitBreaker {
    cell.get_or_init(|| register_site(intern(name), *config, site))
}

/// A keyed call site's cached family: filled on the site's first call.
pub type KeyedSite = OnceLock<Arc<KeyedBreaker>>;

/// The keyed family of a call site (`#[circuit_breaker(name = "..", key = ..)]`), with its
/// own `cell`, as [`site_breaker`] finds a breaker: `config` configures its keys' breakers,
/// `keyed` how it keeps its keys.
#[inline]
pub fn keyed_site(
    cell: &'static KeyedSite,
    name: &'static str,
    config: &'static BreakerConfig,
    keyed: &'static KeyedConfig,
    site: &'static str,
) -> &'static KeyedBreaker {
    match cell.get() {
        Some(family) => family,
        None => keyed_first_call(cell, name, config, keyed, site),
    }
}

#[cold]
#[inline(never)]
fn keyed_first_call(
    cell: &'static KeyedSite,
    name: &'static str,
    config: &'static BreakerConfig,
    keyed: &'static KeyedConfig,
    site: &'static str,
) -> &'static KeyedBreaker {
    cell.get_or_init(|| register_keyed_site(name, *config, *keyed, site))
}
