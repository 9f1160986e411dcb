//! How a breaker's or a retry budget's name is written in its variables' names, and what a
//! variable's `<NAME>` can be.

use std::fmt;

/// The prefix of the per-breaker environment variables of the breaker `name`: add a
/// `<SETTING>` (see the [`config`](crate::config) module's table) to get a variable's name. A name without
/// any ASCII letter or digit cannot be written in a variable's name: such a breaker cannot
/// be configured from the environment (configure it in code or in a configuration file),
/// and the error says so.
///
/// ```
/// use resilience::config::env_prefix;
/// assert_eq!(env_prefix("payments").unwrap(), "RESILIENCE_BREAKER__PAYMENTS__");
/// assert_eq!(env_prefix("my_app::db::query").unwrap(), "RESILIENCE_BREAKER__MY_APP_DB_QUERY__");
/// assert_eq!(env_prefix("inventory-db.v2").unwrap(), "RESILIENCE_BREAKER__INVENTORY_DB_V2__");
/// let err = env_prefix("支付").unwrap_err();
/// assert!(err.to_string().contains("cannot be configured from the environment"));
/// ```
pub fn env_prefix(name: &str) -> Result<String, EnvNameError> {
    scoped_prefix(super::BREAKER_PREFIX, name, "breaker")
}

/// The prefix of the per-budget environment variables of the retry budget `name`, as
/// [`env_prefix`] gives the breakers'.
///
/// ```
/// use resilience::config::budget_env_prefix;
/// assert_eq!(budget_env_prefix("orders").unwrap(), "RESILIENCE_BUDGET__ORDERS__");
/// assert!(budget_env_prefix("--").is_err());
/// ```
pub fn budget_env_prefix(name: &str) -> Result<String, EnvNameError> {
    scoped_prefix(super::BUDGET_PREFIX, name, "retry budget")
}

fn scoped_prefix(prefix: &str, name: &str, what: &'static str) -> Result<String, EnvNameError> {
    let mangled = mangle(name);
    if mangled.is_empty() {
        return Err(EnvNameError {
            name: name.to_owned(),
            what,
        });
    }
    Ok(format!("{prefix}_{mangled}__"))
}

/// A name that no environment variable can spell, from [`env_prefix`]: it has no ASCII
/// letter or digit.
///
/// ```
/// let err = resilience::config::env_prefix("::").unwrap_err();
/// assert_eq!(err.name(), "::");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvNameError {
    name: String,
    what: &'static str,
}

impl EnvNameError {
    /// The name.
    ///
    /// ```
    /// assert_eq!(resilience::config::env_prefix("支付").unwrap_err().name(), "支付");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for EnvNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} `{}` cannot be configured from the environment: a variable names it by \
             its ASCII letters and digits, and it has none; configure it in code or in a \
             configuration file, or give it a name with ASCII letters or digits",
            self.what, self.name
        )
    }
}

impl std::error::Error for EnvNameError {}

/// A breaker (or budget) name as it appears in variable names: upper case, each run of
/// characters other than ASCII letters and digits as one `_`, none at either end. Empty for
/// a name without ASCII letters or digits, which no variable can name.
pub(super) fn mangle(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c.to_ascii_uppercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Why `part`, the `<NAME>` of a per-breaker (`what` = "breaker") or per-budget variable,
/// can name nothing: every name is written as [`mangle`] writes it.
fn check_name_part(part: &str, what: &str) -> Result<(), String> {
    let mangled = mangle(part);
    if mangled == part {
        return Ok(());
    }
    if mangled.is_empty() {
        return Err(format!(
            "the {what} name `{part}` has no ASCII letter or digit, so it names no {what}: a \
             {what} whose name has none cannot be configured from the environment (configure \
             it in code or in a configuration file)"
        ));
    }
    let why = if part.chars().any(|c| c.is_ascii_lowercase()) {
        "has lower-case letters"
    } else if part.contains("__") {
        "contains `__`"
    } else if part.starts_with('_') || part.ends_with('_') {
        "starts or ends with `_`"
    } else {
        "has characters other than ASCII letters, digits and `_`"
    };
    Err(format!(
        "the {what} name `{part}` {why}, so it names no {what}: names are written in upper \
         case, each run of other characters as one `_`, none at either end (see \
         `resilience::config::env_prefix`); write `{mangled}`"
    ))
}

/// Splits `rest`, the end of a per-breaker (or per-budget) variable's name after its prefix
/// and `_`, into its `<NAME>` and `<SETTING>`, or says why it cannot be split so.
pub(super) fn scoped<'a>(
    rest: &'a str,
    what: &str,
    prefix: &str,
    example: &str,
    known: impl Fn(&str) -> Result<(), String>,
) -> Result<(&'a str, &'a str), String> {
    let form = format!(
        "a per-{what} variable is named {prefix}_<NAME>__<SETTING>, as in {prefix}_{example}"
    );
    match rest.rsplit_once("__") {
        Some(("", _)) => Err(format!(
            "{form}; this one has no <NAME> (a {what} whose name has no ASCII letter or digit \
             cannot be configured from the environment)"
        )),
        Some((name, suffix)) => {
            known(suffix)?;
            check_name_part(name, what)?;
            Ok((name, suffix))
        }
        None => Err(form),
    }
}
