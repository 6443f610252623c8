//! A Shapefile read a block of records at a time, for files of any size: the .shp in blocks,
//! each record's stored box tested against the bbox hint before its points are decoded, the
//! records that may meet it decoded on every core, and their .dbf rows read from the matching
//! range of the .dbf. Memory holds one block and its features.
//!
//! The block's records are handed to the same decoders as a whole read (`shapefile` and
//! `dbf`), as a small .shp and .dbf of their own. Only what reads the same in pieces streams:
//! the CRS stated (a .prj or the user's), the text encoding stated (a .cpg or the user's),
//! every record whole; otherwise [`Streamed::CannotStream`] and the caller reads the file whole.

use std::io::{Cursor, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use rayon::prelude::*;
use shapefile::ShapeReader;

use super::shapefile::{ShapeOut, convert, prj_hint, record_may_meet};
use super::stream::{Event, Flow, Head, Piece, Streamed};
use super::{Input, box_in_source_crs, dbf};
use crate::crs::CrsHint;
use crate::error::{LoadError, LoadErrorKind};
use crate::filter::Expr;
use crate::model::{Envelope, Feature, Value, Warning};

/// Records decoded together on one core.
const RECORDS_PER_TASK: usize = 2048;

/// Bytes of the .shp read at a time within a block: small enough that its records are still in
/// the cache when they are found and their boxes tested.
const READ_PART: usize = 1 << 20;

/// Reads the Shapefile at `path` a block at a time; see [`crate::io::geojson::stream::stream`]
/// for `each`. `bbox_hint` is lon/lat. `where_hint`, an attribute expression the caller
/// applies anyway, is tested on each candidate's row before its shape is decoded, and a record
/// it rejects is not handed on (an expression that does not fit the fields is left to the
/// caller, which says why).
pub fn stream(
    path: &Path,
    block_bytes: usize,
    bbox_hint: Option<Envelope>,
    where_hint: Option<&str>,
    (user_crs, user_encoding): (Option<&str>, Option<&str>),
    each: &mut dyn FnMut(Event<'_>) -> Result<Flow, LoadError>,
) -> Result<Streamed, LoadError> {
    let cannot = |why: &str| Ok(Streamed::CannotStream(why.to_string()));
    let io = |e: std::io::Error| LoadError::new(path, e);
    let input = Input::by_path(path);
    let crs = prj_hint(&input)?;
    let definition = match (&crs, user_crs) {
        (_, Some(user)) => user.to_string(),
        (CrsHint::Stated { definition, .. }, None) => definition.clone(),
        _ => return cannot("no CRS stated (the coordinates decide it on a whole read)"),
    };
    let cpg = input.sibling("cpg")?;
    if cpg.is_none() && user_encoding.is_none() {
        return cannot("no .cpg (the text decides the encoding on a whole read)");
    }
    let Some(dbf_path) = super::sibling_path(path, "dbf") else {
        return cannot("no .dbf");
    };
    let dbf_file = std::fs::File::open(&dbf_path).map_err(io)?;
    let mut dbf_head = vec![0u8; 32];
    if dbf_file.read_exact_at(&mut dbf_head, 0).is_err() {
        return cannot("the .dbf header is cut off");
    }
    let dbf_records =
        u32::from_le_bytes([dbf_head[4], dbf_head[5], dbf_head[6], dbf_head[7]]) as usize;
    let header_len = u16::from_le_bytes([dbf_head[8], dbf_head[9]]) as usize;
    let record_len = u16::from_le_bytes([dbf_head[10], dbf_head[11]]) as usize;
    if header_len < 33 || record_len == 0 {
        return cannot("an unusual .dbf header");
    }
    dbf_head.resize(header_len, 0);
    if dbf_file.read_exact_at(&mut dbf_head, 0).is_err() {
        return cannot("the .dbf header is cut off");
    }
    let dbf_len = dbf_file.metadata().map_err(io)?.len() as usize;
    if dbf_len < header_len + dbf_records * record_len {
        return cannot("the .dbf is shorter than its header says");
    }

    let mut shp = std::fs::File::open(path).map_err(io)?;
    let shp_len = shp.metadata().map_err(io)?.len();
    let mut header = [0u8; 100];
    if shp.read_exact(&mut header).is_err()
        || i32::from_be_bytes([header[0], header[1], header[2], header[3]]) != 9994
    {
        return cannot("not a .shp header");
    }
    let declared = u32::from_be_bytes([header[24], header[25], header[26], header[27]]) as u64 * 2;
    if declared != shp_len {
        return cannot("the .shp header's length is not the file's");
    }
    let source_box = bbox_hint.and_then(|b| box_in_source_crs(b, &definition));

    // The head: the CRS and the encoding (from a .dbf of no records).
    let empty = dbf::read(
        &dbf_only(&dbf_head, &[], 0),
        cpg.as_deref(),
        user_encoding,
        None,
    )
    .map_err(|e| LoadError::new(&dbf_path, LoadErrorKind::Invalid(e)))?;
    let rows_pass =
        where_hint.and_then(|text| crate::filter::expr::parse(text, &empty.fields).ok());
    let flow = each(Event::Head(&Head {
        crs,
        encoding: Some(empty.encoding.clone()),
        sample: false,
        warnings: empty.warnings,
    }))?;
    if flow == Flow::Stop {
        return Ok(Streamed::Stopped);
    }

    let mut records = 0usize;
    let mut counting_only = false;
    let mut dbf_scratch: Vec<u8> = Vec::new();
    // One thread reads the next block and tests its records' boxes while the others decode
    // this one.
    std::thread::scope(|scope| {
        let (blocks, received) = std::sync::mpsc::sync_channel::<Block>(1);
        let (give_back, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
        scope.spawn(move || read_blocks(shp, shp_len, block_bytes, source_box, &blocks, &recycled));
        for block in received {
            let (buf, whole, keep, read) = match block {
                Block::Records {
                    buf,
                    whole,
                    keep,
                    read,
                } => (buf, whole, keep, read),
                Block::End(Ok(())) => {
                    if records != dbf_records {
                        return cannot("the .shp and .dbf hold different numbers of records");
                    }
                    return Ok(Streamed::Done { records });
                }
                Block::End(Err(why)) => return cannot(why),
                Block::Io(e) => return Err(io(e)),
            };
            let first = records;
            records += whole.len();
            if counting_only {
                let _ = give_back.send(buf);
                continue;
            }
            let piece = decode(
                &buf,
                &header,
                &whole,
                &keep,
                first,
                (&dbf_file, &dbf_head, header_len, record_len, dbf_records),
                &mut dbf_scratch,
                (cpg.as_deref(), user_encoding),
                &dbf_path,
                rows_pass.as_ref(),
            );
            let _ = give_back.send(buf);
            let (fields, features, warnings) = piece?;
            let flow = each(Event::Piece(Piece {
                fields,
                features,
                warnings,
                bytes_read: read,
                records,
            }))?;
            match flow {
                Flow::Next => {}
                Flow::Stop => return Ok(Streamed::Stopped),
                Flow::CountRest => counting_only = true,
            }
        }
        cannot("the reading thread stopped")
    })
}

/// What the reading thread hands on.
enum Block {
    /// A block of whole records: where each is, and which may meet the box.
    Records {
        buf: Vec<u8>,
        whole: Vec<(usize, usize)>,
        keep: Vec<usize>,
        read: u64,
    },
    /// Every record handed on, or why the file cannot stream.
    End(Result<(), &'static str>),
    Io(std::io::Error),
}

/// Reads the .shp after its header a block at a time, finds its whole records and those whose
/// stored box may meet `source_box`, and hands each block on (buffers come back through
/// `recycled`). Stops when the receiver is gone.
fn read_blocks(
    mut shp: std::fs::File,
    shp_len: u64,
    block_bytes: usize,
    source_box: Option<Envelope>,
    blocks: &std::sync::mpsc::SyncSender<Block>,
    recycled: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(block_bytes);
    let mut read = 100u64;
    loop {
        // The block is read a part at a time, each part's records found and their boxes tested
        // while its bytes are still in the cache: (start, end) of each whole record, record
        // header included, and the positions of those that may meet the box.
        let mut at = 0usize;
        let mut whole: Vec<(usize, usize)> = Vec::new();
        let mut keep: Vec<usize> = Vec::new();
        let mut got = 0usize;
        buf.reserve(block_bytes.max(1));
        let eof = loop {
            let part = (block_bytes.max(1) - got).min(READ_PART);
            let n = match (&mut shp).take(part as u64).read_to_end(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    let _ = blocks.send(Block::Io(e));
                    return;
                }
            };
            got += n;
            read += n as u64;
            while let Some(h) = buf.get(at..at + 8) {
                let words = i32::from_be_bytes([h[4], h[5], h[6], h[7]]);
                if words < 0 {
                    let _ = blocks.send(Block::End(Err("a record of negative length")));
                    return;
                }
                let end = at + 8 + words as usize * 2;
                if end > buf.len() {
                    break;
                }
                if source_box.is_none_or(|b| record_may_meet(&buf, at, b)) {
                    keep.push(whole.len());
                }
                whole.push((at, end));
                at = end;
            }
            let eof = read >= shp_len || n == 0;
            if eof || got >= block_bytes.max(1) {
                break eof;
            }
        };
        if eof && at != buf.len() {
            let _ = blocks.send(Block::End(Err("the last record is cut off")));
            return;
        }
        // The block goes with its records; what is not read yet starts the next buffer.
        let mut next = recycled.try_recv().unwrap_or_default();
        next.clear();
        next.extend_from_slice(&buf[at..]);
        let full = std::mem::replace(&mut buf, next);
        if !whole.is_empty()
            && blocks
                .send(Block::Records {
                    buf: full,
                    whole,
                    keep,
                    read,
                })
                .is_err()
        {
            return;
        }
        if eof {
            let _ = blocks.send(Block::End(Ok(())));
            return;
        }
    }
}

/// A .dbf holding the header and `rows` (bytes of `count` records): what `dbf::read` reads.
fn dbf_only(head: &[u8], rows: &[u8], count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + rows.len() + 1);
    out.extend_from_slice(head);
    out[4..8].copy_from_slice(&u32::try_from(count).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(rows);
    out.push(0x1A);
    out
}

/// A record's position in its block, its shape (or why it is unreadable) and the repairs made.
type Shaped = (usize, Result<ShapeOut, String>, Vec<String>);

type Decoded = (Vec<crate::model::Field>, Vec<Feature>, Vec<Warning>);

/// The features of the records `keep` (positions in `whole`) of a block whose first record is
/// `first` whose rows `rows_pass` passes: rows read from the .dbf first, then the shapes of
/// those that pass decoded on every core.
#[allow(clippy::too_many_arguments)]
fn decode(
    buf: &[u8],
    header: &[u8; 100],
    whole: &[(usize, usize)],
    keep: &[usize],
    first: usize,
    (dbf_file, dbf_head, header_len, record_len, dbf_records): (
        &std::fs::File,
        &[u8],
        usize,
        usize,
        usize,
    ),
    scratch: &mut Vec<u8>,
    (cpg, user_encoding): (Option<&[u8]>, Option<&str>),
    dbf_path: &Path,
    rows_pass: Option<&Expr>,
) -> Result<Decoded, LoadError> {
    // The block's rows, for the records kept, as a .dbf of their own in a buffer kept from
    // block to block.
    let last = (first + whole.len()).min(dbf_records);
    let count = last.saturating_sub(first);
    scratch.clear();
    scratch.extend_from_slice(dbf_head);
    scratch[4..8].copy_from_slice(&u32::try_from(count).unwrap_or(u32::MAX).to_le_bytes());
    scratch.resize(header_len + count * record_len, 0);
    dbf_file
        .read_exact_at(
            &mut scratch[header_len..],
            (header_len + first * record_len) as u64,
        )
        .map_err(|e| LoadError::new(dbf_path, e))?;
    scratch.push(0x1A);
    let only: Vec<usize> = keep.iter().copied().filter(|&k| first + k < last).collect();
    let table = dbf::read(scratch, cpg, user_encoding, Some(&only))
        .map_err(|e| LoadError::new(dbf_path, LoadErrorKind::Invalid(e)))?;
    let mut warnings: Vec<Warning> = table
        .warnings
        .into_iter()
        .map(|w| Warning {
            record: w.record.map(|r| r + first as u64),
            message: w.message,
        })
        .collect();
    // Each kept record with its row (nulls past the .dbf's last row); a row the expression
    // rejects drops its record before the shape is decoded.
    let width = table.fields.len();
    let mut rows = table.rows.into_iter();
    let mut chosen: Vec<(usize, Vec<Value>)> = Vec::with_capacity(keep.len());
    for &k in keep {
        let values = if first + k < last {
            rows.next().unwrap_or_else(|| vec![Value::Null; width])
        } else {
            vec![Value::Null; width]
        };
        if rows_pass.is_none_or(|e| e.matches(&values)) {
            chosen.push((k, values));
        }
    }
    let shapes: Vec<Vec<Shaped>> = chosen
        .par_chunks(RECORDS_PER_TASK)
        .map(|chunk| {
            // The chunk's records as a small .shp of their own.
            let size: usize = chunk.iter().map(|&(k, _)| whole[k].1 - whole[k].0).sum();
            let mut shp = Vec::with_capacity(100 + size);
            shp.extend_from_slice(header);
            let words = u32::try_from((100 + size) / 2).unwrap_or(u32::MAX);
            shp[24..28].copy_from_slice(&words.to_be_bytes());
            for &(k, _) in chunk {
                shp.extend_from_slice(&buf[whole[k].0..whole[k].1]);
            }
            let mut out = Vec::with_capacity(chunk.len());
            match ShapeReader::new(Cursor::new(shp)) {
                Ok(mut reader) => {
                    let mut shapes = reader.iter_shapes();
                    for &(k, _) in chunk {
                        let mut notes = Vec::new();
                        let shape = match shapes.next() {
                            Some(Ok(shape)) => Ok(convert(shape, &mut notes)),
                            Some(Err(e)) => {
                                Err(format!("unreadable shape ({e}); geometry set to null"))
                            }
                            None => Err("unreadable shape; geometry set to null".to_string()),
                        };
                        out.push((k, shape, notes));
                    }
                }
                Err(e) => {
                    for &(k, _) in chunk {
                        out.push((
                            k,
                            Err(format!("unreadable shape ({e}); geometry set to null")),
                            Vec::new(),
                        ));
                    }
                }
            }
            out
        })
        .collect();
    let mut features = Vec::with_capacity(chosen.len());
    for ((k, shape, notes), (_, values)) in shapes.into_iter().flatten().zip(chosen) {
        let record = (first + k) as u64;
        for note in notes {
            warnings.push(Warning::record(record, note));
        }
        let (geometry, z) = match shape {
            Ok(s) => s,
            Err(message) => {
                warnings.push(Warning::record(record, message));
                (None, None)
            }
        };
        features.push(Feature {
            record,
            geometry,
            z,
            values,
        });
    }
    Ok((table.fields, features, warnings))
}
