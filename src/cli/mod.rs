//! The command-line interface: flags, configuration and one module per subcommand.

pub mod args;
pub mod cluster;
pub mod config;
pub mod dedup;
#[cfg(feature = "distributed")]
pub mod distributed;
pub mod feed;
pub mod index;
pub mod pairs;
pub mod passages;
pub mod report;

use anyhow::Result;

/// Runs the parsed command line.
pub fn run(cli: args::Cli) -> Result<()> {
    let quiet = match &cli.command {
        args::Command::Dedup(a) => a.quiet,
        args::Command::Passages(a) => a.quiet,
        args::Command::Cluster(a) => a.quiet,
        args::Command::Report(a) => a.quiet,
        args::Command::Index(args::IndexCommand::Add(a) | args::IndexCommand::Query(a)) => a.quiet,
        _ => false,
    };
    feed::set_progress(cli.progress, quiet);
    match cli.command {
        args::Command::Dedup(a) => dedup::run(&a),
        args::Command::Passages(a) => passages::run(&a),
        args::Command::Pairs(a) => pairs::run(&a),
        args::Command::Index(c) => index::run(&c),
        args::Command::Cluster(a) => cluster::run(&a),
        args::Command::Report(a) => report::run(&a),
        args::Command::Eval(args::EvalCommand::Clusters(a)) => cluster::eval(&a),
    }
}
