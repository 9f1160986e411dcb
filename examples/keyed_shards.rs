//! Four shards of a store, each a small server on loopback, called through one keyed
//! breaker: `#[circuit_breaker(name = "shards", key = shard)]` gives each shard a breaker
//! of its own. One shard is down: its breaker opens after three failures and rejects its
//! calls at once, while the calls to the three healthy shards keep succeeding. Then the
//! shard comes back, and after its recovery timeout a trial call closes its breaker.
//!
//! Run it with `cargo run --example keyed_shards` (under a second).

use std::{io, net::SocketAddr, process::ExitCode, time::Duration};

use resilience::{Error, State, breakers, circuit_breaker, timeout};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// A shard: answers each connection with the shard's name.
async fn serve(listener: TcpListener, name: String) {
    while let Ok((mut stream, _)) = listener.accept().await {
        let name = name.clone();
        tokio::spawn(async move {
            let _ = stream.write_all(name.as_bytes()).await;
        });
    }
}

async fn start(addr: SocketAddr, name: &str) -> io::Result<JoinHandle<()>> {
    let listener = TcpListener::bind(addr).await?;
    Ok(tokio::spawn(serve(listener, name.to_string())))
}

/// One read from a shard, through the breaker of its address.
#[circuit_breaker(name = "shards", key = shard, failure_threshold = 3, recovery_timeout = "200ms")]
#[timeout("500ms")]
async fn read(shard: SocketAddr) -> io::Result<String> {
    let mut stream = TcpStream::connect(shard).await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    Ok(answer)
}

#[derive(Default, Clone, Copy)]
struct Tally {
    ok: u32,
    failed: u32,
    rejected: u32,
}

async fn round(shards: &[SocketAddr], tallies: &mut [Tally]) {
    for (shard, tally) in shards.iter().zip(tallies.iter_mut()) {
        match read(*shard).await {
            Ok(_) => tally.ok += 1,
            // The breaker's rejection, carried in the `io::Error`.
            Err(e)
                if e.get_ref()
                    .and_then(|e| e.downcast_ref::<Error>())
                    .is_some_and(Error::is_circuit_open) =>
            {
                tally.rejected += 1
            }
            Err(_) => tally.failed += 1,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Four shards on loopback; the last one is stopped at once: its port refuses connections.
    let mut shards = Vec::new();
    let mut servers = Vec::new();
    for n in 0..4 {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind on loopback");
        shards.push(listener.local_addr().unwrap());
        servers.push(tokio::spawn(serve(listener, format!("shard-{n}"))));
    }
    let dead = shards[3];
    servers.pop().unwrap().abort();
    tokio::time::sleep(Duration::from_millis(20)).await;

    let mut tallies = vec![Tally::default(); shards.len()];
    for _ in 0..10 {
        round(&shards, &mut tallies).await;
    }
    println!("10 rounds over 4 shards, shard-3 down:");
    println!("  shard    ok  failed  rejected  breaker");
    let family = breakers::keyed("shards").expect("made by the first call");
    for (n, (shard, t)) in shards.iter().zip(&tallies).enumerate() {
        let state = family.get(shard).map(|b| b.state());
        println!(
            "  shard-{n}  {:>2}  {:>6}  {:>8}  {}",
            t.ok,
            t.failed,
            t.rejected,
            state.map_or("-".into(), |s| s.to_string())
        );
    }
    let healthy_ok = tallies[..3]
        .iter()
        .all(|t| (t.ok, t.failed, t.rejected) == (10, 0, 0));
    let dead_rejected = (tallies[3].ok, tallies[3].failed, tallies[3].rejected) == (0, 3, 7);
    let stats = family.stats();
    println!(
        "  family: {} keys, {} closed, {} open",
        stats.keys, stats.closed, stats.open
    );

    // The shard comes back; after the recovery timeout its next call is a trial.
    let _restarted = start(dead, "shard-3").await.expect("rebind shard-3's port");
    tokio::time::sleep(Duration::from_millis(250)).await;
    let recovered =
        read(dead).await.is_ok() && family.get(&dead).map(|b| b.state()) == Some(State::Closed);
    println!("shard-3 back: its trial call closed its breaker: {recovered}");

    if healthy_ok && dead_rejected && recovered {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "unexpected: the healthy shards must all succeed, the dead one fail 3 times then be rejected"
        );
        ExitCode::FAILURE
    }
}
