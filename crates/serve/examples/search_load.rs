//! Load generator for `voc serve`: C concurrent clients, each on one keep-alive
//! connection, send a fixed mixed query set (what the search page sends: 20 hits with
//! facets) round-robin; prints p50/p90/p99/max latency and throughput, and the slowest
//! first response of a connection (`first_max`: connection set-up, kept apart from the
//! search times). With `PER_QUERY=1` it also prints p50/p99 per query of the set, to
//! see which kind of query sets the tail.
//!
//!   cargo run --release -p voc-serve --example search_load -- 127.0.0.1:8080 8 2000
//!   (address, clients, total requests; loopback only)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A product team's mix: words, phrases, speaker scope, facets of categories, regions,
/// risk, dates (absolute and relative), boolean groups, and time-sorted pages.
const QUERIES: &[&str] = &[
    "q=断网",
    "q=宽带 断网",
    "q=\"光猫指示灯一直闪红灯\"",
    "q=customer:退订 region:广东",
    "q=category:网络质量 last:4w",
    "q=category:网络质量/宽带断网 region:广东 last:4w 退订",
    "q=(断网 OR 掉线) -感谢",
    "q=channel:voice sentiment:negative&sort=time",
    "q=risk:escalation date:[2026-10-01 TO 2026-10-31]",
    "q=网速 慢 business:宽带&sort=time",
    "q=扣费 OR 乱收费&page=3",
    "q=category:资费争议 投诉",
    "q=agent:抱歉 customer:投诉",
    "q=携号转网",
    "q=channel:wechat last:30d",
    "q=销户 risk:churn",
];

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'=' | b'&' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Client {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// One GET on the kept-alive connection; returns the status.
    fn get(&mut self, addr: SocketAddr, path: &str) -> std::io::Result<u16> {
        write!(self.writer, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n")?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok(status)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(addr), Some(clients), Some(total)) = (
        args.get(1).and_then(|a| a.parse::<SocketAddr>().ok()),
        args.get(2).and_then(|a| a.parse::<usize>().ok()),
        args.get(3).and_then(|a| a.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: search_load ADDRESS CLIENTS REQUESTS   (e.g. 127.0.0.1:8080 8 2000)");
        std::process::exit(2);
    };
    if !addr.ip().is_loopback() {
        eprintln!("search_load only targets loopback addresses");
        std::process::exit(2);
    }
    let paths: Vec<String> = QUERIES
        .iter()
        .map(|q| format!("/api/search?{}&size=20&facets=1", encode(q)))
        .collect();
    // Warm-up: every query once, so the first measured ones do not pay for page faults.
    let mut warm = Client::connect(addr).expect("connect");
    for path in &paths {
        let status = warm.get(addr, path).expect("warm-up request");
        assert_eq!(status, 200, "{path}");
    }
    // Closed before the measured clients connect, so it holds no server thread.
    drop(warm);
    let per_client = total.div_ceil(clients);
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let paths = paths.clone();
            std::thread::spawn(move || {
                let mut client = Client::connect(addr).expect("connect");
                let mut times = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let query = (c * 7 + i) % paths.len();
                    let path = &paths[query];
                    let t = Instant::now();
                    let status = client.get(addr, path).expect("request");
                    times.push((query, t.elapsed()));
                    assert_eq!(status, 200, "{path}");
                }
                times
            })
        })
        .collect();
    let per_client: Vec<Vec<(usize, Duration)>> = handles
        .into_iter()
        .map(|h| h.join().expect("client thread"))
        .collect();
    let first_max = per_client
        .iter()
        .filter_map(|t| t.first().map(|(_, d)| *d))
        .max()
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let tagged: Vec<(usize, Duration)> = per_client.into_iter().flatten().collect();
    let wall = started.elapsed().as_secs_f64();
    if std::env::var_os("PER_QUERY").is_some() {
        for (i, query) in QUERIES.iter().enumerate() {
            let mut own: Vec<Duration> = tagged
                .iter()
                .filter(|(q, _)| *q == i)
                .map(|(_, d)| *d)
                .collect();
            own.sort();
            if !own.is_empty() {
                println!(
                    "  p50={:>6.1}ms p99={:>6.1}ms  {query}",
                    percentile(&own, 0.50),
                    percentile(&own, 0.99)
                );
            }
        }
    }
    let mut times: Vec<Duration> = tagged.into_iter().map(|(_, d)| d).collect();
    times.sort();
    println!(
        "clients={clients} requests={} p50={:.1}ms p90={:.1}ms p99={:.1}ms max={:.1}ms first_max={:.1}ms throughput={:.0}/s",
        times.len(),
        percentile(&times, 0.50),
        percentile(&times, 0.90),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
        first_max,
        times.len() as f64 / wall
    );
}
