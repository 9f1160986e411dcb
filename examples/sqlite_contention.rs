//! A sync `#[retry]` against a real embedded database under lock contention: several threads
//! write to one SQLite file with `busy_timeout` 0, so a writer that finds the database locked
//! gets `SQLITE_BUSY` ("database is locked") at once. That error is transient and worth
//! retrying; a constraint violation is not, and `#[retry(when = is_locked)]` tells them apart.
//!
//! Run it with `cargo run --example sqlite_contention`, or
//! `cargo run --example sqlite_contention -- --threads 8 --writes 500`; `-- --help` lists the
//! flags.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    sync::atomic::{AtomicU64, Ordering::Relaxed},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use resilience::retry;
use rusqlite::{Connection, ErrorCode, TransactionBehavior, params};

const HELP: &str = "\
sqlite_contention: several threads writing to one SQLite file, without and with #[retry].

USAGE:
    cargo run --example sqlite_contention -- [FLAGS]

FLAGS:
    --threads N     writer threads [default: 4]
    --writes N      transfers each thread records [default: 200]
    --duplicate N   every Nth transfer reuses an earlier reference, which the UNIQUE
                    constraint rejects (0: never, else at least 2)
                    [default: 10]
    -h, --help      print this help
";

/// `SQLITE_BUSY` and `SQLITE_LOCKED`: another connection holds the lock; try again shortly.
/// Everything else (a constraint violation, a syntax error, a full disk) is returned at once.
fn is_locked(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// Retries taken because the database was locked, across all threads.
static RETRIES: AtomicU64 = AtomicU64::new(0);

fn count_retry(_error: &rusqlite::Error, _attempt: u32, _delay: Duration) {
    RETRIES.fetch_add(1, Relaxed);
}

/// Records one transfer: an insert and an update of the running total, in one write
/// transaction. `BEGIN IMMEDIATE` takes the write lock up front, so a conflict shows up as
/// `SQLITE_BUSY` on the first statement rather than as a deadlock later.
fn record_transfer(conn: &mut Connection, reference: &str, amount: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO transfers (reference, amount) VALUES (?1, ?2)",
        params![reference, amount],
    )?;
    tx.execute(
        "UPDATE totals SET amount = amount + ?1, transfers = transfers + 1",
        [amount],
    )?;
    tx.commit()
}

/// The same transaction, retried while the database is locked. Short delays with full jitter
/// (the default): the lock is held for well under a millisecond, and jitter keeps the
/// waiting writers from all coming back at the same moment.
///
/// Bounded by time rather than by a count of attempts: a writer descheduled while it holds
/// the lock (a busy machine) keeps the others waiting for as long as it is off the CPU. And
/// without a retry budget: a retry budget protects a remote dependency from the load of
/// retries, while here the retries wait for a local lock, which they cannot overload; a
/// budget would turn a burst of contention into failed writes.
#[retry(
    max_attempts = 10_000,
    max_elapsed = "30s",
    initial_delay = "200us",
    max_delay = "20ms",
    budget = none,
    when = is_locked,
    on_retry = count_retry
)]
fn record_transfer_retrying(
    conn: &mut Connection,
    reference: &str,
    amount: i64,
) -> rusqlite::Result<()> {
    record_transfer(conn, reference, amount)
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    committed: u64,
    locked: u64,
    constraint: u64,
    other: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.committed += other.committed;
        self.locked += other.locked;
        self.constraint += other.constraint;
        self.other += other.other;
    }
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // rusqlite waits up to 5 s for a lock by default; 0 makes every conflict an error, so
    // that the retry policy, not SQLite, decides how to wait.
    conn.busy_timeout(Duration::ZERO)?;
    Ok(conn)
}

/// Runs `threads` writers at once, each recording `writes` transfers, and counts outcomes.
fn contend(
    path: &Path,
    run: &str,
    threads: u64,
    writes: u64,
    duplicate: u64,
    retrying: bool,
) -> Counts {
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..threads)
            .map(|thread| {
                scope.spawn(move || {
                    let mut conn = open(path).expect("open the database from a writer thread");
                    let mut counts = Counts::default();
                    for i in 0..writes {
                        // Every `duplicate`th transfer repeats the reference of the one before:
                        // a client sending the same request twice.
                        let n = if duplicate > 0 && i > 0 && i % duplicate == 0 {
                            i - 1
                        } else {
                            i
                        };
                        let reference = format!("{run}-{thread}-{n}");
                        let result = if retrying {
                            record_transfer_retrying(&mut conn, &reference, 10)
                        } else {
                            record_transfer(&mut conn, &reference, 10)
                        };
                        match result {
                            Ok(()) => counts.committed += 1,
                            Err(error) if is_locked(&error) => counts.locked += 1,
                            Err(error)
                                if error.sqlite_error_code()
                                    == Some(ErrorCode::ConstraintViolation) =>
                            {
                                counts.constraint += 1
                            }
                            Err(error) => {
                                eprintln!("unexpected error: {error}");
                                counts.other += 1;
                            }
                        }
                    }
                    counts
                })
            })
            .collect();
        let mut total = Counts::default();
        for writer in writers {
            total += writer.join().expect("a writer thread panicked");
        }
        total
    })
}

struct Settings {
    threads: u64,
    writes: u64,
    duplicate: u64,
}

fn parse_args() -> Result<Option<Settings>, String> {
    let mut settings = Settings {
        threads: 4,
        writes: 200,
        duplicate: 10,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag} takes a whole number, not `{value}`"))?;
        match flag.as_str() {
            "--threads" => settings.threads = number.max(1),
            "--writes" => settings.writes = number,
            "--duplicate" if number == 1 => {
                return Err("--duplicate takes 0 (never) or at least 2".into());
            }
            "--duplicate" => settings.duplicate = number,
            other => return Err(format!("unknown flag `{other}`; try --help")),
        }
    }
    Ok(Some(settings))
}

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("resilience-sqlite-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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
    match run(&settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let dir = TempDir::new()?;
    let path = dir.0.join("ledger.db");
    let conn = open(&path)?;
    // WAL lets readers carry on beside the writer; writers still take turns, one at a time.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.execute_batch(
        "CREATE TABLE transfers (
             id INTEGER PRIMARY KEY,
             reference TEXT NOT NULL UNIQUE,
             amount INTEGER NOT NULL
         );
         CREATE TABLE totals (amount INTEGER NOT NULL, transfers INTEGER NOT NULL);
         INSERT INTO totals VALUES (0, 0);",
    )?;
    let Settings {
        threads,
        writes,
        duplicate,
    } = *settings;
    println!(
        "{threads} threads x {writes} transfers into {}, busy_timeout 0",
        path.display()
    );
    // Every `duplicate`th transfer after the first; none when `duplicate` is 0.
    let duplicates = writes.saturating_sub(1).checked_div(duplicate).unwrap_or(0) * threads;
    println!("{duplicates} of them repeat a reference, which the UNIQUE constraint rejects\n");

    let print = |label: &str, counts: Counts, elapsed: Duration| {
        println!("{label}");
        println!("  committed                {:>6}", counts.committed);
        println!("  failed: database locked  {:>6}", counts.locked);
        println!("  failed: constraint       {:>6}", counts.constraint);
        if counts.other > 0 {
            println!("  failed: other            {:>6}", counts.other);
        }
        println!("  took                     {:>6.0?}", elapsed);
    };

    let started = Instant::now();
    let bare = contend(&path, "bare", threads, writes, duplicate, false);
    print("without retry", bare, started.elapsed());

    let started = Instant::now();
    let retried = contend(&path, "retry", threads, writes, duplicate, true);
    print(
        "\nwith #[retry(when = is_locked)]",
        retried,
        started.elapsed(),
    );
    println!("  retries while locked     {:>6}", RETRIES.load(Relaxed));

    // The ledger agrees with what the callers were told: every committed transfer is there
    // exactly once, and constraint violations were not retried into duplicates.
    let (rows, total_count): (u64, u64) = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM transfers), transfers FROM totals",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let committed = bare.committed + retried.committed;
    println!(
        "\nthe ledger holds {rows} transfers, the running total counts {total_count}, \
         callers were told {committed}"
    );
    if rows != committed || total_count != committed {
        return Err("the ledger disagrees with the callers".into());
    }
    if retried.constraint != duplicates || retried.locked != 0 {
        return Err(
            "with retry, only the duplicates should fail (raise max_attempts if a machine is \
             much slower)"
                .into(),
        );
    }
    Ok(())
}
