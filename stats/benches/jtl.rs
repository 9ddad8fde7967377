//! Rough JTL throughput on one core: `cargo bench -p vajra-stats --bench jtl`.
//!
//! A plain timing loop, not criterion: it answers "how many rows per second", which is all the
//! JTL targets need (writer well over 3M rows/s, reader part of a 2M rows/s `vajra report`).

use std::hint::black_box;
use std::io::{self, Cursor};
use std::sync::Arc;
use std::time::Instant;

use vajra_stats::jtl::{JtlReader, JtlWriter};
use vajra_stats::sample::{Outcome, Sample};

const ROWS: u64 = 2_000_000;

fn sample(i: u64) -> Sample {
    Sample {
        timestamp_ms: 1_700_000_000_000 + i / 10,
        elapsed_us: 1_000 + i % 50_000,
        service_us: 900,
        latency_us: 800 + i % 40_000,
        connect_us: if i.is_multiple_of(100) { 300 } else { 0 },
        label: Arc::from("GET /api/items"),
        url: Arc::from("http://127.0.0.1:8080/api/items?id=42"),
        outcome: if i.is_multiple_of(50) {
            Outcome::Http(503)
        } else {
            Outcome::Http(200)
        },
        success: !i.is_multiple_of(50),
        failure_message: None,
        bytes_received: 512,
        bytes_sent: 128,
        active_threads: 64,
        thread: (i % 64) as u32,
    }
}

fn rate(rows: u64, start: Instant) -> String {
    let secs = start.elapsed().as_secs_f64();
    format!(
        "{:.2} M rows/s ({rows} rows in {secs:.3} s)",
        rows as f64 / secs / 1e6
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let samples: Vec<Sample> = (0..1024).map(sample).collect();

    let start = Instant::now();
    let mut writer = JtlWriter::new(io::sink())?;
    for i in 0..ROWS {
        writer.write(black_box(&samples[(i % 1024) as usize]))?;
    }
    writer.flush()?;
    println!("write: {}", rate(ROWS, start));

    let mut writer = JtlWriter::new(Vec::new())?;
    for i in 0..ROWS {
        writer.write(&samples[(i % 1024) as usize])?;
    }
    let file = writer.into_inner()?;
    let bytes = file.len();
    let start = Instant::now();
    let mut reader = JtlReader::from_reader(Cursor::new(file), "bench", true)?;
    let mut elapsed_sum = 0u64;
    reader.for_each(|obs| elapsed_sum += black_box(obs).elapsed_us)?;
    println!(
        "read:  {} ({} MB, checksum {elapsed_sum})",
        rate(reader.rows_read(), start),
        bytes / 1_000_000
    );
    Ok(())
}
