//! Standalone DuckDB on the same data and queries as the pg_duckam TPC-H
//! benchmark: the engine's own limit, for the report's b/c ratios.
//!
//! Usage: duckdb_standalone <data dir> <schema.sql> <queries dir> <runs> <threads> <timeout s>
//! Loads `<table>.csv` for each table of the schema (a fresh in-memory
//! database), then runs every `qNN.sql` `runs` times and prints CSV lines
//! `system,query,run,ms,status` ("c" for this system), and the load time as
//! query "load".

use std::path::Path;
use std::time::{Duration, Instant};

use duckdb::Connection;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 7 {
        eprintln!("usage: {} <data dir> <schema.sql> <queries dir> <runs> <threads> <timeout s>", args[0]);
        std::process::exit(2);
    }
    let (data, schema, queries) = (Path::new(&args[1]), &args[2], Path::new(&args[3]));
    let runs: usize = args[4].parse().expect("runs");
    let threads: usize = args[5].parse().expect("threads");
    let timeout = Duration::from_secs(args[6].parse().expect("timeout"));
    if let Err(e) = run(data, schema, queries, runs, threads, timeout) {
        eprintln!("duckdb_standalone: {e}");
        std::process::exit(1);
    }
}

fn run(data: &Path, schema: &str, queries: &Path, runs: usize, threads: usize, timeout: Duration) -> Result<(), Box<dyn std::error::Error>> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(&format!("SET threads = {threads}"))?;
    let ddl = std::fs::read_to_string(schema)?.replace("@USING@", "");
    conn.execute_batch(&ddl)?;
    let start = Instant::now();
    for table in ["region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"] {
        let file = data.join(format!("{table}.csv"));
        conn.execute_batch(&format!("COPY {table} FROM '{}' (FORMAT csv, HEADER true)", file.display()))?;
    }
    println!("c,load,1,{:.3},ok", start.elapsed().as_secs_f64() * 1000.0);
    let mut files: Vec<_> = std::fs::read_dir(queries)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "sql")).collect();
    files.sort();
    for file in files {
        let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        let sql = std::fs::read_to_string(&file)?;
        for run in 1..=runs {
            let (ms, status) = timed(&conn, &sql, timeout);
            println!("c,{name},{run},{ms:.3},{status}");
            if status != "ok" {
                break;
            }
        }
    }
    Ok(())
}

/// Runs a query to its last row; a query still running at `timeout` is
/// interrupted and reported as "timeout".
fn timed(conn: &Connection, sql: &str, timeout: Duration) -> (f64, String) {
    let handle = conn.interrupt_handle();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(timeout).is_err() {
            handle.interrupt();
            true
        } else {
            false
        }
    });
    let start = Instant::now();
    let outcome = conn.prepare(sql).and_then(|mut stmt| {
        let mut rows = stmt.query([])?;
        while rows.next()?.is_some() {}
        Ok(())
    });
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let _ = done_tx.send(());
    let interrupted = watchdog.join().unwrap_or(false);
    match outcome {
        Ok(()) => (ms, "ok".into()),
        Err(_) if interrupted => (ms, "timeout".into()),
        Err(e) => (ms, format!("error: {}", e.to_string().replace([',', '\n'], " "))),
    }
}
