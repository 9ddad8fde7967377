//! One handler per resource, as in octocrab: `client.tests().create(project, name).send()`.
//!
//! Handlers borrow the [`Client`](crate::Client); calls with optional parameters return a
//! builder ending in `send()`. Each call maps to a row of docs/blazemeter-api.md §2 and names the
//! account/workspace/test/master it concerns, so errors can say which one was refused.

mod accounts;
mod data;
mod masters;
mod perf_tests;
mod projects;
mod users;
mod workspaces;

pub use accounts::AccountsHandler;
pub use data::{AggregateQuery, DataHandler, KpisQuery};
pub use masters::{MastersHandler, StartOptions, StatusQuery};
pub use perf_tests::{CreateTest, ListTests, TestsHandler, UpdateTest, Upload, MAX_UPLOAD_BYTES};
pub use projects::{ListProjects, ProjectsHandler};
pub use users::UsersHandler;
pub use workspaces::{ListWorkspaces, WorkspacesHandler};
