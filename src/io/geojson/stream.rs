//! A FeatureCollection read a block at a time, for files of any size: the features of each
//! block are found as [`super::split`] finds them, tested against the box on their raw
//! coordinates (most of a filtered export's features are never parsed), parsed on every core,
//! placed in the table as it grows and handed on as a piece. Memory holds one block and its
//! features, whatever the file's size.
//!
//! Only the plain shape streams (`type` and any `crs` before `features`, names without escapes,
//! UTF-8): anything else is [`Streamed::CannotStream`] before a piece is handed on, or after
//! when the end of the file shows it (a `crs` after the features); the caller then reads the
//! file whole, which also gives the whole-file errors.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::de::Scratch;
use super::split::{expect, object_end, skip_ws, string_end};
use super::table::{Columns, Outcome, Prepared, Unusual};
use super::{common_names, crs_hint, prepare_raw};
use crate::crs::CrsHint;
use crate::error::LoadError;
use crate::io::stream::{Event, Flow, Head, Piece, Streamed};
use crate::io::text;
use crate::model::{Envelope, Warning};

/// Reads `path` a block at a time: `each` gets the head once before the first piece, then each
/// block's piece, and says how to go on. `bbox_hint` (lon/lat) lets features that cannot meet it be skipped,
/// as a whole read does, when the file is RFC 7946 lon/lat.
pub fn stream(
    path: &Path,
    block_bytes: usize,
    bbox_hint: Option<Envelope>,
    user_crs: Option<&str>,
    each: &mut dyn FnMut(Event<'_>) -> Result<Flow, LoadError>,
) -> Result<Streamed, LoadError> {
    let mut file = std::fs::File::open(path).map_err(|e| LoadError::new(path, e))?;
    let mut reader = Reader {
        block: block_bytes.max(1),
        buf: Vec::with_capacity(block_bytes.max(1)),
        eof: false,
        read: 0,
    };
    let io = |e: std::io::Error| LoadError::new(path, e);
    reader.fill(&mut file).map_err(io)?;
    let (body, bom) = text::strip_utf8_bom(&reader.buf);
    let mut at = reader.buf.len() - body.len();
    let mut warnings = Vec::new();
    if bom {
        warnings.push(Warning::file(
            "UTF-8 byte-order mark ignored (RFC 7946 forbids it)",
        ));
    }
    let cannot = |why: &str| Ok(Streamed::CannotStream(why.to_string()));

    // The members before `features`.
    at = skip_ws(&reader.buf, at);
    let Some(next) = expect(&reader.buf, at, b'{') else {
        return cannot("the file does not start with an object");
    };
    at = skip_ws(&reader.buf, next);
    let (mut kind, mut crs, mut sample) = (None::<String>, None, None);
    let mut seen = [false; 3];
    loop {
        let b = &reader.buf;
        let Some(name_start) = expect(b, at, b'"') else {
            return cannot("no features member");
        };
        let Some(name_end) = string_end(b, name_start).map(|e| e - 1) else {
            return cannot("a member name past the first block");
        };
        let name = &b[name_start..name_end];
        if name.contains(&b'\\') {
            return cannot("an escaped member name");
        }
        let Some(value_at) = expect(b, skip_ws(b, name_end + 1), b':') else {
            return cannot("malformed member");
        };
        at = skip_ws(b, value_at);
        if name == b"features" {
            break;
        }
        let mut values = serde_json::Deserializer::from_slice(&b[at..]).into_iter();
        let raw: &RawValue = match values.next() {
            Some(Ok(raw)) => raw,
            _ => return cannot("a member before the features past the first block"),
        };
        let slot = match name {
            b"type" => 0,
            b"crs" => 1,
            b"sample" => 2,
            _ => 3,
        };
        if slot < 3 && std::mem::replace(&mut seen[slot], true) {
            return cannot("a member given twice");
        }
        match slot {
            0 => kind = Option::<String>::deserialize(raw).ok().flatten(),
            1 => crs = serde_json::from_str::<serde_json::Value>(raw.get()).ok(),
            2 => sample = serde_json::from_str::<serde_json::Value>(raw.get()).ok(),
            _ => {}
        }
        at = skip_ws(b, at + values.byte_offset());
        match b.get(at) {
            Some(b',') => at = skip_ws(b, at + 1),
            _ => return cannot("no features member"),
        }
    }
    if kind.as_deref() != Some("FeatureCollection") {
        return cannot("not a FeatureCollection with its type first");
    }
    let crs = crs_hint(crs.as_ref(), &mut warnings);
    let hint = match (&crs, user_crs) {
        (CrsHint::Rfc7946, None) => bbox_hint,
        _ => None,
    };
    let sample = sample == Some(serde_json::Value::Bool(true));
    let go_on = each(Event::Head(&Head {
        crs,
        encoding: Some(text::chosen(
            encoding_rs::UTF_8,
            if bom { "bom" } else { "rfc" },
        )),
        sample,
        warnings,
    }))?;
    if go_on == Flow::Stop {
        return Ok(Streamed::Stopped);
    }

    // The features, a block at a time.
    let Some(next) = expect(&reader.buf, at, b'[') else {
        return cannot("features is not an array");
    };
    at = skip_ws(&reader.buf, next);
    // The first feature's property names, which most features repeat.
    let common: Vec<Cow<'static, str>> = loop {
        let b = &reader.buf;
        if b.get(at) == Some(&b']') {
            break Vec::new();
        }
        match object_end(b, at) {
            Some(end) => match std::str::from_utf8(&b[at..end]) {
                Ok(first) => {
                    break common_names(&[first])
                        .into_iter()
                        .map(|c| Cow::Owned(c.into_owned()))
                        .collect();
                }
                Err(_) => return cannot("not UTF-8"),
            },
            None if reader.eof => return cannot("a feature is cut off or malformed"),
            None => {
                reader.buf.drain(..at);
                at = 0;
                reader.fill(&mut file).map_err(io)?;
            }
        }
    };
    let mut columns = Columns::new(&common);
    let mut records = 0usize;
    let mut counting_only = false;
    // One thread reads and finds the features of the next block while the others parse this one.
    std::thread::scope(|scope| {
        let (blocks, received) = std::sync::mpsc::sync_channel::<Split>(1);
        let (give_back, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
        scope.spawn(move || split_blocks(reader, file, at, &blocks, &recycled));
        for message in received {
            let (buf, raws, bytes_read) = match message {
                Split::Block {
                    buf,
                    raws,
                    bytes_read,
                } => (buf, raws, bytes_read),
                Split::End(Ok(())) => return Ok(Streamed::Done { records }),
                Split::End(Err(why)) => return Ok(Streamed::CannotStream(why.to_string())),
                Split::Io(e) => return Err(io(e)),
            };
            if counting_only {
                records += raws.len();
                let _ = give_back.send(buf);
                continue;
            }
            let common = &common;
            let malformed = AtomicBool::new(false);
            let not_utf8 = AtomicBool::new(false);
            let first = records as u64;
            let outcomes: Vec<Outcome<'static>> = raws
                .par_iter()
                .enumerate()
                .map_init(Scratch::default, |scratch, (i, &(s, e))| {
                    let record = first + i as u64;
                    // Every feature is checked as a whole read checks the file.
                    let Ok(raw) = std::str::from_utf8(&buf[s..e]) else {
                        not_utf8.store(true, Ordering::Relaxed);
                        return Ok(None);
                    };
                    if let Some(h) = hint
                        && !may_meet(raw, h)
                    {
                        return Ok(None);
                    }
                    owned(prepare_raw(record, raw, hint, common, scratch, &malformed))
                })
                .collect();
            let _ = give_back.send(buf);
            if not_utf8.into_inner() {
                return cannot("not UTF-8");
            }
            if malformed.into_inner() {
                return cannot("malformed JSON in a feature");
            }
            let mut warnings = Vec::new();
            let mut features = Vec::new();
            for (i, outcome) in outcomes.into_iter().enumerate() {
                match outcome {
                    Ok(Some(p)) => features.push(columns.place(p, &mut warnings)),
                    Ok(None) => {}
                    Err(e) => warnings.push(Warning::record(first + i as u64, e)),
                }
            }
            records += raws.len();
            let width = columns.width();
            for f in &mut features {
                f.values.resize(width, crate::model::Value::Null);
            }
            let fields = columns.fields();
            let go_on = each(Event::Piece(Piece {
                fields,
                features,
                warnings,
                bytes_read,
                records,
            }))?;
            match go_on {
                Flow::Next => {}
                Flow::Stop => return Ok(Streamed::Stopped),
                Flow::CountRest => counting_only = true,
            }
        }
        cannot("the reading thread stopped")
    })
}

/// What the reading thread hands on.
enum Split {
    /// A block and where its complete features are in it.
    Block {
        buf: Vec<u8>,
        raws: Vec<(usize, usize)>,
        bytes_read: u64,
    },
    /// The features are all handed on: the file ends as it should, or why it cannot stream.
    End(Result<(), &'static str>),
    Io(std::io::Error),
}

/// Reads the features array from `at` on, block by block, handing each block with its complete
/// features to `blocks` (buffers come back through `recycled`), then checks what follows the
/// array. Stops when the receiver is gone.
fn split_blocks(
    mut reader: Reader,
    mut file: std::fs::File,
    mut at: usize,
    blocks: &std::sync::mpsc::SyncSender<Split>,
    recycled: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    let end = |result| {
        let _ = blocks.send(Split::End(result));
    };
    let mut finished_array = reader.buf.get(at) == Some(&b']');
    if finished_array {
        at += 1;
    }
    while !finished_array {
        let mut raws: Vec<(usize, usize)> = Vec::new();
        loop {
            let b = &reader.buf;
            at = skip_ws(b, at);
            let Some(object) = object_end(b, at) else {
                if reader.eof {
                    return end(Err("a feature is cut off or malformed"));
                }
                break;
            };
            let after = skip_ws(b, object);
            match b.get(after) {
                Some(b',') => {
                    raws.push((at, object));
                    at = after + 1;
                }
                Some(b']') => {
                    raws.push((at, object));
                    at = after + 1;
                    finished_array = true;
                    break;
                }
                None if !reader.eof => break,
                _ => return end(Err("malformed between features")),
            }
        }
        // The block goes with its features; what is not read yet starts the next buffer.
        let mut next = recycled.try_recv().unwrap_or_default();
        next.clear();
        next.extend_from_slice(&reader.buf[at..]);
        let buf = std::mem::replace(&mut reader.buf, next);
        at = 0;
        if !raws.is_empty()
            && blocks
                .send(Split::Block {
                    buf,
                    raws,
                    bytes_read: reader.read,
                })
                .is_err()
        {
            return;
        }
        if finished_array {
            break;
        }
        if let Err(e) = reader.fill(&mut file) {
            let _ = blocks.send(Split::Io(e));
            return;
        }
    }

    // What follows the features: a member that changes how they read means a whole read.
    while !reader.eof {
        if let Err(e) = reader.fill(&mut file) {
            let _ = blocks.send(Split::Io(e));
            return;
        }
    }
    let b = &reader.buf;
    at = skip_ws(b, at);
    match b.get(at) {
        Some(b'}') if skip_ws(b, at + 1) == b.len() => end(Ok(())),
        Some(b',') => {
            let rest = std::str::from_utf8(&b[at + 1..]).unwrap_or_default();
            let wrapped = format!("{{{rest}");
            match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&wrapped) {
                Ok(m)
                    if !m.contains_key("crs")
                        && !m.contains_key("sample")
                        && !m.contains_key("type")
                        && !m.contains_key("features") =>
                {
                    end(Ok(()))
                }
                _ => end(Err("members after the features that change how they read")),
            }
        }
        _ => end(Err("malformed after the features")),
    }
}

/// A buffer filled from the file a block at a time.
struct Reader {
    /// Bytes read at a time.
    block: usize,
    buf: Vec<u8>,
    eof: bool,
    /// Bytes read from the file so far.
    read: u64,
}

impl Reader {
    /// Reads up to one more block.
    fn fill(&mut self, file: &mut std::fs::File) -> std::io::Result<()> {
        if self.eof {
            return Ok(());
        }
        let n = file
            .by_ref()
            .take(self.block as u64)
            .read_to_end(&mut self.buf)?;
        self.read += n as u64;
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }
}

/// An outcome whose property names no longer borrow from the block.
fn owned(outcome: Outcome<'_>) -> Outcome<'static> {
    outcome.map(|p| {
        p.map(|p| Prepared {
            feature: p.feature,
            unusual: p.unusual.map(|u| {
                let Unusual { keys, id, notes } = *u;
                Box::new(Unusual {
                    keys: keys.map(|k| k.into_iter().map(|c| Cow::Owned(c.into_owned())).collect()),
                    id,
                    notes,
                })
            }),
        })
    })
}

/// Whether a raw feature may meet the lon/lat box `b`, judged from its coordinates as text
/// without parsing it: `false` only when every position is read and the envelope misses the box
/// by more than the reading's error. Anything unusual (a second `coordinates`, exponents, a
/// geometry collection) says `true`, and the full parse decides.
pub fn may_meet(raw: &str, b: Envelope) -> bool {
    static KEY: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    let finder = KEY.get_or_init(|| memchr::memmem::Finder::new(b"\"coordinates\""));
    let bytes = raw.as_bytes();
    let key = finder.needle();
    let Some(found) = finder.find(bytes) else {
        return true;
    };
    // A second `coordinates` (a property of that name): which one is the geometry's is for the
    // full parse to say.
    if finder.find(&bytes[found + key.len()..]).is_some() {
        return true;
    }
    let mut at = skip_ws(bytes, found + key.len());
    match expect(bytes, at, b':') {
        Some(n) => at = skip_ws(bytes, n),
        None => return true,
    }
    if bytes.get(at) != Some(&b'[') {
        return true;
    }
    // Numbers read from their first 16 digits: lon/lat within 1e-12 of their value.
    const SLACK: f64 = 1e-9;
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    let mut depth = 0usize;
    let mut index_in_array = 0usize;
    let mut x = 0.0;
    let mut positions = 0usize;
    while at < bytes.len() {
        match bytes[at] {
            b'[' => {
                depth += 1;
                index_in_array = 0;
                at += 1;
            }
            b']' => {
                depth -= 1;
                at += 1;
                if depth == 0 {
                    break;
                }
            }
            b',' | b' ' | b'\n' | b'\r' | b'\t' => at += 1,
            b'-' | b'0'..=b'9' => {
                let Some((v, end)) = number(bytes, at) else {
                    return true;
                };
                at = end;
                match index_in_array {
                    0 => x = v,
                    1 => {
                        positions += 1;
                        min_x = min_x.min(x);
                        max_x = max_x.max(x);
                        min_y = min_y.min(v);
                        max_y = max_y.max(v);
                    }
                    _ => {}
                }
                index_in_array += 1;
            }
            _ => return true,
        }
    }
    if depth != 0 || positions == 0 {
        return true;
    }
    !(max_x < b.min_x - SLACK
        || min_x > b.max_x + SLACK
        || max_y < b.min_y - SLACK
        || min_y > b.max_y + SLACK)
}

/// A JSON number at `at` read from its first 16 digits, and where it ends; `None` for an
/// exponent, more than 16 integer digits, or anything else that is not plain.
fn number(b: &[u8], mut at: usize) -> Option<(f64, usize)> {
    const POW10: [f64; 17] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    ];
    const POW10_INT: [u64; 9] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
    ];
    let negative = b.get(at) == Some(&b'-');
    at += usize::from(negative);
    let start = at;
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut decimals = 0usize;
    let mut dot = false;
    loop {
        let (value, n) = digit_run(b, at);
        if digits + n <= 16 {
            mantissa = mantissa * POW10_INT[n] + value;
            digits += n;
            decimals += if dot { n } else { 0 };
        } else if dot {
            // Past 16 digits the decimals add nothing a double keeps: the run's first ones only.
            let k = 16 - digits;
            mantissa = mantissa * POW10_INT[k] + value / POW10_INT[n - k];
            digits = 16;
            decimals += k;
        } else {
            return None;
        }
        at += n;
        if n == 8 {
            continue;
        }
        if b.get(at) == Some(&b'.') && !dot {
            dot = true;
            at += 1;
        } else {
            break;
        }
    }
    if at == start || matches!(b.get(at), Some(b'e' | b'E')) {
        return None;
    }
    let v = mantissa as f64 / POW10[decimals];
    Some((if negative { -v } else { v }, at))
}

/// The digits at `at`, up to 8 of them: their value and how many. Eight bytes are looked at
/// together when there are eight (a coordinate's digits come in runs of about that length).
fn digit_run(b: &[u8], at: usize) -> (u64, usize) {
    const LOW: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    let Some(chunk) = b.get(at..at + 8) else {
        let mut value = 0;
        let mut n = 0;
        while let Some(c) = b.get(at + n).filter(|c| c.is_ascii_digit()) {
            value = value * 10 + u64::from(c - b'0');
            n += 1;
            if n == 8 {
                break;
            }
        }
        return (value, n);
    };
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    let x = u64::from_le_bytes(bytes);
    // A byte is a digit when its high half is 3 and adding 6 leaves it 3 (0x30..=0x39). A
    // carry out of a byte (0xFA and up) only reaches the bytes after it, past the first
    // non-digit, which is all that is looked for.
    let not_digit =
        ((x & HIGH) ^ THREES) | ((x.wrapping_add(0x0606_0606_0606_0606) & HIGH) ^ THREES);
    let n = (not_digit.trailing_zeros() / 8) as usize;
    if n == 0 {
        return (0, 0);
    }
    // The run's bytes moved to the top (the first digit is the lowest byte, the most
    // significant), zeros before them, then eight digits to a number in three steps.
    let v = (x & LOW) << (8 * (8 - n));
    let v = (v.wrapping_mul(10) + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    let v = (v.wrapping_mul(10_000) + (v >> 32)) & 0x0000_0000_FFFF_FFFF;
    (v, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reader a digit at a time, as first written: what `number` must agree with.
    fn number_by_digit(b: &[u8], mut at: usize) -> Option<(f64, usize)> {
        const POW10: [f64; 17] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16,
        ];
        let negative = b.get(at) == Some(&b'-');
        at += usize::from(negative);
        let start = at;
        let (mut mantissa, mut digits, mut decimals, mut dot) = (0u64, 0usize, 0usize, false);
        while let Some(&c) = b.get(at) {
            if c.is_ascii_digit() {
                if digits < 16 {
                    mantissa = mantissa * 10 + u64::from(c - b'0');
                    digits += 1;
                    decimals += usize::from(dot);
                } else if !dot {
                    return None;
                }
            } else if c == b'.' && !dot {
                dot = true;
            } else {
                break;
            }
            at += 1;
        }
        if at == start || matches!(b.get(at), Some(b'e' | b'E')) {
            return None;
        }
        let v = mantissa as f64 / POW10[decimals];
        Some((if negative { -v } else { v }, at))
    }

    #[test]
    fn numbers_read_eight_digits_at_a_time_as_one_at_a_time() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"0123456789012345678901234567890123456789.-,]e \xfa\xff/:";
        let mut cases: Vec<Vec<u8>> = [
            "-105.2632015,",
            "39.9941706]",
            "0",
            "12345678",
            "123456789.123456789,",
            "12345678901234567",
            "1234567890123456.7",
            "0.00000000000000000001,",
            "1.e5",
            "-",
            ".5",
            "1..2",
            "99999999.99999999]",
            "139",
            "-0.0,",
            "123456789012345678.5",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        for _ in 0..300_000 {
            let len = (next() % 24) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            cases.push(text);
        }
        for text in &cases {
            for at in 0..=text.len().min(3) {
                assert_eq!(
                    number(text, at),
                    number_by_digit(text, at),
                    "{:?} at {at}",
                    String::from_utf8_lossy(text)
                );
            }
        }
    }

    #[test]
    fn raw_coordinates_decide_only_what_is_certain() {
        let b = Envelope::new(139.0, 35.0, 140.0, 36.0);
        let f = |c: &str| {
            format!(
                r#"{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":{c}}}}}"#
            )
        };
        assert!(!may_meet(
            &f("[[[141,37],[141.5,37],[141.5,37.5],[141,37]]]"),
            b
        ));
        assert!(may_meet(
            &f("[[[139.5,35.5],[141.5,37],[141.5,37.5],[139.5,35.5]]]"),
            b
        ));
        // Surrounding the box: the envelope meets it.
        assert!(may_meet(&f("[[[138,34],[141,34],[141,37],[138,34]]]"), b));
        // Just outside by less than the reading's error: left to the full parse; by more: out.
        assert!(may_meet(
            &f("[[[140.0000000001,35.5],[141,35.5],[141,36],[140.0000000001,35.5]]]"),
            b
        ));
        assert!(!may_meet(
            &f("[[[140.000001,35.5],[141,35.5],[141,36],[140.000001,35.5]]]"),
            b
        ));
        // Exponents, odd text and no coordinates: the full parse decides.
        assert!(may_meet(
            &f("[[[1.41e2,37],[141.5,37],[141.5,37.5],[1.41e2,37]]]"),
            b
        ));
        assert!(may_meet(r#"{"type":"Feature","geometry":null}"#, b));
        assert!(!may_meet(&f("[-120.5,-30.25]"), b));
        assert!(may_meet(&f("[139.25,35.75]"), b));
        assert_eq!(number(b"-12.3456789,", 0), Some((-12.3456789, 11)));
        assert_eq!(number(b"139,", 0), Some((139.0, 3)));
        assert_eq!(number(b"1e5,", 0), None);
        assert_eq!(number(b"-,", 0), None);
    }
}
