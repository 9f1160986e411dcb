//! A real HTTP service that fails, slows down and goes away on a schedule, called first by a
//! bare client and then by the same client under `#[retry]` (without and with its retry
//! budget), `#[circuit_breaker]` and `#[timeout]`, and the recommended overload-safe stack,
//! with a side-by-side table at the end.
//!
//! Run it with `cargo run --example flaky_service` (about 55 s), or
//! `cargo run --example flaky_service -- --quick` (about 30 s); `-- --help` lists the flags.
//!
//! The service (axum, on a loopback port) goes through these phases, once per run:
//!
//! - `healthy`: answers in a few milliseconds.
//! - `flaky`: a share of the requests fail with `500 Internal Server Error`.
//! - `overloaded`: beyond a request budget per second, `429 Too Many Requests` with a
//!   `Retry-After` header. The retrying client waits as long as the header says.
//! - `slow`: a share of the requests take seconds. The bare client waits for them; the
//!   resilient one gives each attempt 300 ms and tries again.
//! - `down`: the listener is closed, so connections are refused. The breaker opens, and calls
//!   fail at once instead of piling onto a service that is not there; its trial calls find
//!   out when it is back.
//! - `healthy` again.

use std::{
    fmt,
    net::SocketAddr,
    process::ExitCode,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header::RETRY_AFTER},
    response::{IntoResponse, Response},
    routing::get,
};
use resilience::{Reason, RetryAfter, RetryPolicy, breakers, classify, retry};
use tokio::{
    net::TcpListener,
    sync::oneshot,
    task::JoinSet,
    time::{Instant, MissedTickBehavior},
};

// ---------------------------------------------------------------------------------------------
// The settings, from the command line.

const HELP: &str = "\
flaky_service: a flaky HTTP service on loopback, called bare and then with
#[retry], #[circuit_breaker] and #[timeout].

USAGE:
    cargo run --example flaky_service -- [FLAGS]

FLAGS:
    --callers N         concurrent callers [default: 8]
    --interval MS       each caller starts a request every MS milliseconds, whether or not
                        its previous one has finished [default: 25]
    --schedule LIST     the service's phases, as name:seconds pairs separated by commas
                        [default: healthy:1,flaky:2,overloaded:2,slow:2,down:3,healthy:1]
                        names: healthy, flaky, overloaded, slow, down
    --error-rate F      share of requests that fail with 500 while flaky [default: 0.3]
    --rate-limit N      requests per second served while overloaded; the rest get 429 with
                        Retry-After: 1 [default: 100]
    --slow-rate F       share of requests that are slow while slow [default: 0.3]
    --slow-ms MS        how long a slow request takes, in ms [default: 2000]
    --quick             a short schedule for CI: healthy:0.5,flaky:1,overloaded:1.5,slow:1,down:1.5,healthy:0.5
    -h, --help          print this help
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Healthy,
    Flaky,
    Overloaded,
    Slow,
    Down,
}

impl Phase {
    fn parse(name: &str) -> Option<Phase> {
        Some(match name {
            "healthy" => Phase::Healthy,
            "flaky" => Phase::Flaky,
            "overloaded" => Phase::Overloaded,
            "slow" => Phase::Slow,
            "down" => Phase::Down,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Phase::Healthy => "healthy",
            Phase::Flaky => "flaky",
            Phase::Overloaded => "overloaded",
            Phase::Slow => "slow",
            Phase::Down => "down",
        }
    }
}

#[derive(Debug, Clone)]
struct Settings {
    callers: usize,
    interval: Duration,
    schedule: Vec<(Phase, Duration)>,
    error_rate: f64,
    rate_limit: u64,
    slow_rate: f64,
    slow: Duration,
}

impl Settings {
    /// Parses `std::env::args`; `Ok(None)` means `--help` was asked for.
    fn from_args() -> Result<Option<Settings>, String> {
        let mut settings = Settings {
            callers: 8,
            interval: Duration::from_millis(25),
            schedule: parse_schedule("healthy:1,flaky:2,overloaded:2,slow:2,down:3,healthy:1")?,
            error_rate: 0.3,
            rate_limit: 100,
            slow_rate: 0.3,
            slow: Duration::from_millis(2000),
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "-h" | "--help" => return Ok(None),
                "--quick" => {
                    settings.schedule = parse_schedule(
                        "healthy:0.5,flaky:1,overloaded:1.5,slow:1,down:1.5,healthy:0.5",
                    )?;
                }
                "--callers" => settings.callers = parse_number(&flag, &value()?)?,
                "--interval" => {
                    settings.interval = Duration::from_millis(parse_number(&flag, &value()?)?)
                }
                "--schedule" => settings.schedule = parse_schedule(&value()?)?,
                "--error-rate" => settings.error_rate = parse_fraction(&flag, &value()?)?,
                "--rate-limit" => settings.rate_limit = parse_number(&flag, &value()?)?,
                "--slow-rate" => settings.slow_rate = parse_fraction(&flag, &value()?)?,
                "--slow-ms" => {
                    settings.slow = Duration::from_millis(parse_number(&flag, &value()?)?)
                }
                other => return Err(format!("unknown flag `{other}`; try --help")),
            }
        }
        if settings.callers == 0 || settings.interval.is_zero() {
            return Err("--callers and --interval must be at least 1".into());
        }
        Ok(Some(settings))
    }

    fn run_time(&self) -> Duration {
        self.schedule.iter().map(|(_, length)| *length).sum()
    }

    /// The phase at `elapsed` into a run, and its index in the schedule.
    fn phase_at(&self, elapsed: Duration) -> (usize, Phase) {
        let mut end = Duration::ZERO;
        for (index, (phase, length)) in self.schedule.iter().enumerate() {
            end += *length;
            if elapsed < end {
                return (index, *phase);
            }
        }
        let last = self.schedule.len() - 1;
        (last, self.schedule[last].0)
    }
}

fn parse_schedule(list: &str) -> Result<Vec<(Phase, Duration)>, String> {
    let schedule = list
        .split(',')
        .map(|item| {
            let (name, seconds) = item
                .split_once(':')
                .ok_or_else(|| format!("`{item}` in --schedule is not name:seconds"))?;
            let phase = Phase::parse(name.trim())
                .ok_or_else(|| format!("unknown phase `{name}` in --schedule"))?;
            let seconds: f64 = seconds
                .trim()
                .parse()
                .map_err(|_| format!("`{seconds}` in --schedule is not a number of seconds"))?;
            let length = Duration::try_from_secs_f64(seconds)
                .map_err(|_| format!("`{seconds}` in --schedule is not a length of time"))?;
            Ok((phase, length))
        })
        .collect::<Result<Vec<_>, String>>()?;
    if schedule.is_empty() {
        return Err("--schedule needs at least one phase".into());
    }
    Ok(schedule)
}

fn parse_number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag} takes a whole number, not `{value}`"))
}

fn parse_fraction(flag: &str, value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!(
            "{flag} takes a number between 0 and 1, not `{value}`"
        )),
    }
}

const NOTES: &str = "\
How to read it:
- #[retry] turns transient failures (500, 429, refused connections) into successes, at the
  cost of extra attempts; it waits as long as a 429's Retry-After asks. Without a budget
  (\"retry, no budget\") every request that fails is retried up to 4 times, and the service
  absorbs most while it struggles; the retry budget (on by default) keeps the retries to
  about a fifth of the requests.
- Without a breaker, a request to a service that is down spends its whole retry budget before
  failing; with one, it fails at once, and a trial call every 500 ms finds out when the
  service is back. #[retry] alone may succeed a little more often, when a request's later
  attempts land after the service is back: it pays with several attempts per request and
  slow failures.
- #[timeout] bounds each attempt, so a slow response is retried rather than waited for; the
  service still finishes the abandoned one, so it absorbs more calls.
- \"recommended\" is README's stack for overload: budgeted retries over a breaker that
  throttles adaptively (it sheds calls locally once fewer than half succeed, 429s included),
  opens only when nearly every call fails, and looks for the recovery every 50 ms.";

// ---------------------------------------------------------------------------------------------
// The service.

/// What the service knows: the schedule, where the current run started, and its counters.
struct Service {
    settings: Settings,
    run_start: Mutex<Instant>,
    /// Requests received in the current run, and those received while not healthy.
    received: AtomicU64,
    received_struggling: AtomicU64,
    /// Numbers each request, to decide which ones fail (reproducibly, without a random source).
    sequence: AtomicU64,
    /// `(second, requests served in it)`, for the rate limit while overloaded.
    budget: Mutex<(u64, u64)>,
}

impl Service {
    fn elapsed(&self) -> Duration {
        lock(&self.run_start).elapsed()
    }

    /// Whether request number `n` falls in a share `rate` of the requests, spread evenly.
    fn picked(n: u64, rate: f64) -> bool {
        // SplitMix64: a well-mixed hash of the sequence number, as a fraction in [0, 1).
        let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 / (1u64 << 53) as f64) < rate
    }

    /// Whether the rate limit lets this request through.
    fn within_budget(&self) -> bool {
        let second = self.elapsed().as_secs();
        let mut budget = lock(&self.budget);
        if budget.0 != second {
            *budget = (second, 0);
        }
        budget.1 += 1;
        budget.1 <= self.settings.rate_limit
    }
}

async fn handle(State(service): State<Arc<Service>>) -> Response {
    let n = service.sequence.fetch_add(1, Relaxed);
    let (_, phase) = service.settings.phase_at(service.elapsed());
    service.received.fetch_add(1, Relaxed);
    if phase != Phase::Healthy {
        service.received_struggling.fetch_add(1, Relaxed);
    }
    // A little work, as a real handler would do.
    tokio::time::sleep(Duration::from_millis(2)).await;
    match phase {
        Phase::Flaky if Service::picked(n, service.settings.error_rate) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "something broke").into_response()
        }
        Phase::Overloaded if !service.within_budget() => (
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, "1")],
            "slow down",
        )
            .into_response(),
        Phase::Slow if Service::picked(n, service.settings.slow_rate) => {
            tokio::time::sleep(service.settings.slow).await;
            "finally".into_response()
        }
        // A request that arrived on a connection still open as the service went down.
        Phase::Down => (StatusCode::SERVICE_UNAVAILABLE, "going away").into_response(),
        _ => "ok".into_response(),
    }
}

/// The listening side, which the schedule takes down and brings back on the same address.
struct Listener {
    addr: SocketAddr,
    service: Arc<Service>,
    stop: Option<oneshot::Sender<()>>,
}

impl Listener {
    async fn start(addr: SocketAddr, service: Arc<Service>) -> Listener {
        let mut listener = Listener {
            addr,
            service,
            stop: None,
        };
        listener.up().await;
        listener
    }

    async fn up(&mut self) {
        if self.stop.is_some() {
            return;
        }
        let socket = TcpListener::bind(self.addr)
            .await
            .expect("bind the service's loopback address");
        self.addr = socket.local_addr().expect("read the bound address");
        let app = Router::new()
            .route("/quote", get(handle))
            .with_state(Arc::clone(&self.service));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            // On the signal the listener is closed at once (new connections are refused);
            // requests in flight finish, then their connections close.
            let served = axum::serve(socket, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = served {
                eprintln!("service error: {error}");
            }
        });
        self.stop = Some(stop);
    }

    fn down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The client.

/// Every way a call can fail, as the caller sees it.
#[derive(Debug)]
enum CallError {
    /// The service answered with an error status.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No answer: connection refused or reset, a broken response.
    Transport(reqwest::Error),
    /// A `#[timeout]` cut the call, or an open breaker refused it.
    Resilience(resilience::Error),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Status { status, .. } => write!(f, "HTTP {status}"),
            CallError::Transport(error) => write!(f, "transport: {error}"),
            CallError::Resilience(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for CallError {}

/// What `#[circuit_breaker]` and `#[timeout]` need: a way to carry their own errors.
impl From<resilience::Error> for CallError {
    fn from(error: resilience::Error) -> Self {
        CallError::Resilience(error)
    }
}

/// A 429 or 503 that says how long to wait: `#[retry]` sleeps that long (capped at its
/// `max_delay`) instead of its own schedule.
impl RetryAfter for CallError {
    fn retry_after(&self) -> Option<Duration> {
        match self {
            CallError::Status {
                status: 429 | 503,
                retry_after,
            } => *retry_after,
            _ => None,
        }
    }
}

/// Worth another attempt: retryable statuses, transport errors and timeouts. Not an open
/// breaker: it would refuse the next attempt too, and failing fast is the point of it.
fn is_transient(error: &CallError) -> bool {
    match error {
        CallError::Status { status, .. } => classify::is_retryable_status(*status),
        CallError::Transport(_) => true,
        CallError::Resilience(error) => error.is_timeout(),
    }
}

/// What the breaker counts against the service: server errors, no answer, timeouts. A 429 is
/// the service protecting itself, working as designed: it does not count.
fn is_service_failure(error: &CallError) -> bool {
    match error {
        CallError::Status { status, .. } => *status >= 500,
        CallError::Transport(_) => true,
        CallError::Resilience(error) => error.is_timeout(),
    }
}

/// Attempts that went out on the network, from either client.
static ATTEMPTS: AtomicU64 = AtomicU64::new(0);

/// One GET, no protection at all: no timeout either, as with many clients' defaults.
async fn get_quote(client: &reqwest::Client, url: &str) -> Result<String, CallError> {
    ATTEMPTS.fetch_add(1, Relaxed);
    let response = client.get(url).send().await.map_err(CallError::Transport)?;
    let status = response.status();
    if !status.is_success() {
        // Retry-After in seconds; the HTTP-date form is not used by this service.
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(resilience::classify::retry_after_seconds);
        return Err(CallError::Status {
            status: status.as_u16(),
            retry_after,
        });
    }
    response.text().await.map_err(CallError::Transport)
}

/// What adaptive throttling counts as refused: everything `is_service_failure` counts, and
/// the service's 429s, since a throttle is about the calls the service does not accept.
fn is_refused(error: &CallError) -> bool {
    matches!(error, CallError::Status { status: 429, .. }) || is_service_failure(error)
}

/// The schedule of every retrying client below: up to 4 attempts within 3 s, from 50 ms,
/// doubling up to 1.5 s, with full jitter.
const QUOTE_RETRIES: RetryPolicy = RetryPolicy::new()
    .with_max_attempts(4)
    .with_initial_delay(Duration::from_millis(50))
    .with_max_delay(Duration::from_millis(1500))
    .with_max_elapsed(Duration::from_secs(3));

/// The same GET under `#[retry]` alone, as retries were before budgets: every attempt the
/// policy allows.
#[retry(policy = QUOTE_RETRIES, when = is_transient, budget = none)]
async fn get_quote_retrying_unbudgeted(
    client: &reqwest::Client,
    url: &str,
) -> Result<String, CallError> {
    get_quote(client, url).await
}

/// The same GET under `#[retry]` alone, for comparison: the same schedule as below, without
/// a breaker or a timeout, its retries drawn from the site's own budget.
#[retry(policy = QUOTE_RETRIES, when = is_transient)]
async fn get_quote_retrying(client: &reqwest::Client, url: &str) -> Result<String, CallError> {
    get_quote(client, url).await
}

/// README's recommended stack for a dependency that can be overloaded or go down: budgeted
/// retries; a breaker that throttles adaptively (`adaptive = 2.0`), opens only when nearly
/// every call fails, and looks for the recovery every 50 ms with a few trials at once; each
/// attempt bounded.
#[retry(policy = QUOTE_RETRIES, when = is_transient)]
#[resilience::circuit_breaker(
    name = "quotes.recommended",
    adaptive = 2.0,
    failure_rate = 0.9,
    recovery_timeout = "50ms",
    half_open_max_calls = 10,
    max_trial_wait = "300ms",
    when = is_refused
)]
#[resilience::timeout("300ms")]
async fn get_quote_recommended(client: &reqwest::Client, url: &str) -> Result<String, CallError> {
    get_quote(client, url).await
}

/// The same GET, made resilient. Top to bottom, outermost first:
///
/// - retry transient failures up to 4 attempts, within 3 s, honouring `Retry-After`;
/// - each attempt passes through the `quotes` breaker, which opens after 10 failures in a row
///   (rare while the service merely struggles, at once when it is down) and lets a trial call
///   through every 500 ms;
/// - each attempt gets 300 ms.
#[retry(policy = QUOTE_RETRIES, when = is_transient)]
#[resilience::circuit_breaker(
    name = "quotes",
    failure_threshold = 10,
    recovery_timeout = "500ms",
    when = is_service_failure
)]
#[resilience::timeout("300ms")]
async fn get_quote_resilient(client: &reqwest::Client, url: &str) -> Result<String, CallError> {
    get_quote(client, url).await
}

// ---------------------------------------------------------------------------------------------
// The runs.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Bare,
    RetryUnbudgeted,
    RetryOnly,
    Resilient,
    Recommended,
}

/// One request as a caller saw it.
struct Sample {
    phase: usize,
    latency: Duration,
    ok: bool,
    rejected: bool,
}

/// What a run measured.
struct Report {
    requests: usize,
    succeeded: usize,
    attempts: u64,
    received: u64,
    received_struggling: u64,
    rejected: usize,
    fail_when_down: Option<Duration>,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

async fn run(mode: Mode, service: &Arc<Service>, listener: &mut Listener) -> Report {
    let settings = &service.settings;
    let url = format!("http://{}/quote", listener.addr);
    let client = reqwest::Client::new();
    ATTEMPTS.store(0, Relaxed);
    service.received.store(0, Relaxed);
    service.received_struggling.store(0, Relaxed);
    let start = Instant::now();
    *lock(&service.run_start) = start;
    let run_time = settings.run_time();

    // Progress: one line per phase, as it ends.
    let started: Arc<Vec<AtomicUsize>> = Arc::new(
        settings
            .schedule
            .iter()
            .map(|_| AtomicUsize::new(0))
            .collect(),
    );
    let in_phase: Arc<Vec<(AtomicUsize, AtomicUsize)>> = Arc::new(
        (0..settings.schedule.len())
            .map(|_| (AtomicUsize::new(0), AtomicUsize::new(0)))
            .collect(),
    );

    // Open loop: each caller starts a request every `interval`, whether or not its last one
    // has finished, as users keep arriving when a service slows down. (A caller that waited
    // would send less while the service struggles, and hide the slow calls from the
    // percentiles.)
    let callers: Vec<_> = (0..settings.callers)
        .map(|caller| {
            let client = client.clone();
            let url = url.clone();
            let service = Arc::clone(service);
            let in_phase = Arc::clone(&in_phase);
            let started = Arc::clone(&started);
            let interval = service.settings.interval;
            // Spread the callers' ticks over the interval.
            let offset = interval * caller as u32 / service.settings.callers as u32;
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval_at(start + offset, interval);
                ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
                let mut requests = JoinSet::new();
                loop {
                    ticks.tick().await;
                    let elapsed = start.elapsed();
                    if elapsed >= run_time {
                        break;
                    }
                    let (phase, _) = service.settings.phase_at(elapsed);
                    started[phase].fetch_add(1, Relaxed);
                    let (client, url, in_phase) =
                        (client.clone(), url.clone(), Arc::clone(&in_phase));
                    requests.spawn(async move {
                        let began = Instant::now();
                        let result = match mode {
                            Mode::Bare => get_quote(&client, &url).await,
                            Mode::RetryUnbudgeted => {
                                get_quote_retrying_unbudgeted(&client, &url).await
                            }
                            Mode::RetryOnly => get_quote_retrying(&client, &url).await,
                            Mode::Resilient => get_quote_resilient(&client, &url).await,
                            Mode::Recommended => get_quote_recommended(&client, &url).await,
                        };
                        let (ok, failed) = &in_phase[phase];
                        match &result {
                            Ok(_) => ok.fetch_add(1, Relaxed),
                            Err(_) => failed.fetch_add(1, Relaxed),
                        };
                        Sample {
                            phase,
                            latency: began.elapsed(),
                            ok: result.is_ok(),
                            rejected: matches!(
                                result,
                                Err(CallError::Resilience(ref e)) if e.is_circuit_open()
                            ),
                        }
                    });
                }
                requests.join_all().await
            })
        })
        .collect();

    // The schedule: take the listener down and bring it back, and report each phase.
    let mut phase_end = Duration::ZERO;
    for (index, (phase, length)) in settings.schedule.iter().enumerate() {
        match phase {
            Phase::Down => listener.down(),
            _ => listener.up().await,
        }
        let phase_start = phase_end;
        phase_end += *length;
        tokio::time::sleep_until(start + phase_end).await;
        let (ok, failed) = (
            in_phase[index].0.load(Relaxed),
            in_phase[index].1.load(Relaxed),
        );
        println!(
            "  {:>4.1}s-{:>4.1}s  {:<10}  {ok:>5} ok  {failed:>5} failed  {:>5} still running",
            phase_start.as_secs_f64(),
            phase_end.as_secs_f64(),
            phase.name(),
            started[index].load(Relaxed) - ok - failed,
        );
    }
    listener.up().await;

    let mut samples = Vec::new();
    for caller in callers {
        samples.extend(caller.await.expect("a caller task panicked"));
    }
    let mut latencies: Vec<Duration> = samples.iter().map(|s| s.latency).collect();
    latencies.sort_unstable();
    let mut fail_when_down: Vec<Duration> = samples
        .iter()
        .filter(|s| !s.ok && settings.schedule[s.phase].0 == Phase::Down)
        .map(|s| s.latency)
        .collect();
    fail_when_down.sort_unstable();
    Report {
        requests: samples.len(),
        succeeded: samples.iter().filter(|s| s.ok).count(),
        attempts: ATTEMPTS.load(Relaxed),
        received: service.received.load(Relaxed),
        received_struggling: service.received_struggling.load(Relaxed),
        rejected: samples.iter().filter(|s| s.rejected).count(),
        fail_when_down: percentile(&fail_when_down, 0.5),
        p50: percentile(&latencies, 0.5).unwrap_or_default(),
        p99: percentile(&latencies, 0.99).unwrap_or_default(),
        max: latencies.last().copied().unwrap_or_default(),
    }
}

/// The `q` quantile of sorted samples (nearest rank).
fn percentile(sorted: &[Duration], q: f64) -> Option<Duration> {
    let last = sorted.len().checked_sub(1)?;
    let rank = ((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1);
    Some(sorted[rank.min(last)])
}

fn print_table(columns: &[(&str, Report)]) {
    fn share(part: usize, whole: usize) -> String {
        if whole == 0 {
            return format!("{part}");
        }
        format!("{part} ({:.0}%)", part as f64 * 100.0 / whole as f64)
    }
    fn time(d: Option<Duration>) -> String {
        match d {
            None => "-".into(),
            Some(d) if d < Duration::from_millis(1) => format!("{}µs", d.as_micros()),
            Some(d) if d < Duration::from_secs(1) => format!("{}ms", d.as_millis()),
            Some(d) => format!("{:.2}s", d.as_secs_f64()),
        }
    }
    type Row = (&'static str, fn(&Report) -> String);
    let rows: [Row; 10] = [
        ("requests made", |r| r.requests.to_string()),
        ("  succeeded", |r| share(r.succeeded, r.requests)),
        ("attempts sent", |r| r.attempts.to_string()),
        ("calls the service absorbed", |r| r.received.to_string()),
        ("  while struggling", |r| r.received_struggling.to_string()),
        ("refused at once by the breaker", |r| r.rejected.to_string()),
        ("time to fail while down (p50)", |r| time(r.fail_when_down)),
        ("latency p50", |r| time(Some(r.p50))),
        ("latency p99", |r| time(Some(r.p99))),
        ("latency max", |r| time(Some(r.max))),
    ];
    println!();
    print!("{:<32}", "");
    for (name, _) in columns {
        print!("{name:>14}");
    }
    println!();
    for (label, cell) in rows {
        print!("{label:<32}");
        for (_, report) in columns {
            print!("{:>14}", cell(report));
        }
        println!();
    }
    println!("\n{NOTES}");
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::from_args() {
        Ok(Some(settings)) => settings,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };

    let service = Arc::new(Service {
        settings: settings.clone(),
        run_start: Mutex::new(Instant::now()),
        received: AtomicU64::new(0),
        received_struggling: AtomicU64::new(0),
        sequence: AtomicU64::new(0),
        budget: Mutex::new((0, 0)),
    });
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut listener = Listener::start(loopback, Arc::clone(&service)).await;

    // Print the breaker's state changes as they happen, timed from the start of the run.
    let run_start = Arc::clone(&service);
    breakers::on_state_change(move |change| {
        // The recommended breaker looks for the recovery every 50 ms while the service is
        // down: only its openings and closings are printed.
        let probing = matches!(
            change.reason,
            Reason::RecoveryTimeoutElapsed | Reason::TrialFailed
        );
        if &*change.breaker == "quotes.recommended" && probing {
            return;
        }
        let at = change
            .at
            .saturating_duration_since(*lock(&run_start.run_start));
        println!("  {:>4.1}s      {change}", at.as_secs_f64());
    });

    let schedule: Vec<String> = settings
        .schedule
        .iter()
        .map(|(phase, length)| format!("{} {:.1}s", phase.name(), length.as_secs_f64()))
        .collect();
    println!(
        "service on http://{}/quote: {}",
        listener.addr,
        schedule.join(", ")
    );
    println!(
        "{} callers, each starting a request every {} ms\n",
        settings.callers,
        settings.interval.as_millis()
    );

    println!("bare: no retry, no breaker, no timeout");
    let bare = run(Mode::Bare, &service, &mut listener).await;
    println!("\nretry, no budget: #[retry(budget = none)] alone");
    let unbudgeted = run(Mode::RetryUnbudgeted, &service, &mut listener).await;
    println!("\nretry: #[retry] alone, with its retry budget");
    let retry_only = run(Mode::RetryOnly, &service, &mut listener).await;
    println!("\nresilient: #[retry] > #[circuit_breaker] > #[timeout]");
    let resilient = run(Mode::Resilient, &service, &mut listener).await;
    println!("\nrecommended: #[retry] > #[circuit_breaker(adaptive = 2.0, ..)] > #[timeout]");
    let recommended = run(Mode::Recommended, &service, &mut listener).await;

    print_table(&[
        ("bare", bare),
        ("no budget", unbudgeted),
        ("retry", retry_only),
        ("resilient", resilient),
        ("recommended", recommended),
    ]);
    ExitCode::SUCCESS
}
