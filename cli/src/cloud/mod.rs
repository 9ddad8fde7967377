//! `vajra cloud …`: running a plan on BlazeMeter. This module only dispatches the commands.
//!
//! How the parts fit: `api` builds the client from the options every command takes; `prepare`
//! turns a plan and the split flags into the load, locations and criteria of a cloud run;
//! `package` builds the exact files to upload; `run` finds the test, uploads, starts and hands
//! the master to `watch`, which `masters` also uses for `attach`: `watch` polls the master,
//! renders each poll through `live` (the live view) and sends what `interrupt` (Ctrl-C) asks;
//! `outcome` fetches the final reports and turns them into the verdict and exit code; `state`
//! keeps local records of started masters; `auth` and `locations` are the account commands.
//! Every API call goes through `bzm_client`.

pub mod api;
mod auth;
pub mod glibc;
mod interrupt;
mod live;
mod locations;
mod masters;
mod outcome;
pub mod package;
pub mod prepare;
mod run;
pub mod state;
mod watch;

use clap::{Args, Subcommand};

use crate::exit::{report_error, Exit};

#[derive(Args, Debug)]
pub struct CloudArgs {
    #[command(flatten)]
    pub global: api::Global,
    #[command(subcommand)]
    pub command: CloudCommand,
}

#[derive(Subcommand, Debug)]
pub enum CloudCommand {
    /// Check an API key with BlazeMeter and keep it in the OS keyring.
    Login(auth::LoginArgs),
    /// Remove the API key from the OS keyring.
    Logout,
    /// Show the user, default account, workspace and project, and where the key came from.
    Whoami,
    /// The workspace's locations with their limits.
    Locations,
    /// Split, package, upload and run a plan on BlazeMeter; live view, report and verdict.
    Run(Box<run::RunArgs>),
    /// A master's status and sessions.
    Status(masters::MasterArg),
    /// Resume the live view and the final verdict of a running (or ended) master.
    Attach(masters::AttachArgs),
    /// Stop a master gracefully (engines upload what they have).
    Stop(masters::MasterArg),
    /// Terminate a master at once.
    Terminate(masters::MasterArg),
    /// The final reports and verdict of a master.
    Report(masters::AttachArgs),
}

pub fn execute(args: CloudArgs) -> Exit {
    let global = args.global;
    let result = match args.command {
        CloudCommand::Login(a) => auth::login(&global, a),
        CloudCommand::Logout => auth::logout(&global),
        CloudCommand::Whoami => auth::whoami(&global),
        CloudCommand::Locations => locations::execute(&global),
        CloudCommand::Run(a) => run::execute(&global, *a),
        CloudCommand::Status(a) => masters::status(&global, a),
        CloudCommand::Attach(a) => masters::attach(&global, a),
        CloudCommand::Stop(a) => masters::stop(&global, a, false),
        CloudCommand::Terminate(a) => masters::stop(&global, a, true),
        CloudCommand::Report(a) => masters::report(&global, a),
    };
    result.unwrap_or_else(|error| report_error(&error))
}
