//! Why jitter: the comparison of the AWS Architecture Blog's "Exponential Backoff And Jitter",
//! reproduced with this crate's own retry engine.
//!
//! N clients each make one write to a shared record under optimistic concurrency: an attempt
//! reads the record's version, works for a while, then commits only if the version has not
//! changed meanwhile; otherwise it fails and is retried under a [`RetryPolicy`] with
//! exponential backoff and no jitter, full, equal or decorrelated jitter. The clients run as
//! tokio tasks under [`RetryPolicy::call_async`] on a paused clock, so the schedules are the
//! real engine's and virtual minutes pass in milliseconds. The table and an SVG chart show the
//! total calls and the time until every client is done, per strategy.
//!
//! Run it with `cargo run --example jitter`, or
//! `cargo run --example jitter -- --clients 5,10,25 --trials 2` for a quick look;
//! `-- --help` lists the flags.

use std::{cell::Cell, fmt::Write as _, path::PathBuf, process::ExitCode, rc::Rc, time::Duration};

use resilience::{Jitter, RetryPolicy};
use tokio::time::Instant;

const HELP: &str = "\
jitter: exponential backoff with and without jitter, for N clients contending on one record.

USAGE:
    cargo run --example jitter -- [FLAGS]

FLAGS:
    --clients LIST   numbers of competing clients, comma-separated
                     [default: 5,10,20,30,40,50,60,70,80,90,100]
    --trials N       runs per point, averaged [default: 5]
    --work MS        how long an attempt holds its read before it commits [default: 10]
    --base MS        the backoff's initial delay [default: 10]
    --cap MS         the cap on any one delay [default: 2000]
    --out PATH       where to write the SVG chart [default: <temp dir>/resilience-jitter.svg]
    -h, --help       print this help
";

const STRATEGIES: [(&str, Jitter, &str); 4] = [
    ("no jitter", Jitter::None, "#d62728"),
    ("full", Jitter::Full, "#2ca02c"),
    ("equal", Jitter::Equal, "#1f77b4"),
    ("decorrelated", Jitter::Decorrelated, "#9467bd"),
];

struct Settings {
    clients: Vec<u32>,
    trials: u32,
    work: Duration,
    base: Duration,
    cap: Duration,
    out: PathBuf,
}

/// One simulation: `clients` tasks racing to commit once each. Returns the total attempts
/// and the virtual time until the last one committed.
fn simulate(settings: &Settings, clients: u32, jitter: Jitter, seed: u64) -> (u64, Duration) {
    // A paused clock: when every task is asleep, time jumps to the next timer.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("build a tokio runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let version = Rc::new(Cell::new(0u64));
        let calls = Rc::new(Cell::new(0u64));
        let start = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|client| {
                let policy = RetryPolicy::new()
                    .with_max_attempts(u32::MAX)
                    .with_initial_delay(settings.base)
                    .with_max_delay(settings.cap)
                    .with_jitter(jitter)
                    // One seed per client: reproducible, yet each client draws its own delays.
                    .with_seed(seed.wrapping_mul(1_000_003).wrapping_add(u64::from(client)));
                let (version, calls, work) =
                    (Rc::clone(&version), Rc::clone(&calls), settings.work);
                tokio::task::spawn_local(async move {
                    // The study measures contention alone: without a retry budget, which
                    // would end a client's call once its retries outgrew the budget (and
                    // the default one is shared by every unnamed call of the process).
                    let committed: Result<(), ()> = policy
                        .retrying()
                        .without_budget()
                        .call_async(|| {
                            let (version, calls) = (Rc::clone(&version), Rc::clone(&calls));
                            async move {
                                calls.set(calls.get() + 1);
                                let read = version.get();
                                tokio::time::sleep(work).await;
                                // Commit only if nobody else committed since the read.
                                if version.get() == read {
                                    version.set(read + 1);
                                    Ok(())
                                } else {
                                    Err(())
                                }
                            }
                        })
                        .await;
                    committed.expect("unbounded attempts end in a commit");
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a client task panicked");
        }
        (calls.get(), start.elapsed())
    })
}

/// One point: average total calls and average completion time.
type Point = (f64, Duration);

/// A chart panel: its title and the value it plots.
type Panel = (&'static str, fn(&Point) -> f64);

/// Averages per strategy (rows) and client count (columns).
type Results = Vec<Vec<Point>>;

fn run(settings: &Settings) -> Results {
    STRATEGIES
        .iter()
        .map(|&(_, jitter, _)| {
            settings
                .clients
                .iter()
                .map(|&clients| {
                    let (mut calls, mut time) = (0u64, Duration::ZERO);
                    for trial in 0..settings.trials {
                        let (c, t) = simulate(settings, clients, jitter, u64::from(trial));
                        calls += c;
                        time += t;
                    }
                    (
                        calls as f64 / f64::from(settings.trials),
                        time / settings.trials,
                    )
                })
                .collect()
        })
        .collect()
}

fn print_table(settings: &Settings, results: &Results) {
    print!("{:>8}", "clients");
    for (name, ..) in STRATEGIES {
        print!("  {:>21}", name);
    }
    println!();
    print!("{:>8}", "");
    for _ in STRATEGIES {
        print!("  {:>8} {:>12}", "calls", "done after");
    }
    println!();
    for (column, clients) in settings.clients.iter().enumerate() {
        print!("{clients:>8}");
        for row in results {
            let (calls, time) = row[column];
            print!("  {calls:>8.0} {:>11.2}s", time.as_secs_f64());
        }
        println!();
    }
}

/// Two line charts side by side, total calls and completion time against clients: plain SVG.
fn svg(settings: &Settings, results: &Results) -> String {
    const PANEL_W: f64 = 420.0;
    const PANEL_H: f64 = 300.0;
    const MARGIN: f64 = 60.0;
    let width = 2.0 * (PANEL_W + MARGIN) + MARGIN;
    let height = PANEL_H + 2.0 * MARGIN + 30.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let x_max = f64::from(*settings.clients.iter().max().unwrap_or(&1));
    let panels: [Panel; 2] = [
        ("total calls", |&(calls, _)| calls),
        ("completion time (s)", |&(_, time)| time.as_secs_f64()),
    ];
    for (p, (title, value)) in panels.iter().enumerate() {
        let left = MARGIN + p as f64 * (PANEL_W + MARGIN);
        let top = MARGIN;
        let y_max = results
            .iter()
            .flatten()
            .map(value)
            .fold(0.0_f64, f64::max)
            .max(1e-9);
        let x = |v: f64| left + v / x_max * PANEL_W;
        let y = |v: f64| top + PANEL_H - v / y_max * PANEL_H;
        // Axes, ticks and labels.
        let _ = writeln!(
            out,
            r#"<path d="M{left},{top} V{} H{}" fill="none" stroke="black"/>"#,
            top + PANEL_H,
            left + PANEL_W
        );
        for i in 0..=4 {
            let v = y_max * f64::from(i) / 4.0;
            let label = if v >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            };
            let _ = writeln!(
                out,
                r##"<line x1="{left}" x2="{}" y1="{y}" y2="{y}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end">{label}</text>"##,
                left + PANEL_W,
                left - 6.0,
                y(v) + 4.0,
                y = y(v),
            );
        }
        for &clients in &settings.clients {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle">{clients}</text>"#,
                x(f64::from(clients)),
                top + PANEL_H + 18.0
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle" font-size="14">{title}</text><text x="{}" y="{}" text-anchor="middle">clients</text>"#,
            left + PANEL_W / 2.0,
            top - 20.0,
            left + PANEL_W / 2.0,
            top + PANEL_H + 38.0
        );
        // One line per strategy.
        for (row, (_, _, colour)) in results.iter().zip(STRATEGIES) {
            let points: Vec<String> = row
                .iter()
                .zip(&settings.clients)
                .map(|(point, &clients)| {
                    format!("{:.1},{:.1}", x(f64::from(clients)), y(value(point)))
                })
                .collect();
            let _ = writeln!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                points.join(" ")
            );
        }
    }
    // The legend.
    for (i, (name, _, colour)) in STRATEGIES.iter().enumerate() {
        let lx = MARGIN + i as f64 * 160.0;
        let ly = height - 16.0;
        let _ = writeln!(
            out,
            r#"<line x1="{lx}" x2="{}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="3"/><text x="{}" y="{}">{name}</text>"#,
            lx + 24.0,
            lx + 30.0,
            ly + 4.0
        );
    }
    out.push_str("</svg>\n");
    out
}

fn parse_args() -> Result<Option<Settings>, String> {
    let mut settings = Settings {
        clients: vec![5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
        trials: 5,
        work: Duration::from_millis(10),
        base: Duration::from_millis(10),
        cap: Duration::from_millis(2000),
        out: std::env::temp_dir().join("resilience-jitter.svg"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |value: &str| {
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{flag} takes whole numbers above 0, not `{value}`"))
        };
        let millis = |value: &str| number(value).map(|n| Duration::from_millis(n.into()));
        match flag.as_str() {
            "--clients" => {
                settings.clients = value.split(',').map(number).collect::<Result<_, _>>()?;
            }
            "--trials" => settings.trials = number(&value)?,
            "--work" => settings.work = millis(&value)?,
            "--base" => settings.base = millis(&value)?,
            "--cap" => settings.cap = millis(&value)?,
            "--out" => settings.out = PathBuf::from(value),
            other => return Err(format!("unknown flag `{other}`; try --help")),
        }
    }
    Ok(Some(settings))
}

fn main() -> ExitCode {
    let settings = match parse_args() {
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
    println!(
        "each attempt holds its read {:?}; exponential backoff from {:?}, capped at {:?}; \
         {} trial(s) per point\n",
        settings.work, settings.base, settings.cap, settings.trials
    );
    let results = run(&settings);
    print_table(&settings, &results);
    match std::fs::write(&settings.out, svg(&settings, &results)) {
        Ok(()) => {
            println!("\nchart: {}", settings.out.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("could not write {}: {error}", settings.out.display());
            ExitCode::FAILURE
        }
    }
}
