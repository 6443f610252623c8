//! What a reader that reads a layer in pieces hands on (GeoJSON a block at a time, a
//! Shapefile a block of records at a time): the head once, then pieces of features in
//! source coordinates, placed in the layer's table.

use crate::crs::CrsHint;
use crate::model::{Feature, Field, TextEncoding, Warning};

/// Bytes read at a time by default; a record larger than this grows the buffer.
pub const BLOCK_BYTES: usize = 16 << 20;

/// What is known before the first piece: the file's CRS, encoding and sample flag.
pub struct Head {
    pub crs: CrsHint,
    pub encoding: Option<TextEncoding>,
    pub sample: bool,
    /// About the file as a whole (a byte-order mark, a `crs` member not understood).
    pub warnings: Vec<Warning>,
}

/// Features of one block, placed in the table.
pub struct Piece {
    /// The columns so far.
    pub fields: Vec<Field>,
    pub features: Vec<Feature>,
    /// About these features, by record.
    pub warnings: Vec<Warning>,
    /// Bytes of the file read so far, and records (features) met so far.
    pub bytes_read: u64,
    pub records: usize,
}

/// What a streamed read hands on: the head once, then the pieces.
pub enum Event<'h> {
    Head(&'h Head),
    Piece(Piece),
}

/// What the reader does after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The next piece.
    Next,
    /// Nothing more: the read ends here.
    Stop,
    /// No more pieces, but the rest of the file is gone through to count its records (enough
    /// features were taken, and the provenance states the file's count).
    CountRest,
}

/// How a streamed read ended.
pub enum Streamed {
    /// Every feature was handed on; `records` features were in the file.
    Done { records: usize },
    /// The caller stopped it (enough features).
    Stopped,
    /// Not of the shape that streams: read the file whole instead (why, for a note).
    CannotStream(String),
}
