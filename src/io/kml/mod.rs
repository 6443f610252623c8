//! KML 2.2 and KMZ: what GDAL, Google My Maps and 地理院地図 (GSI Maps) write.
//!
//! Every Placemark is a feature, wherever it sits in Documents and Folders: its geometry (Point,
//! LineString, LinearRing, Polygon, MultiGeometry, gx:Track; altitudes kept as Z), `name`,
//! `description` (text: CDATA and entities decoded, HTML kept as written), `folder` (the path of
//! enclosing Folder names, " / " between them) and its ExtendedData (`Data` and
//! `SchemaData/SimpleData`) as fields, typed as a `Schema` declares or inferred. Coordinates
//! are WGS84 lon/lat by definition. Styles, overlays and views are not read.
//!
//! A KMZ is a zip: its `doc.kml` (else its first .kml) is read, with the members its
//! NetworkLinks name (GDAL's KMZ keeps each layer in `layers/NAME.kml` behind a link). A
//! NetworkLink to anything outside the file is not followed, and said so once.
//!
//! The reader is a single pass of quick-xml's pull parser ([`parse`]), not a document tree.

mod coords;
mod folders;
mod parse;
mod shape;
mod table;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;

use encoding_rs::Encoding;

use super::{Input, LoadOptions, Loader, Parsed, archive, text};
use crate::crs::{CrsHint, DecidedBy};
use crate::error::{LoadError, LoadErrorKind};
use crate::model::{Format, TextEncoding, Warning};
use parse::{Collected, Link};

/// Reads .kml and .kmz files.
pub struct KmlLoader;

impl Loader for KmlLoader {
    fn format(&self) -> Format {
        Format::Kml
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["kml", "kmz"]
    }

    /// XML (after an optional UTF-8 BOM and whitespace) or a zip archive, whichever the
    /// extension: GDAL's KML driver writes plain XML into a file named .kmz.
    fn check_head(&self, _ext: &str, head: &[u8]) -> Result<(), String> {
        if is_zip(head) {
            return Ok(());
        }
        let (body, _) = text::strip_utf8_bom(head);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'<') | None => Ok(()),
            Some(_) if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) => {
                Err("UTF-16 text: sitelens reads KML in UTF-8 (convert the file)".into())
            }
            Some(&b) => Err(format!(
                "not KML: a KML file starts with '<' and a KMZ is a zip archive; this one starts \
                 with byte 0x{b:02X}"
            )),
        }
    }

    fn load(&self, input: &Input, options: &LoadOptions) -> Result<Parsed, LoadError> {
        let path = input.display();
        let mut collected = Collected::default();
        let mut warnings = Vec::new();
        let encoding = if is_zip(&input.bytes) {
            read_kmz(&input.bytes, options, &path, &mut collected, &mut warnings)?
        } else {
            let (xml, encoding) = decode(&input.bytes, options.encoding.as_deref())
                .map_err(|k| LoadError::new(&path, k))?;
            parse::read(&xml, None, &mut collected).map_err(|m| LoadError::invalid(&path, m))?;
            let links = std::mem::take(&mut collected.links);
            not_followed(links.into_iter().map(|l| l.href).collect(), &mut warnings);
            encoding
        };
        if collected.folder_cut {
            warnings.push(Warning::file(format!(
                "folder paths longer than {} bytes are cut (ending in '…')",
                folders::MAX_FOLDER_BYTES
            )));
        }
        if collected.placemarks.is_empty() {
            warnings.push(Warning::file(
                "no Placemark in the file: the layer is empty",
            ));
        }
        let record_count = collected.placemarks.len();
        let (fields, features) = table::build(collected, &mut warnings);
        Ok(Parsed {
            fields,
            features,
            warnings,
            encoding: Some(encoding),
            crs: CrsHint::Stated {
                definition: "EPSG:4326".into(),
                decided_by: DecidedBy::Format,
            },
            record_count,
            sample: false,
        })
    }
}

/// A zip archive's first bytes (a local file header, or the end record of an empty archive).
fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Reads a KMZ: its root document (`doc.kml`, else the first .kml member), then the members its
/// NetworkLinks name, each once. Returns the encoding of the root document.
fn read_kmz(
    bytes: &[u8],
    options: &LoadOptions,
    path: &Path,
    out: &mut Collected,
    warnings: &mut Vec<Warning>,
) -> Result<TextEncoding, LoadError> {
    let archive_error = |m: String| LoadError::new(path, LoadErrorKind::Archive(m));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| archive_error(format!("not a readable KMZ (zip) archive: {e}")))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(Cow::into_owned))
        .collect();
    let is_kml = |n: &&String| {
        n.to_ascii_lowercase().ends_with(".kml")
            && !n.starts_with("__MACOSX/")
            && !n.rsplit('/').next().unwrap_or(n).starts_with("._")
    };
    let root = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case("doc.kml"))
        .or_else(|| names.iter().find(is_kml))
        .cloned()
        .ok_or_else(|| {
            archive_error(format!(
                "the KMZ holds no .kml document among its {} entries",
                names.len()
            ))
        })?;
    let by_lower: HashMap<String, &String> =
        names.iter().map(|n| (n.to_ascii_lowercase(), n)).collect();
    let mut queue = VecDeque::from([(root.clone(), None::<Link>)]);
    let mut seen = HashSet::from([root]);
    let mut encoding = None;
    let mut elsewhere = Vec::new();
    // Several entries of a zip may share one compressed stream: the total is bounded, not only
    // each member.
    let mut total = 0u64;
    while let Some((member, link)) = queue.pop_front() {
        let in_member = |m: String| format!("member '{member}': {m}");
        let bytes = archive::read_member(&mut zip, &member).map_err(|k| LoadError::new(path, k))?;
        total += bytes.len() as u64;
        if total > super::MAX_FILE_BYTES {
            return Err(archive_error(format!(
                "the KMZ's linked documents decompress to more than {} GiB",
                super::MAX_FILE_BYTES >> 30
            )));
        }
        let (xml, member_encoding) = decode(&bytes, options.encoding.as_deref()).map_err(|k| {
            let k = match k {
                LoadErrorKind::Encoding(m) => LoadErrorKind::Encoding(in_member(m)),
                other => other,
            };
            LoadError::new(path, k)
        })?;
        encoding.get_or_insert(member_encoding);
        parse::read(&xml, link.as_ref(), out)
            .map_err(|m| LoadError::invalid(path, in_member(m)))?;
        for link in std::mem::take(&mut out.links) {
            let target = member_path(&member, &link.href)
                .and_then(|m| by_lower.get(&m.to_ascii_lowercase()).map(|n| (*n).clone()));
            match target {
                Some(target) => {
                    if seen.insert(target.clone()) {
                        queue.push_back((target, Some(link)));
                    }
                }
                None => elsewhere.push(link.href),
            }
        }
    }
    not_followed(elsewhere, warnings);
    Ok(encoding.unwrap_or_else(|| text::chosen(encoding_rs::UTF_8, "xml default")))
}

/// The archive member a relative href names from `from` (a member); `None` for a URL, an
/// absolute path, or a path that leaves the archive.
fn member_path(from: &str, href: &str) -> Option<String> {
    let href = href.split(['?', '#']).next().unwrap_or_default();
    if href.is_empty() || href.contains("://") || href.starts_with('/') {
        return None;
    }
    let href = percent_decoded(href);
    let mut parts: Vec<&str> = match from.rsplit_once('/') {
        Some((dir, _)) => dir.split('/').filter(|p| !p.is_empty()).collect(),
        None => Vec::new(),
    };
    for segment in href.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// `%20` and the like decoded (hrefs are URLs); the text as it is when that is not UTF-8.
fn percent_decoded(href: &str) -> Cow<'_, str> {
    if !href.contains('%') {
        return Cow::Borrowed(href);
    }
    let bytes = href.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_or(Cow::Borrowed(href), Cow::Owned)
}

/// One warning for the NetworkLinks whose data is elsewhere.
fn not_followed(hrefs: Vec<String>, warnings: &mut Vec<Warning>) {
    if hrefs.is_empty() {
        return;
    }
    let shown: Vec<String> = hrefs.iter().take(3).map(|h| coords::excerpt(h)).collect();
    let more = if hrefs.len() > 3 { ", …" } else { "" };
    warnings.push(Warning::file(format!(
        "{} NetworkLink(s) not followed: only the placemarks in this file are read (links to {}{more})",
        hrefs.len(),
        shown.join(", ")
    )));
}

/// The text of a KML document: UTF-8 unless the user, or the XML declaration, names another
/// encoding. Text that is not valid in that encoding is an error, never replaced.
fn decode<'a>(
    bytes: &'a [u8],
    user: Option<&str>,
) -> Result<(Cow<'a, str>, TextEncoding), LoadErrorKind> {
    let (body, bom) = text::strip_utf8_bom(bytes);
    let (encoding, decided_by): (&'static Encoding, &str) = match user {
        Some(label) => (
            text::encoding_for_label(label)
                .ok_or_else(|| LoadErrorKind::Encoding(format!("unknown encoding '{label}'")))?,
            "user",
        ),
        None if bom => (encoding_rs::UTF_8, "bom"),
        None => match declared_encoding(body) {
            None => (encoding_rs::UTF_8, "xml default"),
            Some(label) => match text::encoding_for_label(&label) {
                // UTF-16 cannot be what an ASCII declaration was read in: the bytes say UTF-8.
                Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => {
                    (encoding_rs::UTF_8, "xml default")
                }
                Some(e) => (e, "xml declaration"),
                None => {
                    return Err(LoadErrorKind::Encoding(format!(
                        "the XML declaration names encoding '{}', which sitelens does not know",
                        coords::excerpt(&label)
                    )));
                }
            },
        },
    };
    let chosen = text::chosen(encoding, decided_by);
    if encoding == encoding_rs::UTF_8 {
        let xml = std::str::from_utf8(body).map_err(|e| {
            let hint = if text::decode_strict(body, encoding_rs::SHIFT_JIS).is_some() {
                "; it decodes as CP932: convert it to UTF-8 or set its encoding to cp932"
            } else {
                ""
            };
            LoadErrorKind::Encoding(format!(
                "not UTF-8 (KML is UTF-8 unless its XML declaration names another encoding): \
                 invalid byte at offset {}{hint}",
                e.valid_up_to() + if bom { 3 } else { 0 }
            ))
        })?;
        return Ok((Cow::Borrowed(xml), chosen));
    }
    let xml = text::decode_strict(body, encoding).ok_or_else(|| {
        LoadErrorKind::Encoding(format!(
            "the file is not valid {} (the encoding the {decided_by} names)",
            text::display_name(encoding)
        ))
    })?;
    Ok((Cow::Owned(xml), chosen))
}

/// The `encoding` of an XML declaration (`<?xml version="1.0" encoding="Shift_JIS"?>`).
fn declared_encoding(body: &[u8]) -> Option<String> {
    let head = body.get(..body.len().min(256))?;
    let declaration = head.strip_prefix(b"<?xml")?;
    let end = declaration.windows(2).position(|w| w == b"?>")?;
    let declaration = std::str::from_utf8(&declaration[..end]).ok()?;
    let after = declaration.split_once("encoding")?.1.trim_start();
    let value = after.strip_prefix('=')?.trim_start();
    let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let value = &value[1..];
    Some(value[..value.find(quote)?].to_string())
}

#[cfg(test)]
mod tests;
