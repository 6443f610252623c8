//! Stamps the git commit into the binary (`sitelens --version`, every export's provenance) and
//! checks the embedded data files before they are compiled in.
//!
//! Reproducible: the same commit gives the same binary; a build date is added only when
//! SOURCE_DATE_EPOCH is set (and is then that date). Outside a git checkout (a source tarball) the
//! commit is "unknown". No build-dependencies: git is run as a command.

use std::path::Path;
use std::process::Command;

fn main() {
    let mut stamp = commit().unwrap_or_else(|| "unknown".into());
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    if let Some(date) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .map(date_of)
    {
        stamp = format!("{stamp}, built {date}");
    }
    println!("cargo:rustc-env=SITELENS_BUILD={stamp}");
    if let Err(e) = check_embedded_data() {
        eprintln!("error: embedded data: {e}");
        std::process::exit(1);
    }
}

/// The short commit of HEAD, and what to watch so that a commit or checkout reruns this script
/// (HEAD, the branch it points to, packed refs), not every build.
fn commit() -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).output().ok()?;
        let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !text.is_empty()).then_some(text)
    };
    let hash = git(&["rev-parse", "--short", "HEAD"])?;
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])?];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.extend(git(&["rev-parse", "--git-path", &branch]));
    }
    watched.extend(git(&["rev-parse", "--git-path", "packed-refs"]));
    for path in watched.iter().filter(|p| Path::new(p).exists()) {
        println!("cargo:rerun-if-changed={path}");
    }
    Some(hash)
}

/// YYYY-MM-DD of a Unix time (UTC; the civil-from-days algorithm of H. Hinnant).
fn date_of(secs: i64) -> String {
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Every file `src/embedded.rs` embeds exists and is not empty, and data/hino/SOURCES.md names
/// every file of data/hino (the sources and licences of what is shipped).
fn check_embedded_data() -> Result<(), String> {
    for path in ["src/embedded.rs", "data/hino", "data/sample"] {
        println!("cargo:rerun-if-changed={path}");
    }
    let table =
        std::fs::read_to_string("src/embedded.rs").map_err(|e| format!("src/embedded.rs: {e}"))?;
    let files: Vec<&str> = table
        .split("embed!(")
        .skip(1)
        .filter_map(|call| call.split('"').nth(1))
        .collect();
    if files.is_empty() {
        return Err("src/embedded.rs embeds no file (no embed!(\"…\") entries found)".into());
    }
    for file in &files {
        let path = Path::new("data").join(file);
        match std::fs::metadata(&path) {
            Ok(m) if m.len() > 0 => {}
            Ok(_) => return Err(format!("{} is empty", path.display())),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    let sources = std::fs::read_to_string("data/hino/SOURCES.md")
        .map_err(|e| format!("data/hino/SOURCES.md: {e}"))?;
    let entries = std::fs::read_dir("data/hino").map_err(|e| format!("data/hino: {e}"))?;
    for entry in entries {
        let name = entry
            .map_err(|e| format!("data/hino: {e}"))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name != "SOURCES.md" && !sources.contains(&name) {
            return Err(format!(
                "data/hino/{name} is not in data/hino/SOURCES.md: add its source and licence"
            ));
        }
    }
    Ok(())
}
