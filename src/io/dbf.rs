//! dBASE (.dbf) attribute tables of shapefiles, with the text encoding decided in the order
//! user override > .cpg > LDID > strict UTF-8 > CP932 (../shared/DOMAIN.md).
//!
//! Read here rather than with the `dbase` crate, which skips deleted records (so record *n* no
//! longer pairs with shape *n*), reads 'F' fields as f32 (0.1 becomes 0.100000001) and decodes
//! text lossily before an encoding can be checked. dBASE III/IV and Visual FoxPro field types.

use encoding_rs::Encoding;

use super::text;
use crate::model::{Field, FieldType, TextEncoding, Value, Warning};

/// The attribute table, one row per record, aligned with `fields`.
pub struct Table {
    pub fields: Vec<Field>,
    pub rows: Vec<Vec<Value>>,
    pub encoding: TextEncoding,
    pub warnings: Vec<Warning>,
    /// Records in the file (rows may be fewer when only some were asked for).
    pub record_count: usize,
}

struct Column {
    kind: u8,
    offset: usize,
    len: usize,
    decimals: u8,
}

/// Code page of a DBF language driver id (byte 29), per ESRI's and GDAL's tables. DOS code pages
/// encoding_rs lacks (437, 850, …) map to `None`.
fn ldid_encoding(ldid: u8) -> Option<&'static Encoding> {
    let code_page = match ldid {
        0x13 | 0x7B => "932",
        0x4D | 0x7A => "936",
        0x4E | 0x79 => "949",
        0x4F | 0x78 => "950",
        0x50 | 0x7C => "874",
        0x03 | 0x57 | 0x58 | 0x59 => "1252",
        0x26 | 0x65 => "866",
        0x7D => "1255",
        0x7E => "1256",
        0xC8 => "1250",
        0xC9 => "1251",
        0xCA => "1254",
        0xCB => "1253",
        0xCC => "1257",
        _ => return None,
    };
    text::encoding_for_label(code_page)
}

/// Reads a .dbf: every row, or with `only` the rows of those record numbers (ascending), in that
/// order. `Err` only when the header itself is unusable; bad records become warnings and nulls.
pub fn read(
    bytes: &[u8],
    cpg: Option<&[u8]>,
    user: Option<&str>,
    only: Option<&[usize]>,
) -> Result<Table, String> {
    if bytes.len() < 32 {
        return Err(format!(".dbf header is truncated ({} bytes)", bytes.len()));
    }
    let mut warnings = Vec::new();
    let declared_records = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let declared_record_len = u16::from_le_bytes([bytes[10], bytes[11]]) as usize;
    let ldid = bytes[29];

    // Field descriptors: 32 bytes each, ended by 0x0D.
    let mut raw_names: Vec<&[u8]> = Vec::new();
    let mut columns = Vec::new();
    let mut offset = 1; // after the deletion flag
    let mut pos = 32;
    while pos + 32 <= bytes.len() && bytes[pos] != 0x0D {
        let d = &bytes[pos..pos + 32];
        let name_end = d[..11].iter().position(|&b| b == 0).unwrap_or(11);
        raw_names.push(&d[..name_end]);
        let len = d[16] as usize;
        columns.push(Column {
            kind: d[11].to_ascii_uppercase(),
            offset,
            len,
            decimals: d[17],
        });
        offset += len;
        pos += 32;
    }
    let record_len = offset;
    let data_start = if header_len > pos && header_len <= bytes.len() {
        header_len
    } else {
        warnings.push(Warning::file(format!(
            ".dbf header length {header_len} does not fit its field list; read from byte {}",
            pos + 1
        )));
        // A field list that runs to the end of the file (no 0x0D) leaves no records.
        (pos + 1).min(bytes.len())
    };
    if declared_record_len != record_len && declared_record_len != 0 {
        warnings.push(Warning::file(format!(
            ".dbf header says records are {declared_record_len} bytes, its fields add up to \
             {record_len}; the fields were followed"
        )));
    }
    let stride = declared_record_len.max(record_len);
    let available = bytes.len().saturating_sub(data_start) / stride;
    let count = if declared_records > available {
        warnings.push(Warning::file(format!(
            ".dbf header says {declared_records} records, the file holds {available}; read those"
        )));
        available
    } else {
        declared_records
    };
    let records = &bytes[data_start..data_start + count * stride];

    let (encoding, decided_by) = choose_encoding(
        &raw_names,
        &columns,
        records,
        stride,
        cpg,
        user,
        ldid,
        &mut warnings,
    )?;

    let mut fields: Vec<Field> = raw_names
        .iter()
        .zip(&columns)
        .map(|(raw, c)| Field {
            name: encoding
                .decode_without_bom_handling(raw)
                .0
                .trim()
                .to_string(),
            field_type: column_type(c),
        })
        .collect();
    dedupe_names(&mut fields);

    let selected: Box<dyn Iterator<Item = usize>> = match only {
        Some(ids) => Box::new(ids.iter().copied().filter(|&i| i < count)),
        None => Box::new(0..count),
    };
    let mut rows = Vec::with_capacity(only.map_or(count, <[usize]>::len));
    let mut deleted = 0;
    for i in selected {
        let record = &records[i * stride..(i + 1) * stride];
        if record[0] == b'*' {
            deleted += 1;
        }
        let mut row = Vec::with_capacity(columns.len());
        for (c, field) in columns.iter().zip(&fields) {
            let raw = &record[c.offset..c.offset + c.len];
            match parse_value(c, raw, encoding) {
                Ok(v) => row.push(v),
                Err(e) => {
                    warnings.push(Warning::record(
                        i as u64,
                        format!("field '{}': {e}; read as null", field.name),
                    ));
                    row.push(Value::Null);
                }
            }
        }
        rows.push(row);
    }
    if deleted > 0 {
        warnings.push(Warning::file(format!(
            "{deleted} record(s) are marked deleted in the .dbf; kept, so that shapes and records stay paired"
        )));
    }
    Ok(Table {
        fields,
        rows,
        encoding: text::chosen(encoding, decided_by),
        warnings,
        record_count: count,
    })
}

#[allow(clippy::too_many_arguments)]
fn choose_encoding(
    names: &[&[u8]],
    columns: &[Column],
    records: &[u8],
    stride: usize,
    cpg: Option<&[u8]>,
    user: Option<&str>,
    ldid: u8,
    warnings: &mut Vec<Warning>,
) -> Result<(&'static Encoding, &'static str), String> {
    if let Some(label) = user {
        return text::encoding_for_label(label)
            .map(|e| (e, "user"))
            .ok_or_else(|| format!("unknown encoding '{label}'"));
    }
    if let Some(cpg) = cpg {
        let label = String::from_utf8_lossy(cpg);
        match text::encoding_for_label(&label) {
            Some(e) => return Ok((e, "cpg")),
            None => warnings.push(Warning::file(format!(
                ".cpg names an unknown encoding '{}'; ignored",
                label.trim()
            ))),
        }
    }
    if let Some(e) = ldid_encoding(ldid) {
        return Ok((e, "ldid"));
    }
    // Strict UTF-8 over the field names and every text field of every record.
    let text_valid = |bytes: &[u8]| std::str::from_utf8(bytes).is_ok();
    let names_ok = names.iter().all(|n| text_valid(n));
    let records_ok = records.chunks_exact(stride).all(|r| {
        columns
            .iter()
            .filter(|c| matches!(c.kind, b'C' | b'M' | b'V'))
            .all(|c| {
                text_valid(&r[c.offset..c.offset + c.len])
                    || utf8_cut_at_end(&r[c.offset..c.offset + c.len])
            })
    });
    if names_ok && records_ok {
        return Ok((encoding_rs::UTF_8, "utf-8 check"));
    }
    // CP932 is the rule for Japanese files. Text that is not even valid CP932 would turn into
    // mojibake: read it as windows-1252 (every byte decodes) and say so.
    let cp932 = encoding_rs::SHIFT_JIS;
    let cp932_ok = names
        .iter()
        .all(|n| text::decode_strict(n, cp932).is_some())
        && records.chunks_exact(stride).all(|r| {
            columns
                .iter()
                .filter(|c| matches!(c.kind, b'C' | b'M' | b'V'))
                .all(|c| {
                    let cell = &r[c.offset..c.offset + c.len];
                    text::decode_strict(cell, cp932).is_some()
                        || text::decode_strict(&cell[..cell.len().saturating_sub(1)], cp932)
                            .is_some()
                })
        });
    if cp932_ok {
        Ok((cp932, "fallback (not UTF-8)"))
    } else {
        warnings.push(Warning::file(
            "text is neither UTF-8 nor CP932; read as windows-1252: if it looks wrong, set the \
             layer's encoding",
        ));
        Ok((encoding_rs::WINDOWS_1252, "fallback (not UTF-8 or CP932)"))
    }
}

/// A fixed-width field can cut a UTF-8 character in two at its end; that still counts as UTF-8.
fn utf8_cut_at_end(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

fn column_type(c: &Column) -> FieldType {
    match c.kind {
        b'N' if c.decimals == 0 && c.len <= 18 => FieldType::Int,
        b'N' | b'F' | b'O' | b'B' | b'Y' => FieldType::Float,
        b'I' | b'+' => FieldType::Int,
        b'L' => FieldType::Bool,
        b'D' => FieldType::Date,
        _ => FieldType::Text,
    }
}

fn parse_value(c: &Column, raw: &[u8], encoding: &'static Encoding) -> Result<Value, String> {
    let ascii = || {
        String::from_utf8_lossy(raw)
            .trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_string()
    };
    Ok(match c.kind {
        b'N' | b'F' => {
            let s = ascii();
            if s.is_empty() || s.bytes().all(|b| b == b'*' || b == b'.') {
                Value::Null
            } else if column_type(c) == FieldType::Int {
                match s.parse::<i64>() {
                    Ok(i) => Value::Int(i),
                    // Integral columns sometimes hold "12.0" or overflow: keep the number.
                    Err(_) => Value::Float(
                        s.parse::<f64>()
                            .map_err(|_| format!("'{s}' is not a number"))?,
                    ),
                }
            } else {
                Value::Float(
                    s.replace(',', ".")
                        .parse::<f64>()
                        .map_err(|_| format!("'{s}' is not a number"))?,
                )
            }
        }
        b'L' => match raw.first().copied().unwrap_or(b'?') {
            b'T' | b't' | b'Y' | b'y' => Value::Bool(true),
            b'F' | b'f' | b'N' | b'n' => Value::Bool(false),
            _ => Value::Null,
        },
        b'D' => {
            let s = ascii();
            if s.is_empty() || s.bytes().all(|b| b == b'0') {
                Value::Null
            } else if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
                Value::Date(format!("{}-{}-{}", &s[0..4], &s[4..6], &s[6..8]))
            } else {
                return Err(format!("'{s}' is not a date (YYYYMMDD)"));
            }
        }
        b'I' | b'+' if raw.len() == 4 => {
            Value::Int(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]) as i64)
        }
        b'O' | b'B' if raw.len() == 8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(raw);
            Value::Float(f64::from_le_bytes(b))
        }
        b'Y' if raw.len() == 8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(raw);
            Value::Float(i64::from_le_bytes(b) as f64 / 10_000.0)
        }
        b'C' | b'V' => {
            let s = encoding.decode_without_bom_handling(raw).0;
            let s = s.trim_end_matches([' ', '\0']).trim_start_matches(' ');
            if s.is_empty() {
                Value::Null
            } else {
                Value::Text(s.to_string())
            }
        }
        // Memo pointers (M) need the .dbt/.fpt, which shapefiles do not carry; others unknown.
        other => {
            let s = ascii();
            if s.is_empty() {
                Value::Null
            } else if other == b'M' {
                return Err("memo fields need a .dbt file, which is not read".into());
            } else {
                Value::Text(s)
            }
        }
    })
}

/// Makes field names unique ("NAME", "NAME_2"), so every column can be addressed.
fn dedupe_names(fields: &mut [Field]) {
    let mut seen = std::collections::HashSet::new();
    for field in fields.iter_mut() {
        if field.name.is_empty() {
            field.name = "field".into();
        }
        if !seen.insert(field.name.clone()) {
            let mut n = 2;
            while !seen.insert(format!("{}_{n}", field.name)) {
                n += 1;
            }
            field.name = format!("{}_{n}", field.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dBASE III table with one C(10) field named in CP932 and given rows.
    fn table(name: &[u8], rows: &[&[u8]], ldid: u8) -> Vec<u8> {
        let mut b = vec![0u8; 32];
        b[0] = 3;
        b[4..8].copy_from_slice(&(rows.len() as u32).to_le_bytes());
        b[8..10].copy_from_slice(&(32u16 + 32 + 1).to_le_bytes());
        b[10..12].copy_from_slice(&11u16.to_le_bytes());
        b[29] = ldid;
        let mut d = [0u8; 32];
        d[..name.len()].copy_from_slice(name);
        d[11] = b'C';
        d[16] = 10;
        b.extend_from_slice(&d);
        b.push(0x0D);
        for row in rows {
            b.push(b' ');
            let mut cell = [b' '; 10];
            cell[..row.len()].copy_from_slice(row);
            b.extend_from_slice(&cell);
        }
        b.push(0x1A);
        b
    }

    #[test]
    fn cp932_without_cpg_or_ldid_is_detected() {
        // 名称 / 日野市 in CP932.
        let dbf = table(
            &[0x96, 0xBC, 0x8F, 0xCC],
            &[&[0x93, 0xFA, 0x96, 0xEC, 0x8E, 0x73]],
            0,
        );
        let t = read(&dbf, None, None, None).unwrap();
        assert_eq!(t.fields[0].name, "名称");
        assert_eq!(t.rows[0][0], Value::Text("日野市".into()));
        assert_eq!(t.encoding.name, "CP932");
        assert_eq!(t.encoding.decided_by, "fallback (not UTF-8)");
    }

    #[test]
    fn decision_order_user_cpg_ldid_utf8() {
        let dbf = table(b"NAME", &["日野".as_bytes()], 0);
        assert_eq!(
            read(&dbf, None, None, None).unwrap().encoding.decided_by,
            "utf-8 check"
        );
        let t = read(&dbf, Some(b"932"), None, None).unwrap();
        assert_eq!(t.encoding.decided_by, "cpg");
        let t = read(&dbf, Some(b"932"), Some("utf-8"), None).unwrap();
        assert_eq!(
            (t.encoding.decided_by.as_str(), &t.rows[0][0]),
            ("user", &Value::Text("日野".into()))
        );
        let dbf = table(b"NAME", &[b"abc"], 0x13);
        assert_eq!(read(&dbf, None, None, None).unwrap().encoding.name, "CP932");
        assert!(read(&dbf, None, Some("nonsense"), None).is_err());
    }

    #[test]
    fn field_list_without_terminator_reads_no_records_and_does_not_panic() {
        let mut dbf = vec![0u8; 64];
        dbf[0] = 3;
        dbf[4] = 5; // five records claimed
        dbf[32] = b'A';
        dbf[32 + 11] = b'C';
        dbf[32 + 16] = 10;
        let t = read(&dbf, None, None, None).unwrap();
        assert_eq!(t.rows.len(), 0);
        assert_eq!(t.fields.len(), 1);
    }

    #[test]
    fn header_claiming_more_records_reads_what_is_there() {
        let mut dbf = table(b"NAME", &[b"a", b"b"], 0);
        dbf[4..8].copy_from_slice(&1_000_000u32.to_le_bytes());
        let t = read(&dbf, None, None, None).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert!(
            t.warnings
                .iter()
                .any(|w| w.message.contains("1000000 records"))
        );
    }
}
