//! CSV data sets: worker slices, recycle and stop, concurrent hand-out, and CSV errors.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use vajra_plan::{DataFeed, DataSetSpec, OnEof, Plan, PlanError};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plans")
}

fn csv_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

fn numbered(rows: usize) -> tempfile::NamedTempFile {
    let mut text = String::from("n\n");
    for r in 0..rows {
        text.push_str(&format!("{r}\n"));
    }
    csv_file(&text)
}

fn spec(file: &Path, on_eof: OnEof, split: bool) -> DataSetSpec {
    DataSetSpec {
        file: file.to_path_buf(),
        delimiter: b',',
        on_eof,
        split,
        random_order: false,
        columns: vec!["n".into()],
    }
}

#[test]
fn random_order_hands_out_every_row_once_per_pass_in_a_shuffled_order() {
    let file = numbered(200);
    let mut random = spec(file.path(), OnEof::Stop, false);
    random.random_order = true;
    let feed = DataFeed::open(&[random], 0, 1).unwrap();
    let rows = drain(&feed, "n", 1000);
    let in_file_order: Vec<String> = (0..200).map(|n| n.to_string()).collect();
    // One chance in 200! of the shuffle giving the file's order.
    assert_ne!(rows, in_file_order);
    let mut sorted = rows.clone();
    sorted.sort_by_key(|n| n.parse::<u32>().unwrap());
    assert_eq!(sorted, in_file_order);
}

/// Every row the feed hands out until it stops (at most `limit`), as the value of `column`.
fn drain(feed: &DataFeed, column: &str, limit: usize) -> Vec<String> {
    std::iter::from_fn(|| feed.next_row())
        .take(limit)
        .map(|row| row.get(column).unwrap().to_string())
        .collect()
}

#[test]
fn worker_slices_are_disjoint_and_cover_every_row() {
    let file = numbered(10);
    let specs = [spec(file.path(), OnEof::Stop, true)];
    let mut union = BTreeSet::new();
    for worker in 0..3 {
        let feed = DataFeed::open(&specs, worker, 3).unwrap();
        let rows = drain(&feed, "n", 100);
        let expected: Vec<String> = (0..10)
            .filter(|r| r % 3 == worker)
            .map(|r| r.to_string())
            .collect();
        assert_eq!(rows, expected, "worker {worker}");
        for row in rows {
            assert!(union.insert(row), "rows are disjoint between workers");
        }
    }
    assert_eq!(union.len(), 10);
}

#[test]
fn without_split_every_worker_reads_every_row() {
    let file = numbered(4);
    let specs = [spec(file.path(), OnEof::Stop, false)];
    for worker in 0..3 {
        let feed = DataFeed::open(&specs, worker, 3).unwrap();
        assert_eq!(drain(&feed, "n", 100), ["0", "1", "2", "3"]);
    }
}

#[test]
fn recycle_starts_again_and_stop_ends() {
    let file = numbered(3);
    let recycle = DataFeed::open(&[spec(file.path(), OnEof::Recycle, true)], 0, 1).unwrap();
    assert_eq!(drain(&recycle, "n", 7), ["0", "1", "2", "0", "1", "2", "0"]);
    let stop = DataFeed::open(&[spec(file.path(), OnEof::Stop, true)], 0, 1).unwrap();
    assert_eq!(drain(&stop, "n", 7), ["0", "1", "2"]);
    assert!(stop.next_row().is_none(), "stays stopped");
}

#[test]
fn concurrent_tasks_get_each_row_once_per_cycle() {
    let file = numbered(50);
    let feed = Arc::new(DataFeed::open(&[spec(file.path(), OnEof::Recycle, true)], 0, 1).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let feed = Arc::clone(&feed);
            std::thread::spawn(move || drain(&feed, "n", 50))
        })
        .collect();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for handle in handles {
        for row in handle.join().unwrap() {
            *counts.entry(row).or_default() += 1;
        }
    }
    // 4 threads × 50 rows = 4 full cycles of 50 rows: each row exactly 4 times.
    assert_eq!(counts.len(), 50);
    assert!(counts.values().all(|&c| c == 4), "{counts:?}");
}

#[test]
fn concurrent_stop_hands_out_each_row_exactly_once() {
    let file = numbered(100);
    let feed = Arc::new(DataFeed::open(&[spec(file.path(), OnEof::Stop, true)], 0, 1).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let feed = Arc::clone(&feed);
            std::thread::spawn(move || drain(&feed, "n", usize::MAX))
        })
        .collect();
    let mut all: Vec<usize> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .map(|r| r.parse().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..100).collect::<Vec<_>>());
}

#[test]
fn several_data_sets_each_advance_their_own_cursor() {
    let plan = Plan::load(&fixtures().join("full.yaml")).unwrap();
    let feed = DataFeed::open(&plan.data, 0, 1).unwrap();
    assert_eq!(feed.row_counts(), [7, 2]);
    let rows: Vec<(String, String, String)> = std::iter::from_fn(|| feed.next_row())
        .map(|r| {
            (
                r.get("user").unwrap().to_string(),
                r.get("sku").unwrap().to_string(),
                r.get("price").unwrap().to_string(),
            )
        })
        .collect();
    // products.csv stops after its 2 rows, ending the feed.
    assert_eq!(
        rows,
        [
            ("ann".into(), "A-1".into(), "10".into()),
            ("bob".into(), "B-2".into(), "20".into())
        ]
    );
    let row = DataFeed::open(&plan.data, 0, 1)
        .unwrap()
        .next_row()
        .unwrap();
    assert_eq!(row.get("id"), Some("1"));
    assert_eq!(row.get("nope"), None);
    let home = &plan.scenarios[0].requests()[0];
    assert_eq!(
        home.url.render(&row),
        "http://127.0.0.1:8080/api/fast?user=ann"
    );
}

#[test]
fn no_data_sets_give_empty_rows_forever() {
    let feed = DataFeed::open(&[], 0, 1).unwrap();
    for _ in 0..3 {
        assert_eq!(feed.next_row().unwrap().get("x"), None);
    }
}

#[test]
fn a_worker_with_an_empty_slice_gets_a_clear_error() {
    let file = numbered(2);
    let specs = [spec(file.path(), OnEof::Recycle, true)];
    assert!(DataFeed::open(&specs, 1, 3).is_ok());
    let err = DataFeed::open(&specs, 2, 3).err().unwrap().to_string();
    // The same numbering as `vajra run`'s header: the --worker-index, from 0.
    assert!(err.contains("worker index 2 of 3 gets no rows"), "{err}");
    assert!(err.contains("set `split: false`"), "{err}");
    assert!(err.contains(&file.path().display().to_string()), "{err}");
}

#[test]
fn worker_index_must_be_below_the_count() {
    let err = DataFeed::open(&[], 3, 3).err().unwrap();
    assert!(matches!(err, PlanError::Load { .. }), "{err}");
}

#[test]
fn header_only_file_is_an_error() {
    let file = csv_file("n\n");
    let err = DataFeed::open(&[spec(file.path(), OnEof::Recycle, true)], 0, 1)
        .err()
        .unwrap();
    assert!(err.to_string().contains("no data rows"), "{err}");
}

#[test]
fn malformed_rows_name_the_file_and_line() {
    let file = fixtures().join("bad_row.csv");
    let mut spec = spec(&file, OnEof::Recycle, true);
    spec.columns = vec!["user".into(), "id".into()];
    let err = DataFeed::open(&[spec], 0, 1).err().unwrap();
    match &err {
        PlanError::Data { file: f, line, .. } => {
            assert_eq!(f, &file);
            assert_eq!(*line, Some(3));
        }
        other => panic!("expected a data error, got {other:?}"),
    }
    assert!(
        err.to_string()
            .ends_with("bad_row.csv:3: this row has 3 field(s), but the header row has 2"),
        "{err}"
    );
}

#[test]
fn bad_header_rows_are_found_when_the_plan_loads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dup.csv"), "a,b,a\n1,2,3\n").unwrap();
    std::fs::write(dir.path().join("blank.csv"), "a,,c\n1,2,3\n").unwrap();
    for (file, needle) in [
        ("dup.csv", "column `a` appears twice"),
        ("blank.csv", "column 2 has an empty name"),
    ] {
        let yaml = format!("base-url: http://h\nrequests:\n  - url: /a\ndata:\n  - file: {file}\n");
        let err = Plan::from_str(&yaml, &dir.path().join("p.yaml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("{file}:1: {needle}")), "{err}");
    }
}

#[test]
fn tab_delimited_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.tsv"), "user\tid\nann\t1\n").unwrap();
    let yaml = "base-url: http://h\nrequests:\n  - url: /u/${user}/${id}\ndata:\n  - file: t.tsv\n    delimiter: \"\\t\"\n";
    let plan = Plan::from_str(yaml, &dir.path().join("p.yaml")).unwrap();
    let row = DataFeed::open(&plan.data, 0, 1)
        .unwrap()
        .next_row()
        .unwrap();
    assert_eq!(
        plan.scenarios[0].requests()[0].url.render(&row),
        "http://h/u/ann/1"
    );
}
