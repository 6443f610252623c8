//! Site sheets: PDF pages and text read back with poppler's pdfinfo/pdftotext, PNG size and
//! content, the public profile, and mistakes.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use crate::render::{count_near, read_png};
use crate::run_ok;

fn poppler(tool: &str, pdf: &Path) -> String {
    let out = Command::new(tool)
        .arg(pdf)
        .arg(if tool == "pdftotext" {
            "-"
        } else {
            "-isodates"
        })
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils, installed by .ci/setup): {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn three_sites_make_a_three_page_a4_pdf_with_their_text() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("top3.pdf");
    let said = run_ok(&[
        OsStr::new("sheet"),
        OsStr::new("--site"),
        OsStr::new("S-10,S-05,S-15"),
        OsStr::new("-o"),
        pdf.as_os_str(),
    ]);
    assert!(said.contains("3 sheets, public profile"), "{said}");
    let info = poppler("pdfinfo", &pdf);
    assert!(info.contains("Pages:           3"), "{info}");
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
    let text = poppler("pdftotext", &pdf);
    let pages: Vec<&str> = text.split('\u{c}').collect();
    for (page, id) in pages.iter().zip(["S-10", "S-05", "S-15"]) {
        assert!(
            page.contains(&format!("サンプル用地 {id}（架空）")),
            "{id} page: {page}"
        );
        // Metrics, the notices and the credits are on every page.
        for expected in [
            "最寄りIC",
            "容積率",
            "架空のサンプルデータです",
            "参考図",
            "出典：国土数値情報（鉄道データ）",
            "例示ルール",
        ] {
            assert!(page.contains(expected), "{id}: no {expected:?} in {page}");
        }
        // Public profile: no price, owner or contact, by name or by value.
        for hidden in ["価格", "所有者", "連絡先", "地権者", "042-000"] {
            assert!(!page.contains(hidden), "{id}: {hidden:?} leaked");
        }
    }
}

#[test]
fn internal_profile_shows_the_internal_fields() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("s01.pdf");
    run_ok(&[
        OsStr::new("sheet"),
        OsStr::new("--site"),
        OsStr::new("S-01"),
        OsStr::new("--profile"),
        OsStr::new("internal"),
        OsStr::new("-o"),
        pdf.as_os_str(),
    ]);
    let text = poppler("pdftotext", &pdf);
    assert!(
        text.contains("所有者") && text.contains("042-000-1001"),
        "{text}"
    );
    assert!(text.contains("内部用"), "{text}");
}

#[test]
fn a_png_sheet_is_a4_at_150_dpi_with_the_site_highlighted() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("s10.png");
    run_ok(&[
        OsStr::new("sheet"),
        OsStr::new("--site"),
        OsStr::new("S-10"),
        OsStr::new("-o"),
        png.as_os_str(),
    ]);
    let (w, h, px) = read_png(&png);
    assert_eq!((w, h), (1240, 1754));
    // The selection's cyan outline and the sample banner's red.
    assert!(count_near(&px, [0, 200, 255], 10) > 300, "highlighted site");
    assert!(count_near(&px, [170, 30, 30], 3) > 2000, "sample banner");
}

#[test]
fn sheet_mistakes_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sitelens"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = run(&["sheet", "--site", "S-99", "-o", "x.pdf"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no site \"S-99\"") && err.contains("S-01"),
        "{err}"
    );
    let out = run(&["sheet", "--site", "S-01,S-02", "-o", "x.png"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("a PNG holds one sheet"));
    let out = run(&["sheet", "--site", "S-01", "-o", "x.svg"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("write .pdf or .png"));
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
}
