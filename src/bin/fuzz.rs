//! The libFuzzer harness for every fuzz target; `SITELENS_FUZZ_TARGET` (geojson, shapefile, csv,
//! kml, filter, crs) picks the one to run. Built with coverage instrumentation and run by
//! `.ci/fuzz`; the targets themselves are in `sitelens::fuzzing`.
#![no_main]

use std::sync::OnceLock;

fn target() -> fn(&[u8]) {
    static TARGET: OnceLock<fn(&[u8])> = OnceLock::new();
    *TARGET.get_or_init(|| {
        // libFuzzer's hook turns every panic into a crash; a panic sitelens catches on purpose
        // (sitelens::guard) is not one.
        let crash = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !sitelens::guard::panic_is_caught() {
                crash(info);
            }
        }));
        let name = std::env::var("SITELENS_FUZZ_TARGET").unwrap_or_default();
        sitelens::fuzzing::by_name(&name).unwrap_or_else(|| {
            eprintln!(
                "set SITELENS_FUZZ_TARGET to one of: {}",
                sitelens::fuzzing::TARGETS.join(", ")
            );
            std::process::exit(2)
        })
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| target()(data));
