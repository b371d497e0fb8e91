//! Standalone DuckDB on the same data and queries as the pg_duckam TPC-H
//! benchmark: the engine's own limit, for the report's b/c ratios.
//!
//! Usage:
//!   duckdb_standalone <data dir> <schema.sql> <queries dir> <runs> <threads> <timeout s> [<small n> <pgbench csv>]
//!     Loads `<table>.csv` for each table of the schema (a fresh in-memory
//!     database), then runs every `qNN.sql` `runs` times and prints CSV
//!     lines `system,query,run,ms,status` ("c" for this system), and the
//!     load time as query "load". With `<small n>`, also times pgbench's
//!     small statements (prepared, `n` executions each: a point lookup in
//!     customer, a count of nation, a one-row INSERT in autocommit) and
//!     appends them to `<pgbench csv>` as system c: DuckDB's own floor for
//!     them on this machine.
//!   duckdb_standalone memory-probe <duckdb file> <table> <n> <threads> <memory limit>
//!     What each backend held under stage 1 (before the shared engine):
//!     `n` DuckDB instances in this process, each attaching the file (a
//!     copy of a pg_duckam database; stage 1 attached it read-only for
//!     readers) and counting `table`; prints the process's private memory
//!     (kB) before and after.

use std::path::Path;
use std::time::{Duration, Instant};

use duckdb::{params, Connection};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("memory-probe") && args.len() == 7 {
        let n: usize = args[4].parse().expect("n");
        if let Err(e) = memory_probe(&args[2], &args[3], n, &args[5], &args[6]) {
            eprintln!("duckdb_standalone: {e}");
            std::process::exit(1);
        }
        return;
    }
    if args.len() != 7 && args.len() != 9 {
        eprintln!("usage: {} <data dir> <schema.sql> <queries dir> <runs> <threads> <timeout s> [<small n> <pgbench csv>]", args[0]);
        eprintln!("       {} memory-probe <duckdb file> <table> <n> <threads> <memory limit>", args[0]);
        std::process::exit(2);
    }
    let (data, schema, queries) = (Path::new(&args[1]), &args[2], Path::new(&args[3]));
    let runs: usize = args[4].parse().expect("runs");
    let threads: usize = args[5].parse().expect("threads");
    let timeout = Duration::from_secs(args[6].parse().expect("timeout"));
    let small = (args.len() == 9).then(|| (args[7].parse::<usize>().expect("small n"), Path::new(&args[8])));
    if let Err(e) = run(data, schema, queries, runs, threads, timeout, small) {
        eprintln!("duckdb_standalone: {e}");
        std::process::exit(1);
    }
}

type Failure = Box<dyn std::error::Error>;

fn run(data: &Path, schema: &str, queries: &Path, runs: usize, threads: usize, timeout: Duration, small: Option<(usize, &Path)>) -> Result<(), Failure> {
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
    if let Some((n, csv)) = small {
        small_statements(&conn, n, csv)?;
    }
    Ok(())
}

/// One pgbench.csv line: system,test,clients,tx,tps,mean_ms,p50_ms,p99_ms.
fn latency_line(test: &str, mut ms: Vec<f64>) -> String {
    let total: f64 = ms.iter().sum();
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ms[((ms.len() as f64 * q) as usize).clamp(1, ms.len()) - 1];
    let n = ms.len();
    format!("c,{test},1,{n},{:.3},{:.3},{:.3},{:.3}\n", n as f64 / total * 1000.0, total / n as f64, at(0.5), at(0.99))
}

/// pgbench's small statements, prepared once, each executed `n` times.
fn small_statements(conn: &Connection, n: usize, csv: &Path) -> Result<(), Failure> {
    let customers: i64 = conn.query_row("SELECT count(*) FROM customer", [], |r| r.get(0))?;
    conn.execute_batch("CREATE TABLE bench_history (id INTEGER, amount DECIMAL(12,2), note VARCHAR)")?;
    let mut point = conn.prepare("SELECT * FROM customer WHERE c_custkey = ?")?;
    let mut count = conn.prepare("SELECT count(*) FROM nation")?;
    let mut insert = conn.prepare("INSERT INTO bench_history VALUES (?, ?, 'pgbench')")?;
    let mut key: i64 = 12345;
    let time = |f: &mut dyn FnMut() -> duckdb::Result<()>| -> Result<Vec<f64>, Failure> {
        (0..n)
            .map(|_| {
                let t = Instant::now();
                f()?;
                Ok(t.elapsed().as_secs_f64() * 1000.0)
            })
            .collect()
    };
    let mut lines = String::new();
    lines += &latency_line(
        "point",
        time(&mut || {
            key = (key * 1103515245 + 12345).rem_euclid(customers) + 1;
            let mut rows = point.query(params![key])?;
            while rows.next()?.is_some() {}
            Ok(())
        })?,
    );
    lines += &latency_line("count", time(&mut || count.query_row([], |r| r.get::<_, i64>(0)).map(drop))?);
    let mut id = 0;
    lines += &latency_line(
        "insert",
        time(&mut || {
            id += 1;
            insert.execute(params![id, id as f64 * 0.01]).map(drop)
        })?,
    );
    use std::io::Write;
    std::fs::OpenOptions::new().append(true).open(csv)?.write_all(lines.as_bytes())?;
    Ok(())
}

/// Private memory of this process (Private_Clean + Private_Dirty), kB.
fn private_kb() -> Result<u64, Failure> {
    let mut kb = 0;
    for line in std::fs::read_to_string("/proc/self/smaps_rollup")?.lines() {
        if line.starts_with("Private_Clean:") || line.starts_with("Private_Dirty:") {
            kb += line.split_whitespace().nth(1).unwrap_or("0").parse::<u64>()?;
        }
    }
    Ok(kb)
}

fn memory_probe(file: &str, table: &str, n: usize, threads: &str, memory_limit: &str) -> Result<(), Failure> {
    let before = private_kb()?;
    let mut kept = Vec::new();
    for _ in 0..n {
        // What stage 1 did in each backend: an in-memory instance with the
        // backend's settings, the database file attached, one query.
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(&format!("SET threads = {threads}; SET memory_limit = '{memory_limit}'; ATTACH '{file}' AS pgdb; USE pgdb"))?;
        let _: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| r.get(0))?;
        kept.push(conn);
    }
    println!("{before},{}", private_kb()?);
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
