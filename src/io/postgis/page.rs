//! A table's rows a page at a time, in a sort order, for the viewer's attribute table: the
//! table is never held whole. `ORDER BY` names a column found in the catalogue (quoted), the
//! filter is pushed down, the page is `LIMIT`/`OFFSET`, all values bound.

use std::path::Path;

use super::{LoadOptions, open, pushed, rows};
use crate::error::LoadError;
use crate::filter::sql::quote_ident;
use crate::model::{Feature, FieldType};

/// A sort: the field's name and whether ascending.
pub type SortBy<'a> = Option<(&'a str, bool)>;

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
    let opened = open(url)?;
    let err = |m: String| LoadError::invalid(Path::new(url), m);
    let options = LoadOptions {
        bbox_hint: None,
        ..options.clone()
    };
    let mut sql = pushed(&opened, &options).map_err(err)?.sql;
    let mut order = Vec::new();
    if let Some((name, ascending)) = sort {
        let column = opened
            .table
            .columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| err(format!("no column '{name}' in the table")))?;
        // Qualified: a bare name in ORDER BY would pick the output column of that name first,
        // which is the column's text.
        let quoted = format!("{}.{}", opened.from(), quote_ident(&column.name));
        // Text (and what is read as text) compares by code point, as the client does.
        let key = match column.field_type {
            FieldType::Int | FieldType::Float | FieldType::Bool => quoted,
            FieldType::Text | FieldType::Json | FieldType::Date => {
                format!("({quoted}::text) COLLATE \"C\"")
            }
        };
        order.push(if ascending {
            format!("{key} ASC NULLS LAST")
        } else {
            format!("{key} DESC NULLS FIRST")
        });
    }
    if let Some(id) = &opened.table.id {
        order.push(format!("{}.{} ASC", opened.from(), quote_ident(id)));
    }
    let limit = sql.bind(limit.to_string(), "int8");
    let offset = sql.bind(offset.to_string(), "int8");
    let mut tail = String::new();
    if !order.is_empty() {
        tail = format!(" ORDER BY {}", order.join(", "));
    }
    tail.push_str(&format!(" LIMIT {limit} OFFSET {offset}"));
    let geometry = format!("ST_AsBinary({})", quote_ident(&opened.table.geometry));
    let select = rows::select_with(&opened.table, &geometry, sql, &tail);
    Ok(super::view::read_layer(opened, url, &select, &options)?.features)
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
