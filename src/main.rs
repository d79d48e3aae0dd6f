//! The `neardup` binary: parses arguments, runs the command, maps errors to exit codes
//! (0 success or closed output pipe, 2 error).

mod cli;

use std::process::ExitCode;

use clap::Parser;

/// The library's warnings (`log::warn!`, such as a background it could not read) on stderr,
/// in the form of the binary's own.
struct Stderr;

impl log::Log for Stderr {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Warn
    }

    fn log(&self, r: &log::Record) {
        if self.enabled(r.metadata()) {
            eprintln!("neardup: {}: {}", r.level().as_str().to_lowercase(), r.args());
        }
    }

    fn flush(&self) {}
}

fn main() -> ExitCode {
    if log::set_logger(&Stderr).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
    let argv = match cli::config::with_config_file(std::env::args_os().collect()) {
        Ok(argv) => argv,
        Err(e) => {
            eprintln!("neardup: error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let args = cli::args::Cli::parse_from(argv);
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                    || matches!(c.downcast_ref::<neardup::Error>(), Some(neardup::Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            // The causes, each once: an I/O error's message already holds its cause's.
            let mut msg = e.to_string();
            for cause in e.chain().skip(1) {
                let cause = cause.to_string();
                if !msg.contains(&cause) {
                    msg = format!("{msg}: {cause}");
                }
            }
            eprintln!("neardup: error: {msg}");
            ExitCode::from(2)
        }
    }
}
