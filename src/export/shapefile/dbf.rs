//! The .dbf of an exported Shapefile: dBASE III, written here (no dependency) so that field
//! names and text are measured and cut in the chosen encoding, on character boundaries, and a
//! character CP932 cannot hold is an error rather than a '?'.
//!
//! Types: text and JSON → C (as wide as the longest encoded value, at most 254 bytes: a longer
//! value is cut on a character boundary and reported), integers → N with the width of the widest,
//! floats → N with the decimals of the most precise shortest round-trip form (at least one, so
//! readers see a real; scientific notation when fixed would be wider than GDAL's default 24),
//! booleans → L, dates → D (YYYYMMDD). A null is blanks, which GDAL (3.6) and `io::dbf` read
//! as null in every type (GDAL takes L's older '?' for the text "?").

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{self, Write};

use crate::export::{DbfEncoding, Section};
use crate::model::{FieldType, Value};

/// Bytes a field name may have (the descriptor holds 11 with a terminating zero).
const NAME_BYTES: usize = 10;
/// The widest C field dBASE III allows.
const MAX_TEXT_BYTES: usize = 254;
/// Fixed-point floats wider than GDAL's default N(24,15) are written in scientific notation.
const MAX_FIXED_WIDTH: usize = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Char,
    Int,
    Float { scientific: bool },
    Logical,
    Date,
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::Char => b'C',
            Kind::Int | Kind::Float { .. } => b'N',
            Kind::Logical => b'L',
            Kind::Date => b'D',
        }
    }
}

/// One column of the table.
#[derive(Debug)]
struct Column {
    /// The name as the file holds it (cut to 10 bytes in the encoding).
    name: String,
    kind: Kind,
    width: usize,
    decimals: usize,
    /// The field feeding this column, per section.
    source: Vec<Option<usize>>,
}

/// A planned .dbf: its columns sized to the values, in one encoding.
#[derive(Debug)]
pub(super) struct Table {
    columns: Vec<Column>,
    encoding: DbfEncoding,
    /// Field names that changed, and what they became.
    pub renamed: Renamed,
    /// Values cut or left out, for the user.
    pub notes: Vec<String>,
}

/// Plans a .dbf's columns from the features going into the file, in two passes over them: the
/// union of the sections' fields by name (in order of first appearance), typed by the values
/// ([`Planner::types`]), then sized by them ([`Planner::sizes`]).
pub(super) struct Planner {
    names: Vec<String>,
    encoding: DbfEncoding,
    columns: Vec<Planned>,
    /// Whether the types are settled (the second pass has begun).
    typed: bool,
}

/// One column as it is planned.
struct Planned {
    column: Column,
    field_type: FieldType,
    /// Values too long: how many, and the first (layer and record).
    cut: Option<(usize, String)>,
    non_finite: usize,
    /// Widest integer part and most decimals of the fixed-point forms.
    fixed: (usize, usize),
    scientific: usize,
}

impl Planner {
    /// The columns of `sections`' fields (their number is the section's in the later calls).
    pub fn new(sections: &[Section<'_>], encoding: DbfEncoding) -> Self {
        let mut names: Vec<String> = Vec::new();
        for s in sections {
            for &c in &s.columns {
                let name = &s.layer.fields[c].name;
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        let columns = names
            .iter()
            .map(|name| {
                let source: Vec<Option<usize>> = sections
                    .iter()
                    .map(|s| {
                        s.columns
                            .iter()
                            .copied()
                            .find(|&c| s.layer.fields[c].name == *name)
                    })
                    .collect();
                let declared = sections
                    .iter()
                    .zip(&source)
                    .filter_map(|(s, c)| c.map(|c| s.layer.fields[c].field_type))
                    .reduce(FieldType::unify)
                    .unwrap_or(FieldType::Text);
                Planned {
                    column: Column {
                        name: name.clone(),
                        kind: Kind::Char,
                        width: 1,
                        decimals: 0,
                        source,
                    },
                    field_type: declared,
                    cut: None,
                    non_finite: 0,
                    fixed: (0, 0),
                    scientific: 1,
                }
            })
            .collect();
        Planner {
            names,
            encoding,
            columns,
            typed: false,
        }
    }

    /// First pass: the values of a feature of section `section` that goes into the file.
    pub fn types(&mut self, section: usize, values: &[Value]) {
        for p in &mut self.columns {
            let Some(v) = p.column.source[section].map(|c| values.get(c).unwrap_or(&Value::Null))
            else {
                continue;
            };
            let t = match v {
                Value::Date(d) if iso_date(d).is_none() => Some(FieldType::Text),
                v => v.field_type(),
            };
            if let Some(t) = t {
                p.field_type = p.field_type.unify(t);
            }
        }
    }

    /// Settles each column's kind from its type (once, after the first pass).
    fn settle(&mut self) {
        if self.typed {
            return;
        }
        self.typed = true;
        for p in &mut self.columns {
            p.column.kind = match p.field_type {
                FieldType::Text | FieldType::Json => Kind::Char,
                FieldType::Int => Kind::Int,
                FieldType::Float => Kind::Float { scientific: false },
                FieldType::Bool => Kind::Logical,
                FieldType::Date => Kind::Date,
            };
        }
    }

    /// Second pass, after every feature went through [`Planner::types`]: the same features'
    /// values, for the widths. `Err` names the layer, record and field of a value that cannot
    /// be written.
    pub fn sizes(
        &mut self,
        section: usize,
        layer: &str,
        record: u64,
        values: &[Value],
    ) -> Result<(), String> {
        self.settle();
        let encoding = self.encoding;
        for (p, name) in self.columns.iter_mut().zip(&self.names) {
            let Some(v) = p.column.source[section].map(|c| values.get(c).unwrap_or(&Value::Null))
            else {
                continue;
            };
            let column = &mut p.column;
            match column.kind {
                Kind::Char => {
                    let Some(text) = char_text(v) else { continue };
                    let bytes = encode(&text, encoding).map_err(|c| {
                        format!(
                            "layer {layer}, record {record}, field {name}: {} has no {} code; \
                             write UTF-8 or change the value",
                            describe_char(c),
                            encoding_name(encoding)
                        )
                    })?;
                    if bytes.len() > MAX_TEXT_BYTES {
                        let first = p
                            .cut
                            .get_or_insert((0, format!("layer {layer}, record {record}")));
                        first.0 += 1;
                    }
                    column.width = column.width.max(bytes.len().min(MAX_TEXT_BYTES));
                }
                Kind::Int => {
                    if let Value::Int(i) = v {
                        column.width = column.width.max(i.to_string().len());
                    }
                }
                Kind::Float { .. } => match v {
                    Value::Float(f) if !f.is_finite() => p.non_finite += 1,
                    Value::Float(_) | Value::Int(_) => {
                        let (int, frac) = shortest(v);
                        p.fixed = (p.fixed.0.max(int.len()), p.fixed.1.max(frac.len()));
                        p.scientific = p.scientific.max(scientific_text(v).len());
                    }
                    _ => {}
                },
                Kind::Logical => {}
                Kind::Date => column.width = 8,
            }
        }
        Ok(())
    }

    /// The table, once every feature went through both passes.
    pub fn finish(mut self) -> Result<Table, String> {
        self.settle();
        let mut notes = Vec::new();
        let mut columns = Vec::with_capacity(self.columns.len());
        for (p, name) in self.columns.into_iter().zip(&self.names) {
            let mut column = p.column;
            match column.kind {
                Kind::Float { .. } => {
                    column.decimals = p.fixed.1.max(1);
                    column.width = p.fixed.0.max(1) + 1 + column.decimals;
                    if column.width > MAX_FIXED_WIDTH {
                        column.kind = Kind::Float { scientific: true };
                        column.width = p.scientific.max(3);
                        column.decimals = 1;
                    }
                }
                Kind::Date => column.width = 8,
                _ => {}
            }
            if let Some((count, first)) = p.cut {
                notes.push(format!(
                    "field {name}: {count} value(s) longer than {MAX_TEXT_BYTES} bytes cut to fit \
                     (first: {first})"
                ));
            }
            if p.non_finite > 0 {
                notes.push(format!(
                    "field {name}: {} value(s) not a finite number written as null",
                    p.non_finite
                ));
            }
            columns.push(column);
        }
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let (out_names, renamed) = field_names(&names, self.encoding)?;
        for (column, out) in columns.iter_mut().zip(out_names) {
            column.name = out;
        }
        let table = Table {
            columns,
            encoding: self.encoding,
            renamed,
            notes,
        };
        if table.record_len() > u16::MAX as usize || table.header_len() > u16::MAX as usize {
            return Err(format!(
                "{} fields of {} bytes per record are more than a .dbf holds (65,535 bytes of \
                 header and of record)",
                table.columns.len(),
                table.record_len()
            ));
        }
        Ok(table)
    }
}

impl Table {
    fn header_len(&self) -> usize {
        32 + 32 * self.columns.len() + 1
    }

    fn record_len(&self) -> usize {
        1 + self.columns.iter().map(|c| c.width).sum::<usize>()
    }

    /// The size of the file with `records` records.
    pub fn file_len(&self, records: u64) -> u64 {
        dbf_len(self.header_len() as u64, self.record_len() as u64, records)
    }

    /// The header and field descriptors, for `records` records; `today` is (year, month, day).
    pub fn write_header(
        &self,
        w: &mut impl Write,
        records: u32,
        today: (u32, u8, u8),
    ) -> io::Result<()> {
        let mut head = [0u8; 32];
        head[0] = 0x03;
        head[1] = u8::try_from(today.0.saturating_sub(1900)).unwrap_or(u8::MAX);
        head[2] = today.1;
        head[3] = today.2;
        head[4..8].copy_from_slice(&records.to_le_bytes());
        let short = |n: usize| u16::try_from(n).map_err(|_| io::Error::other(".dbf too wide"));
        head[8..10].copy_from_slice(&short(self.header_len())?.to_le_bytes());
        head[10..12].copy_from_slice(&short(self.record_len())?.to_le_bytes());
        // The language driver: CP932's, so a reader without the .cpg still knows.
        head[29] = match self.encoding {
            DbfEncoding::Utf8 => 0,
            DbfEncoding::Cp932 => 0x13,
        };
        w.write_all(&head)?;
        for c in &self.columns {
            let mut d = [0u8; 32];
            let name = encode(&c.name, self.encoding).unwrap_or_default();
            d[..name.len().min(NAME_BYTES)].copy_from_slice(&name[..name.len().min(NAME_BYTES)]);
            d[11] = c.kind.code();
            d[16] = u8::try_from(c.width).map_err(|_| io::Error::other("field too wide"))?;
            d[17] = u8::try_from(c.decimals).unwrap_or(0);
            w.write_all(&d)?;
        }
        w.write_all(&[0x0D])
    }

    /// One record: the values of `values` (a feature of section `section`).
    pub fn write_record(
        &self,
        w: &mut impl Write,
        section: usize,
        values: &[Value],
        buf: &mut Vec<u8>,
    ) -> io::Result<()> {
        buf.clear();
        buf.push(b' ');
        for c in &self.columns {
            let v = c.source[section]
                .and_then(|i| values.get(i))
                .unwrap_or(&Value::Null);
            let start = buf.len();
            match (c.kind, v) {
                (_, Value::Null) => {}
                (Kind::Char, v) => {
                    if let Some(text) = char_text(v) {
                        let text = cut(&text, MAX_TEXT_BYTES, self.encoding);
                        buf.extend_from_slice(&encode(text, self.encoding).unwrap_or_default());
                    }
                }
                (Kind::Int, Value::Int(i)) => right(buf, &i.to_string(), c.width),
                (Kind::Float { .. }, Value::Float(f)) if !f.is_finite() => {}
                (Kind::Float { scientific: true }, v) => {
                    right(buf, &scientific_text(v), c.width);
                }
                (Kind::Float { scientific: false }, v @ (Value::Float(_) | Value::Int(_))) => {
                    right(buf, &fixed_text(v, c.decimals), c.width);
                }
                (Kind::Logical, Value::Bool(b)) => buf.push(if *b { b'T' } else { b'F' }),
                (Kind::Date, Value::Date(d)) => {
                    if let Some(ymd) = iso_date(d) {
                        buf.extend_from_slice(ymd.as_bytes());
                    }
                }
                _ => {}
            }
            buf.resize(start + c.width, b' ');
        }
        w.write_all(buf)
    }
}

/// The size of a .dbf: header, records, and the end-of-file byte.
pub(super) fn dbf_len(header_len: u64, record_len: u64, records: u64) -> u64 {
    header_len + record_len * records + 1
}

/// Field names that changed, and what they became.
type Renamed = Vec<(String, String)>;

/// Field names of at most 10 bytes in `encoding`, unique regardless of ASCII case (as dBASE
/// readers compare them): names that fit keep theirs first, then longer ones are cut on a
/// character boundary, with `_1`, `_2`… when the cut one is taken. Returns the names in order
/// and the ones that changed.
fn field_names(names: &[&str], encoding: DbfEncoding) -> Result<(Vec<String>, Renamed), String> {
    let key = |s: &str| s.to_ascii_lowercase();
    let mut taken: HashSet<String> = HashSet::new();
    let mut out: Vec<Option<String>> = vec![None; names.len()];
    for (k, name) in names.iter().enumerate() {
        let bytes = encode(name, encoding).map_err(|c| {
            format!(
                "field name {name}: {} has no {} code; write UTF-8 or rename the field",
                describe_char(c),
                encoding_name(encoding)
            )
        })?;
        if !name.is_empty() && bytes.len() <= NAME_BYTES && taken.insert(key(name)) {
            out[k] = Some((*name).to_string());
        }
    }
    for (k, name) in names.iter().enumerate() {
        if out[k].is_some() {
            continue;
        }
        let base = if name.is_empty() { "field" } else { name };
        let mut candidate = cut(base, NAME_BYTES, encoding).to_string();
        let mut n = 1;
        while !taken.insert(key(&candidate)) {
            let suffix = format!("_{n}");
            candidate = format!("{}{suffix}", cut(base, NAME_BYTES - suffix.len(), encoding));
            n += 1;
        }
        out[k] = Some(candidate);
    }
    let out: Vec<String> = out.into_iter().flatten().collect();
    let renamed = names
        .iter()
        .zip(&out)
        .filter(|(a, b)| **a != b.as_str())
        .map(|(a, b)| ((*a).to_string(), b.clone()))
        .collect();
    Ok((out, renamed))
}

/// The longest prefix of `s` (whole characters) that takes at most `limit` bytes in `encoding`.
/// `s` must be encodable.
fn cut(s: &str, limit: usize, encoding: DbfEncoding) -> &str {
    let mut used = 0;
    for (at, c) in s.char_indices() {
        let len = match encoding {
            DbfEncoding::Utf8 => c.len_utf8(),
            // CP932: ASCII and half-width katakana take one byte, everything else two.
            DbfEncoding::Cp932 if c.is_ascii() || ('\u{FF61}'..='\u{FF9F}').contains(&c) => 1,
            DbfEncoding::Cp932 => 2,
        };
        if used + len > limit {
            return &s[..at];
        }
        used += len;
    }
    s
}

/// `s` in `encoding`; `Err` with the first character it cannot hold. A CP932 character only
/// counts as held when it decodes back to itself: encoding_rs (as Windows) writes U+2212 '−' as
/// the code of U+FF0D '－' and '¥' as '\', which would change the text.
fn encode(s: &str, encoding: DbfEncoding) -> Result<Cow<'_, [u8]>, char> {
    match encoding {
        DbfEncoding::Utf8 => Ok(Cow::Borrowed(s.as_bytes())),
        DbfEncoding::Cp932 => {
            let cp932 = encoding_rs::SHIFT_JIS;
            let (bytes, _, unmappable) = cp932.encode(s);
            if !unmappable && (s.is_ascii() || cp932.decode_without_bom_handling(&bytes).0 == s) {
                return Ok(bytes);
            }
            let mut buf = [0u8; 4];
            let bad = s.chars().find(|c| {
                let one = c.encode_utf8(&mut buf);
                let (bytes, _, unmappable) = cp932.encode(one);
                unmappable || cp932.decode_without_bom_handling(&bytes).0 != *one
            });
            Err(bad.unwrap_or(char::REPLACEMENT_CHARACTER))
        }
    }
}

fn describe_char(c: char) -> String {
    format!("'{c}' (U+{:04X})", c as u32)
}

fn encoding_name(encoding: DbfEncoding) -> &'static str {
    match encoding {
        DbfEncoding::Utf8 => "UTF-8",
        DbfEncoding::Cp932 => "CP932",
    }
}

/// A value as the text of a C field; `None` for null.
fn char_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::Text(s) | Value::Date(s) | Value::Json(s) => Some(Cow::Borrowed(s)),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// "YYYYMMDD" of an ISO 8601 date "YYYY-MM-DD".
fn iso_date(d: &str) -> Option<String> {
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (b.len() == 10 && b[4] == b'-' && b[7] == b'-' && digits(0..4) && digits(5..7) && digits(8..10))
        .then(|| format!("{}{}{}", &d[0..4], &d[5..7], &d[8..10]))
}

/// The integer part (with sign) and decimals of a number's shortest round-trip form.
fn shortest(v: &Value) -> (String, String) {
    let text = match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        _ => String::new(),
    };
    match text.split_once('.') {
        Some((int, frac)) => (int.to_string(), frac.to_string()),
        None => (text, String::new()),
    }
}

/// A number with exactly `decimals` decimals: integers exactly, floats rounded from their binary
/// value, which reads back as the same float since `decimals` is at least its shortest form's.
fn fixed_text(v: &Value, decimals: usize) -> String {
    match v {
        Value::Int(i) => format!("{i}.{}", "0".repeat(decimals)),
        Value::Float(f) => format!("{f:.decimals$}"),
        _ => String::new(),
    }
}

/// The shortest round-trip scientific form, e.g. "1.5e300".
fn scientific_text(v: &Value) -> String {
    match v {
        Value::Int(i) => format!("{:e}", *i as f64),
        Value::Float(f) => format!("{f:e}"),
        _ => String::new(),
    }
}

/// `text` right-aligned in `width` bytes.
fn right(buf: &mut Vec<u8>, text: &str, width: usize) {
    buf.resize(buf.len() + width.saturating_sub(text.len()), b' ');
    buf.extend_from_slice(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_to_ten_bytes_on_character_boundaries_in_each_encoding() {
        let names = ["都道府県名及び市町村名", "NO", "施設・場所名"];
        let (utf8, renamed) = field_names(&names, DbfEncoding::Utf8).unwrap();
        // Three bytes a character in UTF-8: three characters.
        assert_eq!(utf8, ["都道府", "NO", "施設・"]);
        assert_eq!(renamed.len(), 2);
        assert_eq!(
            renamed[0],
            ("都道府県名及び市町村名".into(), "都道府".into())
        );
        let (cp932, _) = field_names(&names, DbfEncoding::Cp932).unwrap();
        // Two bytes a character in CP932: five.
        assert_eq!(cp932, ["都道府県名", "NO", "施設・場所"]);
        for n in utf8.iter() {
            assert!(n.len() <= 10);
        }
        for n in &cp932 {
            assert!(encode(n, DbfEncoding::Cp932).unwrap().len() <= 10);
        }
        // Half-width katakana are one byte in CP932, three in UTF-8.
        assert_eq!(cut("ｶﾀｶﾅｶﾀｶﾅｶﾀｶﾅ", 10, DbfEncoding::Cp932), "ｶﾀｶﾅｶﾀｶﾅｶﾀ");
        assert_eq!(cut("ｶﾀｶﾅｶﾀｶﾅｶﾀｶﾅ", 10, DbfEncoding::Utf8), "ｶﾀｶ");
    }

    #[test]
    fn clashing_names_get_numbered_within_ten_bytes() {
        let names = [
            "名称の正式なもの",
            "名称の略称",
            "名称",
            "population_2020",
            "population_2015",
        ];
        let (out, renamed) = field_names(&names, DbfEncoding::Utf8).unwrap();
        // "名称" fits and keeps its name; the long ones cut to "名称の" then numbered.
        assert_eq!(
            out,
            ["名称の", "名称_1", "名称", "population", "populati_1"]
        );
        assert_eq!(renamed.len(), 4);
        assert!(renamed.iter().all(|(from, _)| from != "名称"));
        // Case does not make a name different to a dBASE reader.
        let (out, _) = field_names(&["Name", "NAME", "name"], DbfEncoding::Utf8).unwrap();
        assert_eq!(out, ["Name", "NAME_1", "name_2"]);
        // Ten bytes in CP932 fit as they are; two that cut to the same name are numbered.
        let names = ["名称の正式なもの", "名称の正式名", "名称の略称"];
        let (out, _) = field_names(&names, DbfEncoding::Cp932).unwrap();
        assert_eq!(out, ["名称の正式", "名称の正_1", "名称の略称"]);
        for n in &out {
            assert!(encode(n, DbfEncoding::Cp932).unwrap().len() <= 10, "{n}");
        }
    }

    #[test]
    fn cp932_refuses_what_it_cannot_hold_and_keeps_windows_characters() {
        for ok in ["日野市", "①㎡髙Ⅲ", "9:00～17:00", "ｶﾀｶﾅ", "abc"] {
            let bytes = encode(ok, DbfEncoding::Cp932).unwrap();
            let back = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes).0;
            assert_eq!(back, ok);
        }
        assert_eq!(encode("𠮷野家", DbfEncoding::Cp932).unwrap_err(), '𠮷');
        // Encodable only as another character: refused, not changed.
        assert_eq!(encode("1−2", DbfEncoding::Cp932).unwrap_err(), '−');
        assert_eq!(encode("¥100", DbfEncoding::Cp932).unwrap_err(), '¥');
        assert_eq!(encode("9:00〜17:00", DbfEncoding::Cp932).unwrap_err(), '〜');
        assert!(field_names(&["𠮷"], DbfEncoding::Cp932).is_err());
    }

    #[test]
    fn floats_written_with_the_decimals_of_the_column_read_back_the_same() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let bits = next();
            let scale = 10f64.powi((bits % 12) as i32 - 4);
            let v = (bits >> 11) as f64 / (1u64 << 53) as f64 * scale;
            let v = if bits & 1 == 1 { -v } else { v };
            let (_, frac) = shortest(&Value::Float(v));
            for extra in [0, 1, 5] {
                let d = frac.len().max(1) + extra;
                let text = fixed_text(&Value::Float(v), d);
                assert_eq!(text.parse::<f64>().unwrap(), v, "{v} as {text}");
            }
            assert_eq!(scientific_text(&Value::Float(v)).parse::<f64>().unwrap(), v);
        }
        assert_eq!(fixed_text(&Value::Int(800), 1), "800.0");
        assert_eq!(fixed_text(&Value::Float(12000.5), 2), "12000.50");
    }

    #[test]
    fn date_text_and_null_blanks() {
        assert_eq!(iso_date("2024-01-02").as_deref(), Some("20240102"));
        assert_eq!(iso_date("2024/01/02"), None);
        assert_eq!(iso_date("令和6年1月2日"), None);
        assert_eq!(dbf_len(32 + 32 + 1, 11, 2), 65 + 22 + 1);
    }
}
