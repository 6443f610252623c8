use std::process::ExitCode;

use clap::Parser;
use sitelens::cli::{Cli, Command, info};

/// mimalloc: loading a million features allocates and frees tens of millions of small blocks;
/// glibc's malloc spends a fifth of a Shapefile load in the kernel zeroing pages it gave back.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Export(_) | Command::Publish(_)) => set_purge_delay(STREAMING_PURGE_DELAY),
        _ => set_purge_delay(-1),
    }
    match cli.command {
        Some(Command::Info {
            paths,
            json,
            role,
            exact,
            read,
        }) => {
            let mut out = std::io::stdout().lock();
            let how = info::How { json, role, exact };
            match info::run(&paths, &how, &read.options(), &mut out) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("error: cannot write output: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Export(args)) => report(sitelens::cli::export::run(args.as_ref())),
        Some(Command::Publish(args)) => report(sitelens::cli::publish::run(args.as_ref())),
        Some(Command::Render(args)) => render(&args),
        Some(Command::Sheet(args)) => sheet(&args),
        Some(Command::Project { path, init, strict }) => {
            match sitelens::cli::project::run(&path, init, strict, &mut std::io::stdout().lock()) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("{}", sitelens::cli::error_text(&e));
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Open { paths, read }) => viewer(paths, read.options()),
        None => viewer(Vec::new(), Default::default()),
    }
}

/// mimalloc's `mi_option_purge_delay` (mimalloc.h of the v3 sources libmimalloc-sys builds), and
/// its default in milliseconds.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
const MI_PURGE_DELAY_DEFAULT: std::ffi::c_long = 1000;

unsafe extern "C" {
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// How long mimalloc waits before handing freed memory back to the system, set unless the user
/// set it (`MIMALLOC_PURGE_DELAY`), by command.
///
/// Loading (the viewer, `info`, `render`, `sheet`): never (-1). Memory freed is kept for reuse
/// instead of being handed back a second later and faulted in again: `info` on 1M polygons
/// spent 0.1–1.8 s of system time with mimalloc's default here, 0.06–0.27 s without purging, and
/// the viewer loaded the 1M Shapefile in 1.4–2.8 s instead of 2.5–3.7 s. The cost: memory of a
/// removed layer stays with the process (reused by the next load).
///
/// `export` and `publish` ([`STREAMING_PURGE_DELAY`]): a streamed export frees each piece on
/// another thread than the one that parsed it, so kept memory piles up piece after piece: a
/// full export of the 1M Shapefile peaked at 329 MiB never purging, 218 MiB purging after 10 ms
/// (3.7–4.0 s against 4.1–4.4 s), 209 MiB purging at once (4.5–4.9 s).
fn set_purge_delay(ms: std::ffi::c_long) {
    // SAFETY: plain calls into the allocator's option table. The value is only changed while it
    // holds the default, so a MIMALLOC_PURGE_DELAY set by the user is left alone (and the test
    // below catches a mimalloc whose options moved).
    unsafe {
        if mi_option_get(MI_OPTION_PURGE_DELAY) == MI_PURGE_DELAY_DEFAULT {
            mi_option_set(MI_OPTION_PURGE_DELAY, ms);
        }
    }
}

/// The purge delay of `export` and `publish`, in milliseconds (see [`set_purge_delay`]).
const STREAMING_PURGE_DELAY: std::ffi::c_long = 10;

#[cfg(feature = "gui")]
fn viewer(paths: Vec<std::path::PathBuf>, options: sitelens::LoadOptions) -> ExitCode {
    match sitelens::app::run(paths, options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "gui")]
fn render(args: &sitelens::cli::RenderArgs) -> ExitCode {
    report(sitelens::app::render::run(args))
}

#[cfg(feature = "gui")]
fn sheet(args: &sitelens::cli::SheetArgs) -> ExitCode {
    report(sitelens::app::sheet::run(args))
}

#[cfg(not(feature = "gui"))]
fn sheet(_: &sitelens::cli::SheetArgs) -> ExitCode {
    eprintln!(
        "error: this sitelens was built without the viewer (feature `gui`), which draws sheets"
    );
    ExitCode::FAILURE
}

#[cfg(not(feature = "gui"))]
fn render(_: &sitelens::cli::RenderArgs) -> ExitCode {
    eprintln!(
        "error: this sitelens was built without the viewer (feature `gui`), which draws maps"
    );
    ExitCode::FAILURE
}

#[cfg(not(feature = "gui"))]
fn viewer(_: Vec<std::path::PathBuf>, _: sitelens::LoadOptions) -> ExitCode {
    eprintln!(
        "error: this sitelens was built without the viewer (feature `gui`); try `sitelens info`"
    );
    ExitCode::FAILURE
}

/// Prints a command's summary, or its error with the chain of causes.
fn report(result: anyhow::Result<String>) -> ExitCode {
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", sitelens::cli::error_text(&e));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_is_the_option_we_think() {
        // mimalloc lists its options with MIMALLOC_VERBOSE=1: the 16th is purge_delay = 1000.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reads the allocator's option table.
            let value = unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) };
            assert_eq!(value, MI_PURGE_DELAY_DEFAULT);
        }
    }
}
