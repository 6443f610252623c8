//! `sitelens publish` (issue #16, in progress): a dataset package for open-data catalogues. So far
//! the terms of reuse (`terms.rs`); the package writer, metadata (DCAT JSON-LD, CKAN, the
//! オープンデータ一覧 row, README) and the command come next.

pub mod terms;
