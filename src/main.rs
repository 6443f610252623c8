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
        Some(Command::Info { paths, json, read }) => {
            let mut out = std::io::stdout().lock();
            match info::run(&paths, json, &read.options(), &mut out) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("error: cannot write output: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Export(args)) => report(sitelens::cli::export::run(args.as_ref())),
        Some(Command::Render(args)) => render(&args),
        Some(Command::Sheet(args)) => sheet(&args),
        Some(Command::Project { path, init }) => {
            match sitelens::cli::project::run(&path, init, &mut std::io::stdout().lock()) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Open { paths, read }) => viewer(paths, read.options()),
        None => viewer(Vec::new(), Default::default()),
    }
}

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
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
