//! A table's rows a page at a time, in a sort order, for the viewer's attribute table: the
//! table is never held whole. `ORDER BY` names a column found in the catalogue (quoted), the
//! filter is pushed down, the page is `LIMIT`/`OFFSET`, or for a page right after one already
//! read, `LIMIT` from that page's last row (keyset paging: the server starts where it left off
//! rather than walking past every row before), all values bound.

use std::path::Path;

use super::{LoadOptions, open, pushed, rows};
use crate::error::LoadError;
use crate::filter::sql::quote_ident;
use crate::model::{Feature, FieldType};

/// A sort: the field's name and whether ascending.
pub type SortBy<'a> = Option<(&'a str, bool)>;

/// Where a page starts: at a row number, or just after a row already read (keyset paging).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// `OFFSET`: the server walks past every row before it.
    Offset(u64),
    /// After the row whose id is `record` (as `Feature::record` holds it), row `offset - 1`:
    /// the server starts from that row's place in the order, however deep it is. A table without
    /// an integer id (its order has no tie-break to start from) is read from `offset`.
    After { record: u64, offset: u64 },
}

/// Rows `offset ..offset + limit` of `url`'s table in the order `sort` gives (then by the id),
/// with the filter of `options` pushed down, whole (geometry unsimplified, every attribute).
/// The order is the attribute table's: numbers by value, text by code point, NULLs last when
/// ascending and first when descending.
pub fn page(
    url: &str,
    options: &LoadOptions,
    sort: SortBy<'_>,
    offset: u64,
    limit: usize,
) -> Result<Vec<Feature>, LoadError> {
    page_from(url, options, sort, Start::Offset(offset), limit)
}

/// The `limit` rows from `start` in the order [`page`] gives. `Start::After` compares with the
/// row itself on the server (its key read by its id), so no value goes through the client's
/// types.
pub fn page_from(
    url: &str,
    options: &LoadOptions,
    sort: SortBy<'_>,
    start: Start,
    limit: usize,
) -> Result<Vec<Feature>, LoadError> {
    let opened = open(url)?;
    let err = |m: String| LoadError::invalid(Path::new(url), m);
    let options = LoadOptions {
        bbox_hint: None,
        ..options.clone()
    };
    let mut sql = pushed(&opened, &options).map_err(err)?.sql;
    let from = opened.from();
    let mut key: Option<SortKey> = None;
    if let Some((name, ascending)) = sort {
        let column = opened
            .table
            .columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| err(format!("no column '{name}' in the table")))?;
        key = Some(SortKey {
            column: quote_ident(&column.name),
            // Text (and what is read as text) compares by code point, as the client does.
            text: !matches!(
                column.field_type,
                FieldType::Int | FieldType::Float | FieldType::Bool
            ),
            ascending,
        });
    }
    let id = opened.table.id.as_ref().map(|id| quote_ident(id));
    let start = match (start, &id) {
        (Start::After { offset, .. }, None) => Start::Offset(offset),
        (start, _) => start,
    };
    if let (Start::After { record, .. }, Some(id)) = (start, &id) {
        // The id as the table holds it (a negative one is kept in the record's bits).
        let last = sql.bind((record as i64).to_string(), "int8");
        let after_id = format!("{from}.{id} > {last}");
        let term = match &key {
            None => after_id,
            Some(key) => {
                let mine = key.of(&from);
                let theirs = format!(
                    "(SELECT {} FROM {from} AS sitelens_last WHERE sitelens_last.{id} = {last})",
                    key.of("sitelens_last")
                );
                // NULLs come last ascending and first descending, then each run by the id.
                if key.ascending {
                    format!(
                        "(CASE WHEN {theirs} IS NULL THEN {mine} IS NULL AND {after_id} \
                         ELSE {mine} > {theirs} OR ({mine} = {theirs} AND {after_id}) \
                         OR {mine} IS NULL END)"
                    )
                } else {
                    format!(
                        "(CASE WHEN {theirs} IS NULL THEN ({mine} IS NULL AND {after_id}) \
                         OR {mine} IS NOT NULL \
                         ELSE {mine} < {theirs} OR ({mine} = {theirs} AND {after_id}) END)"
                    )
                }
            }
        };
        sql.text = if sql.text.is_empty() {
            term
        } else {
            format!("({}) AND {term}", sql.text)
        };
    }
    let mut order = Vec::new();
    if let Some(key) = &key {
        order.push(if key.ascending {
            format!("{} ASC NULLS LAST", key.of(&from))
        } else {
            format!("{} DESC NULLS FIRST", key.of(&from))
        });
    }
    if let Some(id) = &id {
        order.push(format!("{from}.{id} ASC"));
    }
    let limit = sql.bind(limit.to_string(), "int8");
    let mut tail = String::new();
    if !order.is_empty() {
        tail = format!(" ORDER BY {}", order.join(", "));
    }
    tail.push_str(&format!(" LIMIT {limit}"));
    if let Start::Offset(offset) = start {
        let offset = sql.bind(offset.to_string(), "int8");
        tail.push_str(&format!(" OFFSET {offset}"));
    }
    let geometry = format!("ST_AsBinary({})", quote_ident(&opened.table.geometry));
    let select = rows::select_with(&opened.table, &geometry, sql, &tail);
    Ok(super::view::read_layer(opened, url, &select, &options)?.features)
}

/// The column a page is sorted by.
struct SortKey {
    /// Its name, quoted.
    column: String,
    /// Whether it compares as text (by code point).
    text: bool,
    ascending: bool,
}

impl SortKey {
    /// The key of the rows of `row` (the table's name or an alias). Qualified: a bare name in
    /// ORDER BY would pick the output column of that name first, which is the column's text.
    fn of(&self, row: &str) -> String {
        if self.text {
            format!("({row}.{}::text) COLLATE \"C\"", self.column)
        } else {
            format!("{row}.{}", self.column)
        }
    }
}

/// The rows of `url`'s table the pushed-down part of `options`' filter passes, counted.
pub fn count_rows(url: &str, options: &LoadOptions) -> Result<u64, LoadError> {
    let opened = open(url)?;
    let err = |m: String| LoadError::invalid(Path::new(url), m);
    let options = LoadOptions {
        bbox_hint: None,
        ..options.clone()
    };
    let sql = pushed(&opened, &options).map_err(err)?.sql;
    let text = format!("SELECT count(*)::text {}", opened.table_where(&sql));
    let rows = opened.session.run(&text, &sql.params).map_err(err)?;
    rows.text(0, 0)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| err("the server sent no count".into()))
}
