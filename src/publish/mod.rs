//! `sitelens publish` (issue #16, in progress): a dataset package for open-data catalogues. So far
//! the terms of reuse (`terms.rs`) and the one description of a package with its DCAT JSON-LD and
//! CKAN documents (`package.rs`); the package writer (data files, checksums, the オープンデータ一覧
//! row, README, licence file) and the command come next.

pub mod package;
pub mod terms;
