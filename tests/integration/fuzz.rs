//! Fuzzing regressions: every input saved under tests/fuzz/TARGET (crashes the fuzzer found, now
//! fixed, and hostile inputs written by hand) goes through the same function the fuzz target
//! runs (`sitelens::fuzzing`), and must come back without a panic.

use std::path::Path;

use sitelens::fuzzing::{self, DBF_MARK, SHX_MARK};

use crate::{corpus, load_ok};

#[test]
fn saved_fuzz_inputs_do_not_crash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut replayed = 0;
    for target in fuzzing::TARGETS {
        let run = fuzzing::by_name(target).unwrap();
        let Ok(dir) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut files: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        files.sort();
        for file in files.iter().filter(|f| f.is_file()) {
            let bytes = std::fs::read(file).unwrap();
            let result = std::panic::catch_unwind(|| run(&bytes));
            assert!(result.is_ok(), "{target}: {} panics", file.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no saved inputs under {}", root.display());
}

#[test]
fn packed_shapefile_input_is_the_three_files() {
    let stem = corpus("pyshp/tests/shapefiles/blockgroups");
    let part = |ext: &str| std::fs::read(stem.with_extension(ext)).unwrap();
    let packed = [
        part("shp"),
        SHX_MARK.to_vec(),
        part("shx"),
        DBF_MARK.to_vec(),
        part("dbf"),
    ]
    .concat();
    let (shp, shx, dbf) = fuzzing::split_shapefile(&packed);
    assert_eq!(shp, part("shp"));
    assert_eq!(shx, Some(part("shx").as_slice()));
    assert_eq!(dbf, Some(part("dbf").as_slice()));
    let input = sitelens::io::Input::with_sidecars(
        "blockgroups.shp",
        shp.to_vec(),
        vec![
            ("shx".into(), shx.unwrap().to_vec()),
            ("dbf".into(), dbf.unwrap().to_vec()),
        ],
    );
    let layer = sitelens::io::load_input(input, &Default::default()).unwrap();
    let from_files = load_ok(&stem.with_extension("shp"));
    assert_eq!(layer.features.len(), from_files.features.len());
    assert_eq!(layer.fields, from_files.fields);
    assert_eq!(layer.features[3].values, from_files.features[3].values);
    // Without its marks the input is a lone .shp.
    assert_eq!(fuzzing::split_shapefile(b"abc"), (&b"abc"[..], None, None));
}
