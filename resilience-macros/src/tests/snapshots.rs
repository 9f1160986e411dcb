//! What each attribute, and a few stacks, expand to, kept as reviewed files under
//! `tests/expand/NAME.expanded.rs` so that a change in expansion shows up in review.
//!
//! Each fixture is a function as a user writes it. The outermost of this crate's attributes
//! is taken off and expanded with the rest of the function, as rustc does, and the result is
//! pretty-printed. After reviewing a change, rewrite the files with
//! `UPDATE_SNAPSHOTS=1 cargo test -p resilience-macros --lib snapshots`.

use std::path::PathBuf;

use quote::ToTokens;

use super::is_ours;
use crate::{
    attribute::{self, Attribute},
    stack,
};

const UPDATE: &str = "UPDATE_SNAPSHOTS=1 cargo test -p resilience-macros --lib snapshots";

/// `(name, function as written)`.
const FIXTURES: &[(&str, &str)] = &[
    (
        "retry_exponential_without_multiplier",
        r#"
#[retry(backoff = exponential, initial_delay = "20ms")]
fn fetch(id: u64) -> Result<Record, FetchError> {
    db::get(id)
}
"#,
    ),
    (
        "retry_defaults",
        r#"
#[retry]
fn fetch(id: u64) -> Result<Record, FetchError> {
    db::get(id)
}
"#,
    ),
    (
        "retry_every_argument",
        r#"
#[retry(
    max_attempts = 5,
    backoff = exponential,
    initial_delay = "50ms",
    multiplier = 3.0,
    max_delay = "2s",
    jitter = equal,
    max_elapsed = "10s",
    when = is_transient,
    on_retry = log_retry,
    name = "records.fetch",
)]
fn fetch(id: u64) -> Result<Record, FetchError> {
    db::get(id)
}
"#,
    ),
    (
        "retry_shared_budget",
        r#"
#[retry(budget = "orders")]
fn place(order: &Order) -> Result<Receipt, OrderError> {
    orders::place(order)
}
"#,
    ),
    (
        "retry_peer_vocabulary",
        r#"
#[retry(max_retries = 5, max_delay = none, max_retry_after = "2m")]
fn poll(job: &Job) -> Result<Status, PollError> {
    job.status()
}
"#,
    ),
    (
        "retry_if_ok",
        r#"
#[retry(max_attempts = 4, retry_if_ok = is_throttled)]
async fn send(request: &Request) -> Result<Response, HttpError> {
    client.execute(request).await
}
"#,
    ),
    (
        "retry_run_time_settings",
        r#"
#[retry(max_retries = self.retries, initial_delay = self.delay, max_delay = "5s")]
fn get(&self, key: &str) -> Result<Value, ClientError> {
    self.transport.get(key)
}
"#,
    ),
    (
        "retry_unlimited",
        r#"
#[retry(max_attempts = unlimited, max_elapsed = "30s", max_retry_after = none)]
async fn connect(addr: &str) -> Result<Conn, ConnectError> {
    Conn::open(addr).await
}
"#,
    ),
    (
        "retry_without_budget",
        r#"
#[retry(max_attempts = 10, budget = none)]
fn import(batch: &Batch) -> Result<(), ImportError> {
    store::write(batch)
}
"#,
    ),
    (
        "circuit_breaker_adaptive",
        r#"
#[circuit_breaker(name = "search", adaptive = 2.0, window = "30s", max_trial_wait = "5s")]
async fn search(query: &str) -> Result<Hits, SearchError> {
    index::search(query).await
}
"#,
    ),
    (
        "retry_linear_proportional_jitter",
        r#"
#[retry(max_attempts = 4, backoff = linear, initial_delay = "1.5s", jitter = 0.1)]
fn fetch(id: u64) -> Result<Record, FetchError> {
    db::get(id)
}
"#,
    ),
    (
        "retry_policy_when_on_retry",
        r#"
#[retry(policy = policies::FAST, when = errors::is_transient, on_retry = log_retry)]
fn fetch(id: u64) -> Result<Record, FetchError> {
    db::get(id)
}
"#,
    ),
    (
        "retry_async",
        r#"
/// Fetches the page, retrying timeouts.
#[retry(max_attempts = 4, when = is_timeout)]
pub async fn fetch_page(client: &Client, url: &str) -> Result<String, reqwest::Error> {
    let response = client.get(url).send().await?;
    response.text().await
}
"#,
    ),
    (
        "retry_method_ref_self",
        r#"
#[retry(max_attempts = 2, backoff = constant, initial_delay = "10ms")]
fn refresh(&self, key: &str) -> io::Result<Token> {
    if key.is_empty() {
        return Err(io::Error::other("empty key"));
    }
    self.store.load(key)
}
"#,
    ),
    (
        "circuit_breaker_defaults",
        r#"
#[circuit_breaker]
fn charge(req: &Charge) -> Result<Receipt, PayError> {
    gateway::charge(req)
}
"#,
    ),
    (
        "circuit_breaker_every_argument",
        r#"
#[circuit_breaker(
    name = "payments",
    failure_threshold = 3,
    recovery_timeout = "30s",
    half_open_max_calls = 2,
    success_threshold = 2,
    when = counts_as_failure,
)]
fn charge(req: &Charge) -> Result<Receipt, PayError> {
    gateway::charge(req)
}
"#,
    ),
    (
        "circuit_breaker_fallback_async_method",
        r#"
#[circuit_breaker(name = "quotes", fallback = cached_quote)]
async fn quote(&self, symbol: &str) -> Result<Quote, QuoteError> {
    self.client.quote(symbol).await
}
"#,
    ),
    (
        "circuit_breaker_fallback_on_failure",
        r#"
#[circuit_breaker(fallback = Self::cached, fallback_on_failure = true, when = is_outage)]
fn price(&self, sku: Sku) -> Result<Price, Error> {
    self.remote.price(sku)
}
"#,
    ),
    (
        "circuit_breaker_keyed",
        r#"
#[circuit_breaker(name = "shards", key = shard_id, failure_threshold = 3, max_keys = 1000, idle_timeout = "10m")]
fn query(shard_id: u32, sql: &str) -> Result<Rows, DbError> {
    db::query(shard_id, sql)
}
"#,
    ),
    (
        "stack_retry_keyed_breaker_async",
        r#"
#[retry(max_attempts = 3)]
#[circuit_breaker(name = "hosts", key = url.host(), fallback = cached)]
async fn fetch(&self, url: &Url) -> Result<Page, FetchError> {
    self.client.get(url).await
}
"#,
    ),
    (
        "circuit_breaker_failure_rate",
        r#"
#[circuit_breaker(failure_rate = 0.5, window = 50, minimum_calls = 20, slow_call = "2s")]
async fn search(query: String) -> anyhow::Result<Vec<Hit>> {
    index::search(&query).await
}
"#,
    ),
    (
        "circuit_breaker_time_window_recovery_backoff",
        r#"
#[circuit_breaker(
    failure_rate = 0.25,
    window = "30s",
    recovery_timeout = "5s",
    recovery_backoff = 2.0,
    max_recovery_timeout = "10m",
)]
fn send(message: Message) -> Result<(), SendError> {
    smtp::send(message)
}
"#,
    ),
    (
        "timeout_sync",
        r#"
#[timeout("250ms")]
fn render(page: Page) -> Result<Html, Error> {
    page.render()
}
"#,
    ),
    (
        "timeout_async",
        r#"
#[timeout("1.5s")]
async fn lookup(&self, host: &str) -> io::Result<IpAddr> {
    self.resolver.lookup(host).await
}
"#,
    ),
    (
        "timeout_expression_named",
        r#"
#[timeout(LOOKUP_LIMIT, name = "dns")]
async fn lookup(host: &str) -> io::Result<IpAddr> {
    resolver::lookup(host).await
}
"#,
    ),
    (
        "stack_retry_breaker_timeout_async",
        r#"
#[retry(max_attempts = 3)]
#[circuit_breaker(name = "payments")]
#[timeout("2s")]
async fn charge(req: &Charge) -> Result<Receipt, PayError> {
    gateway::charge(req).await
}
"#,
    ),
    (
        "stack_timeout_retry_sync",
        r#"
#[timeout("5s")]
#[retry(max_attempts = 3, initial_delay = "200ms")]
fn sync_inventory(store: StoreId) -> Result<usize, SyncError> {
    inventory::sync(store)
}
"#,
    ),
    (
        "stack_retry_timeout_sync",
        r#"
#[retry(max_attempts = 3)]
#[timeout("1s")]
fn upload(path: PathBuf, data: Vec<u8>) -> io::Result<()> {
    let mut data = data;
    data.push(b'\n');
    storage::put(&path, &data)
}
"#,
    ),
    (
        "stack_breaker_retry",
        r#"
#[circuit_breaker(name = "inventory")]
#[retry(max_attempts = 2, backoff = constant)]
fn reserve(sku: &Sku, count: u32) -> Result<Reservation, InventoryError> {
    inventory::reserve(sku, count)
}
"#,
    ),
];

fn directory() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/expand")
}

/// The snapshot of one fixture: the function as written, then its expansion.
fn expand(name: &str, source: &str) -> String {
    let source = source.trim();
    let mut function: syn::ItemFn = syn::parse_str(source)
        .unwrap_or_else(|e| panic!("fixture `{name}` is not a function: {e}"));
    let outermost = function
        .attrs
        .iter()
        .position(is_ours)
        .unwrap_or_else(|| panic!("fixture `{name}` has none of this crate's attributes"));
    let attr = function.attrs.remove(outermost);
    let attribute = Attribute::of(&attr).unwrap_or_else(|| panic!("fixture `{name}`"));
    let args = attribute::arguments(&attr)
        .unwrap_or_else(|e| panic!("fixture `{name}`: bad attribute: {e}"));
    let output = stack::expand(attribute, args, function.to_token_stream());
    let file: syn::File = syn::parse2(output.clone()).unwrap_or_else(|e| {
        panic!("fixture `{name}` expands to tokens that are not items: {e}\n{output}")
    });
    let expanded = prettyplease::unparse(&file);
    assert!(
        !expanded.contains("compile_error"),
        "fixture `{name}` is refused by the macro; fixtures must be valid:\n{expanded}"
    );
    let mut out = String::from(
        "// Generated by the `snapshots` unit test of resilience-macros: review, do not edit.\n\
         // What this function expands to:\n//\n",
    );
    for line in source.lines() {
        out.push_str("//     ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&expanded);
    out
}

/// Where `expected` and `actual` first differ, as a readable message.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut expected_lines = expected.lines();
    let mut actual_lines = actual.lines();
    let mut line = 1;
    loop {
        match (expected_lines.next(), actual_lines.next()) {
            (Some(e), Some(a)) if e == a => line += 1,
            (e, a) => {
                return format!(
                    "first difference at line {line}:\n  snapshot: {}\n  expanded: {}",
                    e.unwrap_or("<end of file>"),
                    a.unwrap_or("<end of file>"),
                );
            }
        }
    }
}

#[test]
fn expansions_match_their_reviewed_snapshots() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v != "0" && !v.is_empty());
    let dir = directory();
    if update {
        std::fs::create_dir_all(&dir).expect("create tests/expand");
    }
    let mut failures = Vec::new();
    for (name, source) in FIXTURES {
        let actual = expand(name, source);
        let path = dir.join(format!("{name}.expanded.rs"));
        if update {
            let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == actual);
            if !unchanged {
                std::fs::write(&path, &actual)
                    .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
                eprintln!("snapshots: wrote {}", path.display());
            }
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{}: the expansion changed; {}",
                path.display(),
                first_difference(&expected, &actual)
            )),
            Err(e) => failures.push(format!("{}: cannot read the snapshot: {e}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} snapshots differ:\n\n{}\n\nIf the new expansion is intended, review it and update the files with\n    {UPDATE}\nthen review `git diff resilience-macros/tests/expand`.",
        failures.len(),
        FIXTURES.len(),
        failures.join("\n\n"),
    );
}

#[test]
fn every_snapshot_file_has_a_fixture() {
    let mut names: Vec<&str> = FIXTURES.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    let count = names.len();
    names.dedup();
    assert_eq!(names.len(), count, "two fixtures share a name");
    let Ok(entries) = std::fs::read_dir(directory()) else {
        return;
    };
    for entry in entries {
        let file = entry.expect("list tests/expand").file_name();
        let file = file.to_string_lossy();
        if let Some(name) = file.strip_suffix(".expanded.rs") {
            assert!(
                names.contains(&name),
                "tests/expand/{file} has no fixture: delete it, or add the fixture back"
            );
        }
    }
}

#[test]
fn a_difference_is_reported_at_its_first_line() {
    assert_eq!(
        first_difference("a\nb\nc\n", "a\nx\nc\n"),
        "first difference at line 2:\n  snapshot: b\n  expanded: x"
    );
    assert_eq!(
        first_difference("a\n", "a\nb\n"),
        "first difference at line 2:\n  snapshot: <end of file>\n  expanded: b"
    );
}
