//! Measures the store: write throughput into SQLite (and Postgres when
//! `KOMMO_DATA_TEST_POSTGRES_URL` is set), then the data API query mix on a seeded SQLite
//! workspace. `cargo run --release -p kommo-store --example store_bench -- [leads] [read-leads] [requests] [page size]`.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on stdout"
)]

use kommo_store::bench::{ReadReport, WriteReport, bench_reads, bench_write_leads, run_query_mix};
use kommo_store::rows::RowTenancy;
use kommo_store::testing::TestStore;
use kommo_store::{Keys, Store};

/// CPU seconds this process used so far (user + system), from /proc on Linux: on a shared
/// machine wall-clock rates depend on the neighbours, CPU cost per row does not.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some(after_name) = stat.rsplit(')').next() else {
        return 0.0;
    };
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn print_write(label: &str, r: &WriteReport, cpu: f64) {
    println!(
        "{label}: {} leads in {} pages, {:.2}s, {:.0} leads/s; this process used {:.2} CPU s ({:.0} leads per CPU s)",
        r.rows,
        r.pages,
        r.elapsed.as_secs_f64(),
        r.rows_per_second,
        cpu,
        r.rows as f64 / cpu.max(1e-9)
    );
}

fn print_read(label: &str, r: &ReadReport) {
    println!(
        "{label}: {} requests, concurrency {}, {:.2}s, {:.0} req/s, p99 {:.2} ms",
        r.requests,
        r.concurrency,
        r.elapsed.as_secs_f64(),
        r.requests_per_second,
        r.p99.as_secs_f64() * 1e3
    );
    for q in &r.queries {
        println!(
            "  {:<34} rows {:>3}  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            q.name,
            q.rows,
            q.p50.as_secs_f64() * 1e3,
            q.p99.as_secs_f64() * 1e3,
            q.max.as_secs_f64() * 1e3
        );
        if std::env::var("SHOW_PLANS").is_ok() {
            for line in q.plan.lines() {
                println!("      {line}");
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let write_rows = args.first().copied().unwrap_or(200_000);
    let read_rows = args.get(1).copied().unwrap_or(1_000_000);
    let requests = args.get(2).copied().unwrap_or(20_000);
    let page_size = usize::try_from(args.get(3).copied().unwrap_or(250)).unwrap_or(250);

    let sqlite = TestStore::sqlite(Keys::generate()).await.unwrap();
    let cpu = cpu_seconds();
    let report = bench_write_leads(&sqlite.store, write_rows, page_size)
        .await
        .unwrap();
    print_write("sqlite write", &report, cpu_seconds() - cpu);
    sqlite.cleanup().await.unwrap();

    if let Some(pg) = TestStore::postgres(Keys::generate()).await.unwrap() {
        let cpu = cpu_seconds();
        let report = bench_write_leads(&pg.store, write_rows, page_size)
            .await
            .unwrap();
        print_write(
            "postgres write (client side only)",
            &report,
            cpu_seconds() - cpu,
        );
        pg.cleanup().await.unwrap();
    } else {
        println!("postgres write: skipped (KOMMO_DATA_TEST_POSTGRES_URL not set)");
    }

    let path = std::env::temp_dir().join("kommo-store-read-bench.sqlite");
    let url = path.to_string_lossy().into_owned();
    if std::env::var("REUSE").is_ok() && path.exists() {
        // Query an already seeded file again (its workspace is the first `bench-ws-*`).
        let store = Store::connect(&url, Keys::generate()).await.unwrap();
        let ws = store
            .workspaces()
            .await
            .unwrap()
            .into_iter()
            .find(|w| w.id.starts_with("bench-ws-"))
            .unwrap();
        let suffix = ws.id.trim_start_matches("bench-ws-").to_owned();
        let tenancy = RowTenancy {
            integration_id: format!("bench-int-{suffix}"),
            workspace_id: ws.id.clone(),
            organization_id: ws.organization_id.clone(),
        };
        if std::env::var("ANALYZE").is_ok() {
            store.analyze().await.unwrap();
        }
        let concurrency = std::env::var("CONCURRENCY")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(8);
        let read = run_query_mix(&store, &tenancy, requests, concurrency)
            .await
            .unwrap();
        print_read("sqlite reads (reused file)", &read);
        store.close().await;
        return;
    }
    if read_rows > 0 {
        if std::env::var("ONLY_POSTGRES").is_err() {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{url}{suffix}"));
            }
            let store = Store::connect(&url, Keys::generate()).await.unwrap();
            let cpu = cpu_seconds();
            let (write, read) = bench_reads(&store, read_rows, requests, 8).await.unwrap();
            print_write("sqlite seed", &write, cpu_seconds() - cpu);
            print_read("sqlite reads", &read);
            store.close().await;
        }
        if let Some(pg) = TestStore::postgres(Keys::generate()).await.unwrap() {
            let cpu = cpu_seconds();
            let (write, read) = bench_reads(&pg.store, read_rows, requests, 8)
                .await
                .unwrap();
            print_write("postgres seed", &write, cpu_seconds() - cpu);
            print_read("postgres reads", &read);
            pg.cleanup().await.unwrap();
        }
    }
}
