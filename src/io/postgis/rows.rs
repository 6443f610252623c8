//! A table's rows read through a server-side cursor, one batch at a time: the server holds the
//! result, the client holds one batch. Geometry comes as WKB (`ST_AsBinary`, decoded by
//! [`crate::io::wkb`]), every other column as its text form, typed here by the column's type.

use super::Session;
use super::catalog::{Column, Table};
use crate::filter::sql::{Sql, quote_ident};
use crate::io::wkb;
use crate::model::{Feature, FieldType, Value, Warning};

/// Rows fetched per round trip: about a megabyte of polygons, few enough trips that latency
/// does not matter.
pub const BATCH_ROWS: usize = 5_000;

/// The cursor's name (one per transaction, and a session runs one read at a time).
const CURSOR: &str = "sitelens_rows";

/// The SELECT that reads `table`'s features, with `filter` (SQL over the table's columns and
/// its parameters) as the WHERE clause; ordered by the id, so output does not depend on the
/// plan. The id's text goes out under another name: ORDER BY a bare name picks an output
/// column of that name first, which would sort the ids as text.
pub fn select(table: &Table, filter: Sql) -> Sql {
    let geometry = format!("ST_AsBinary({})", quote_ident(&table.geometry));
    let order = table
        .id
        .as_deref()
        .map(|id| format!(" ORDER BY {}", quote_ident(id)))
        .unwrap_or_default();
    select_with(table, &geometry, filter, &order)
}

/// The SELECT of `table`'s rows in the column order [`Batches`] reads (the id, the geometry
/// as `geometry` — an SQL expression giving WKB — and every column as text), with `filter`'s
/// text as the WHERE clause and `tail` (ORDER BY, LIMIT) after it. Parameters that `geometry`
/// or `tail` name are bound in `filter`.
pub fn select_with(table: &Table, geometry: &str, filter: Sql, tail: &str) -> Sql {
    let mut text = format!(
        "SELECT {} AS sitelens_record, {geometry}",
        table
            .id
            .as_deref()
            .map_or("NULL::text".to_string(), |id| format!(
                "{}::text",
                quote_ident(id)
            )),
    );
    for c in &table.columns {
        text.push_str(&format!(", {}::text", quote_ident(&c.name)));
    }
    text.push_str(&format!(
        " FROM {}.{}",
        quote_ident(&table.schema),
        quote_ident(&table.name)
    ));
    if !filter.text.is_empty() {
        text.push_str(" WHERE ");
        text.push_str(&filter.text);
    }
    text.push_str(tail);
    Sql {
        text,
        params: filter.params,
    }
}

/// One batch of features (in source coordinates) and what was skipped in them.
#[derive(Debug, Default)]
pub struct Batch {
    pub features: Vec<Feature>,
    pub warnings: Vec<Warning>,
}

/// The rows of a SELECT, batch by batch. Owns the session: the cursor lives in its
/// transaction, which ends when this is dropped.
pub struct Batches {
    session: Session,
    columns: Vec<Column>,
    /// Rows read so far (the record number of a table without an integer key).
    seen: u64,
    done: bool,
}

impl Batches {
    /// Opens a cursor on `select` (its parameters bound) in the session's read-only
    /// transaction.
    pub fn open(session: Session, table: &Table, select: &Sql) -> Result<Batches, String> {
        session
            .conn
            .exec(
                &format!("DECLARE {CURSOR} NO SCROLL CURSOR FOR {}", select.text),
                &select.params,
                false,
            )
            .map_err(|e| session.describe(&e))?;
        Ok(Batches {
            session,
            columns: table.columns.clone(),
            seen: 0,
            done: false,
        })
    }

    fn fetch(&mut self) -> Result<Batch, String> {
        let rows = self
            .session
            .conn
            .exec(
                &format!("FETCH FORWARD {BATCH_ROWS} FROM {CURSOR}"),
                &[],
                true,
            )
            .map_err(|e| self.session.describe(&e))?;
        if rows.len() < BATCH_ROWS {
            self.done = true;
        }
        let mut batch = Batch {
            features: Vec::with_capacity(rows.len()),
            warnings: Vec::new(),
        };
        for r in 0..rows.len() {
            let record = rows
                .get(r, 0)
                .and_then(|b| std::str::from_utf8(b).ok())
                // A negative id keeps its bits (`as i64` gives it back, as keyset paging needs).
                .and_then(|s| s.parse::<i64>().ok())
                .map_or(self.seen, |id| id as u64);
            self.seen += 1;
            let (geometry, z) = match rows.get(r, 1).map(wkb::read) {
                None => (None, None),
                Some(Ok(d)) => (d.geometry, d.z.map(Vec::into_boxed_slice)),
                Some(Err(e)) => {
                    batch.warnings.push(Warning::record(
                        record,
                        format!("unreadable geometry ({e}); geometry set to null"),
                    ));
                    (None, None)
                }
            };
            let values = self
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| value(rows.get(r, i + 2), c, record, &mut batch.warnings))
                .collect();
            batch.features.push(Feature {
                record,
                geometry,
                z,
                values,
            });
        }
        Ok(batch)
    }
}

impl Iterator for Batches {
    type Item = Result<Batch, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let batch = self.fetch();
        if batch.is_err() {
            self.done = true;
        }
        match batch {
            Ok(b) if b.features.is_empty() && self.done => None,
            other => Some(other),
        }
    }
}

/// One cell (its text form, or NULL) as the column's field type wants it; what does not read
/// as that type is kept as text, with a warning.
fn value(cell: Option<&[u8]>, c: &Column, record: u64, warnings: &mut Vec<Warning>) -> Value {
    let Some(bytes) = cell else {
        return Value::Null;
    };
    let text = crate::io::text::cell_text(bytes, &c.name, record, warnings);
    let parsed = match c.field_type {
        FieldType::Int => text.parse().ok().map(Value::Int),
        FieldType::Float => text.parse().ok().map(Value::Float),
        FieldType::Bool => match text.as_str() {
            "true" | "t" => Some(Value::Bool(true)),
            "false" | "f" => Some(Value::Bool(false)),
            _ => None,
        },
        FieldType::Date => crate::model::is_iso_date(&text).then(|| Value::Date(text.clone())),
        FieldType::Text | FieldType::Json => Some(Value::Text(text.clone())),
    };
    parsed.unwrap_or_else(|| {
        warnings.push(Warning::record(
            record,
            format!(
                "field '{}': '{text}' is not a {} ({}); kept as text",
                c.name,
                c.field_type.name(),
                c.declared
            ),
        ));
        Value::Text(text)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(field_type: FieldType) -> Column {
        Column {
            name: "c".into(),
            declared: "x".into(),
            field_type,
        }
    }

    #[test]
    fn cells_are_typed_by_their_column() {
        let mut w = Vec::new();
        let v = |bytes: Option<&[u8]>, t, w: &mut Vec<Warning>| value(bytes, &column(t), 0, w);
        assert_eq!(v(None, FieldType::Int, &mut w), Value::Null);
        assert_eq!(v(Some(b"-12"), FieldType::Int, &mut w), Value::Int(-12));
        assert_eq!(v(Some(b"0.1"), FieldType::Float, &mut w), Value::Float(0.1));
        assert_eq!(v(Some(b"true"), FieldType::Bool, &mut w), Value::Bool(true));
        assert_eq!(
            v(Some(b"2024-04-01"), FieldType::Date, &mut w),
            Value::Date("2024-04-01".into())
        );
        assert_eq!(
            v(Some("工業地域".as_bytes()), FieldType::Text, &mut w),
            Value::Text("工業地域".into())
        );
        assert!(w.is_empty());
        assert_eq!(
            v(Some(b"infinity"), FieldType::Date, &mut w),
            Value::Text("infinity".into())
        );
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn the_select_quotes_every_name() {
        let table = Table {
            schema: "s\"x".into(),
            name: "t; DROP".into(),
            geometry: "geom".into(),
            srid: 4326,
            geometry_type: "GEOMETRY".into(),
            id: Some("fid".into()),
            columns: vec![Column {
                name: "名\"前".into(),
                ..column(FieldType::Text)
            }],
            skipped: Vec::new(),
            oid: "1".into(),
            stored: true,
        };
        let sql = select(&table, Sql::default());
        assert_eq!(
            sql.text,
            "SELECT \"fid\"::text AS sitelens_record, ST_AsBinary(\"geom\"), \"名\"\"前\"::text \
             FROM \"s\"\"x\".\"t; DROP\" ORDER BY \"fid\""
        );
    }
}
