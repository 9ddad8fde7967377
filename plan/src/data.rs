//! CSV data sets: the rows that fill `${name}` placeholders.
//!
//! [`DataSetSpec`] is what the plan says about a file; the loader reads only its header row (or,
//! when the plan names the columns, its first row), to check variable names early.
//! [`DataFeed::open`] reads the rows, keeps this worker's slice (rows `r` with
//! `r % worker_count == worker_index` when `split`), and hands rows out round-robin to any
//! number of tasks through one atomic cursor per data set.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde::Deserialize;

use super::error::PlanError;

/// What happens when a worker has used every row of its slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnEof {
    /// Start again from the first row.
    #[default]
    Recycle,
    /// End the test.
    Stop,
}

/// A CSV data set as described in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSetSpec {
    /// The CSV file, resolved against the plan file's directory.
    pub file: PathBuf,
    pub delimiter: u8,
    pub on_eof: OnEof,
    /// Whether each worker gets its own slice of the rows (otherwise every worker reads all).
    pub split: bool,
    /// Hand the rows out in a random order (shuffled once when the feed opens, so each row
    /// still comes once per pass) rather than in file order.
    pub random_order: bool,
    /// The column names: the variables this set provides.
    pub columns: Vec<String>,
    /// Whether the file's first line is a header row naming the columns; when false the plan
    /// named them (`columns:`) and every line is data.
    pub header_row: bool,
}

/// The rows of one data set kept by this worker.
#[derive(Debug)]
struct Table {
    columns: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    fn value(&self, row: usize, name: &str) -> Option<&str> {
        let column = self.columns.iter().position(|c| c == name)?;
        self.rows.get(row)?.get(column)
    }
}

/// One row of every data set: the variables for one request sequence.
#[derive(Debug, Clone)]
pub struct Row {
    cells: Vec<(Arc<Table>, usize)>,
}

impl Row {
    /// A row with no variables, for plans without data sets.
    pub fn empty() -> Self {
        Self { cells: Vec::new() }
    }

    /// A single row made of `(name, value)` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let (columns, values): (Vec<String>, Vec<&str>) = pairs
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .unzip();
        let table = Table {
            columns,
            rows: vec![csv::StringRecord::from(values)],
        };
        Self {
            cells: vec![(Arc::new(table), 0)],
        }
    }

    /// The value of variable `name` in this row.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cells
            .iter()
            .find_map(|(table, row)| table.value(*row, name))
    }
}

struct Cursor {
    table: Arc<Table>,
    next: AtomicUsize,
    on_eof: OnEof,
}

/// Hands out this worker's rows, shared by all tasks of the worker.
pub struct DataFeed {
    cursors: Vec<Cursor>,
}

impl DataFeed {
    /// Reads every data set and keeps worker `worker_index`'s slice of `worker_count`.
    pub fn open(
        specs: &[DataSetSpec],
        worker_index: usize,
        worker_count: usize,
    ) -> Result<Self, PlanError> {
        if worker_index >= worker_count {
            return Err(PlanError::Load {
                message: format!(
                    "{} is out of range: indexes run from 0 to worker-count − 1",
                    crate::schedule::worker_name(worker_index, worker_count)
                ),
            });
        }
        let cursors = specs
            .iter()
            .map(|spec| {
                let table = read_table(spec, worker_index, worker_count)?;
                Ok(Cursor {
                    table: Arc::new(table),
                    next: AtomicUsize::new(0),
                    on_eof: spec.on_eof,
                })
            })
            .collect::<Result<_, PlanError>>()?;
        Ok(Self { cursors })
    }

    /// The next row: each data set advances its own cursor. `None` once a set with
    /// `on-eof: stop` has handed out its last row.
    pub fn next_row(&self) -> Option<Row> {
        let cells = self
            .cursors
            .iter()
            .map(|cursor| {
                let len = cursor.table.rows.len();
                let n = cursor.next.fetch_add(1, Ordering::Relaxed);
                match cursor.on_eof {
                    OnEof::Stop if n >= len => None,
                    _ => Some((Arc::clone(&cursor.table), n % len)),
                }
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Row { cells })
    }

    /// Rows this worker holds, per data set, in plan order.
    pub fn row_counts(&self) -> Vec<usize> {
        self.cursors.iter().map(|c| c.table.rows.len()).collect()
    }
}

fn csv_reader(spec: &DataSetSpec) -> Result<csv::Reader<std::fs::File>, PlanError> {
    csv::ReaderBuilder::new()
        .delimiter(spec.delimiter)
        .has_headers(spec.header_row)
        .from_path(&spec.file)
        .map_err(|err| csv_error(spec, err))
}

/// Why a list of column names cannot name a data set's variables (a blank or a repeated name),
/// wherever the names came from (`given_in`: "the header row", "`columns`").
pub(crate) fn column_names_problem(columns: &[String], given_in: &str) -> Option<String> {
    for (i, column) in columns.iter().enumerate() {
        if column.is_empty() {
            return Some(format!("column {} has an empty name in {given_in}", i + 1));
        }
        if columns[..i].contains(column) {
            return Some(format!("column `{column}` appears twice in {given_in}"));
        }
    }
    None
}

/// The header row of a data set: its variable names, checked for blanks and repeats.
pub(crate) fn read_columns(spec: &DataSetSpec) -> Result<Vec<String>, PlanError> {
    let mut reader = csv_reader(spec)?;
    let headers = reader.headers().map_err(|err| csv_error(spec, err))?;
    let columns: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
    let data_error = |message: String| PlanError::Data {
        file: spec.file.clone(),
        line: Some(1),
        message,
    };
    if columns.iter().all(|c| c.is_empty()) {
        return Err(data_error(
            "the file has no header row: the first line must name the columns, like `user,id`, \
             or the plan must name them with `columns:`"
                .into(),
        ));
    }
    match column_names_problem(&columns, "the header row") {
        Some(problem) => Err(data_error(problem)),
        None => Ok(columns),
    }
}

/// For a data set whose columns the plan names: its first row must have that many fields.
pub(crate) fn check_first_row(spec: &DataSetSpec) -> Result<(), PlanError> {
    let mut reader = csv_reader(spec)?;
    match reader.records().next() {
        None => Err(PlanError::Data {
            file: spec.file.clone(),
            line: None,
            message: "the data set has no rows".into(),
        }),
        Some(record) => {
            let record = record.map_err(|err| csv_error(spec, err))?;
            check_row_width(spec, &record)
        }
    }
}

/// A row of a data set with named columns has exactly one field per name. (With a header row,
/// the CSV reader itself holds every row to the header's width.)
fn check_row_width(spec: &DataSetSpec, record: &csv::StringRecord) -> Result<(), PlanError> {
    if spec.header_row || record.len() == spec.columns.len() {
        return Ok(());
    }
    Err(PlanError::Data {
        file: spec.file.clone(),
        line: record.position().map(|p| p.line()),
        message: format!(
            "this row has {} field(s), but `columns` names {}",
            record.len(),
            spec.columns.len()
        ),
    })
}

fn read_table(
    spec: &DataSetSpec,
    worker_index: usize,
    worker_count: usize,
) -> Result<Table, PlanError> {
    let columns = if spec.header_row {
        read_columns(spec)?
    } else {
        spec.columns.clone()
    };
    let mut reader = csv_reader(spec)?;
    let mut rows = Vec::new();
    let mut total = 0;
    for (r, record) in reader.records().enumerate() {
        let record = record.map_err(|err| csv_error(spec, err))?;
        check_row_width(spec, &record)?;
        total += 1;
        if !spec.split || r % worker_count == worker_index {
            rows.push(record);
        }
    }
    if rows.is_empty() {
        let message = if total == 0 && spec.header_row {
            "the data set has a header row but no data rows".to_string()
        } else if total == 0 {
            "the data set has no rows".to_string()
        } else {
            format!(
                "{} gets no rows: the data set has only {total} row(s) to split; add rows or \
                 set `split: false`",
                crate::schedule::worker_name(worker_index, worker_count)
            )
        };
        return Err(PlanError::Data {
            file: spec.file.clone(),
            line: None,
            message,
        });
    }
    if spec.random_order {
        rand::seq::SliceRandom::shuffle(rows.as_mut_slice(), &mut rand::thread_rng());
    }
    Ok(Table { columns, rows })
}

fn csv_error(spec: &DataSetSpec, err: csv::Error) -> PlanError {
    let line = err.position().map(|p| p.line());
    let message = match err.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read the data file: {io}"),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } if spec.header_row => {
            format!("this row has {len} field(s), but the header row has {expected_len}")
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("this row has {len} field(s), but `columns` names {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_string(),
        _ => err.to_string(),
    };
    PlanError::Data {
        file: spec.file.clone(),
        line,
        message,
    }
}

/// A data row alone: its columns are the variables. Built-ins that need a run's state render
/// a fixed stand-in (the counter and the thread number `0`, the last sample `true`); the
/// runner's scope gives their real values.
impl crate::template::Scope for Row {
    fn var(&self, name: &str) -> Option<&str> {
        self.get(name)
    }

    fn builtin(&self, builtin: &crate::template::Builtin, out: &mut String) {
        use crate::template::Builtin;
        if builtin.render_stateless(out) || builtin.render_nested(self, out) {
            return;
        }
        match builtin {
            Builtin::Property { name, default } => {
                out.push_str(self.get(name).unwrap_or(default));
            }
            Builtin::LastSampleOk => out.push_str("true"),
            _ => out.push('0'),
        }
    }
}
