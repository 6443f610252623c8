//! One pass of quick-xml's pull parser over a KML document: every Placemark, wherever it sits
//! (Document and Folder nesting at any depth), with its name, description, Folder path,
//! ExtendedData and geometry; the Schemas' declared field types; the NetworkLinks. Nothing else
//! is kept (styles, overlays, views): no tree of the document is built.
//!
//! Element names are matched without their namespace prefix (`kml:Placemark`, `gx:Track`).

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::coords::excerpt;
use super::folders::Folders;
use super::shape::{Kind, Shape, ShapeBuilder};
use super::table::Columns;

/// Elements nested deeper than this make the document an error: real KML nests a dozen levels,
/// and the reader's stacks must not grow without bound on hostile input.
pub(super) const MAX_DEPTH: usize = 256;

/// One Placemark read.
pub(super) struct Placemark {
    /// `<name>`, trimmed.
    pub name: Option<String>,
    /// `<description>` as text (CDATA and entities decoded, HTML kept), trimmed.
    pub description: Option<String>,
    /// The names of the enclosing Folders (and nested Documents), joined with " / ".
    pub folder: Option<String>,
    /// (column, text) of each ExtendedData value, in document order; a later one for the same
    /// column wins.
    pub data: Vec<(usize, String)>,
    /// The geometry, none, or why it was not read.
    pub shape: Result<Option<Shape>, String>,
    /// Repairs made to the geometry.
    pub notes: Vec<String>,
}

/// A NetworkLink: where it points, and the folder path of what it links to.
pub(super) struct Link {
    pub href: String,
    pub folder: Option<String>,
}

/// What the documents of one file hold (a KMZ's linked members add to the same).
#[derive(Default)]
pub(super) struct Collected {
    pub placemarks: Vec<Placemark>,
    pub columns: Columns,
    /// NetworkLinks not yet dealt with.
    pub links: Vec<Link>,
    /// A folder path was cut at [`super::folders::MAX_FOLDER_BYTES`].
    pub folder_cut: bool,
}

/// Reads one KML document into `out`: the file's own (`link` is `None`), or one reached through
/// a NetworkLink, whose root Document then counts as a folder under the link's path. The error
/// says what is wrong with the XML and where.
pub(super) fn read(xml: &str, link: Option<&Link>, out: &mut Collected) -> Result<(), String> {
    let mut reader = Reader::from_str(xml);
    // "AT&T" in a hand-written name is read as it is instead of failing the file.
    reader.config_mut().allow_dangling_amp = true;
    let mut walk = Walk {
        out,
        folders: Folders::new(link.map(|l| l.folder.as_deref())),
        stack: Vec::new(),
        placemark: None,
        data_column: None,
        link: None,
        capture: None,
        root: false,
    };
    loop {
        let event = reader.read_event().map_err(|e| {
            let (line, column) = line_column(xml, reader.error_position());
            format!("not well-formed XML at line {line}, column {column}: {e}")
        })?;
        let ok = match event {
            Event::Start(e) => walk.start(&e, false).map(|_| ()),
            Event::Empty(e) => walk.start(&e, true).map(|pushed| {
                if pushed {
                    walk.end("");
                }
            }),
            Event::End(e) => {
                walk.end(e.name().as_ref());
                Ok(())
            }
            Event::Text(t) => {
                walk.text(&t.xml10_content());
                Ok(())
            }
            Event::CData(t) => {
                walk.text(&t.xml10_content());
                Ok(())
            }
            Event::GeneralRef(r) => {
                walk.reference(&r);
                Ok(())
            }
            Event::Eof => break,
            _ => Ok(()),
        };
        ok.map_err(|e| {
            let (line, column) = line_column(xml, reader.buffer_position());
            format!("{e} (line {line}, column {column})")
        })?;
    }
    walk.out.folder_cut |= walk.folders.cut;
    match (walk.root, walk.stack.len()) {
        (false, _) => Err("no XML element: the document is empty".into()),
        (true, 0) => Ok(()),
        (true, _) => Err(format!(
            "the file ends inside <{}> (truncated?)",
            walk.open_element()
        )),
    }
}

/// The line and column (1-based, in characters) of a byte offset.
fn line_column(xml: &str, at: u64) -> (usize, usize) {
    let at = (at as usize).min(xml.len());
    let before = xml.get(..at).unwrap_or(xml);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// What an open element is to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Kml,
    /// A Document or Folder (its name is in `Walk::folders`).
    Container,
    Placemark,
    ExtendedData,
    Data,
    SchemaData,
    Schema,
    NetworkLink,
    Geometry,
    /// An element whose text is captured (`Walk::capture`).
    Captured,
    Other,
}

/// Where a captured text goes.
#[derive(Debug, Clone, Copy)]
enum Target {
    ContainerName,
    PlacemarkName,
    Description,
    Value(usize),
    LinkName,
    Href,
    Coordinates,
    TrackCoord,
}

/// The text of an element being read.
struct Capture {
    target: Target,
    /// The stack depth of the element (its children are deeper).
    depth: usize,
    text: String,
    /// Child elements are kept as text (HTML in a description without CDATA).
    markup: bool,
}

struct PlacemarkBuilder {
    name: Option<String>,
    description: Option<String>,
    folder: Option<String>,
    data: Vec<(usize, String)>,
    shape: ShapeBuilder,
    unsupported: Option<&'static str>,
}

struct LinkBuilder {
    name: Option<String>,
    href: Option<String>,
}

/// The reader's state between events.
struct Walk<'o, 'p> {
    out: &'o mut Collected,
    folders: Folders<'p>,
    stack: Vec<Tag>,
    placemark: Option<PlacemarkBuilder>,
    /// The column of the `<Data>` being read.
    data_column: Option<usize>,
    link: Option<LinkBuilder>,
    capture: Option<Capture>,
    /// The root element has been met.
    root: bool,
}

impl Walk<'_, '_> {
    /// An element starts; says whether it was pushed (an empty element inside a captured text
    /// is only written out).
    fn start(&mut self, e: &BytesStart, empty: bool) -> Result<bool, String> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!("elements nested deeper than {MAX_DEPTH} levels"));
        }
        if let Some(c) = &mut self.capture {
            if c.markup {
                c.text.push('<');
                c.text.push_str(e);
                c.text.push_str(if empty { "/>" } else { ">" });
                if empty {
                    return Ok(false);
                }
            }
            self.stack.push(Tag::Other);
            return Ok(true);
        }
        let local = e.local_name();
        let name = local.as_ref();
        if !self.root {
            if name != "kml" {
                return Err(format!(
                    "not KML: the root element is <{}>, not <kml>",
                    excerpt(name)
                ));
            }
            self.root = true;
            self.stack.push(Tag::Kml);
            return Ok(true);
        }
        let parent = self.stack.last().copied();
        let in_placemark = self.placemark.is_some();
        let outside = !in_placemark && self.link.is_none();
        let tag = match name {
            "Document" | "Folder" if outside => {
                self.folders.open(name == "Folder");
                Tag::Container
            }
            "Placemark" if outside => {
                let folder = self.folders.path(None);
                self.placemark = Some(PlacemarkBuilder {
                    name: None,
                    description: None,
                    folder,
                    data: Vec::new(),
                    shape: ShapeBuilder::default(),
                    unsupported: None,
                });
                Tag::Placemark
            }
            "NetworkLink" if outside => {
                self.link = Some(LinkBuilder {
                    name: None,
                    href: None,
                });
                Tag::NetworkLink
            }
            "Schema" if outside => Tag::Schema,
            "SimpleField" if parent == Some(Tag::Schema) => {
                if let Some(field) = attribute(e, "name") {
                    let kml_type = attribute(e, "type");
                    self.out.columns.declare(&field, kml_type.as_deref());
                }
                Tag::Other
            }
            "name" => match parent {
                Some(Tag::Container) => self.capture(Target::ContainerName, false),
                Some(Tag::Placemark) => self.capture(Target::PlacemarkName, false),
                Some(Tag::NetworkLink) => self.capture(Target::LinkName, false),
                _ => Tag::Other,
            },
            "description" if parent == Some(Tag::Placemark) => {
                self.capture(Target::Description, true)
            }
            "href" if self.link.is_some() => self.capture(Target::Href, false),
            "ExtendedData" if parent == Some(Tag::Placemark) => Tag::ExtendedData,
            "Data" if parent == Some(Tag::ExtendedData) => {
                self.data_column = attribute(e, "name").map(|n| self.out.columns.column(&n));
                Tag::Data
            }
            "value" if parent == Some(Tag::Data) => match self.data_column {
                Some(c) => self.capture(Target::Value(c), true),
                None => Tag::Other,
            },
            "SchemaData" if parent == Some(Tag::ExtendedData) => Tag::SchemaData,
            "SimpleData" if parent == Some(Tag::SchemaData) => match attribute(e, "name") {
                Some(n) => {
                    let c = self.out.columns.column(&n);
                    self.capture(Target::Value(c), true)
                }
                None => Tag::Other,
            },
            "coordinates" if in_placemark && parent == Some(Tag::Geometry) => {
                self.capture(Target::Coordinates, false)
            }
            "coord" if in_placemark && parent == Some(Tag::Geometry) => {
                self.capture(Target::TrackCoord, false)
            }
            "Model" if in_placemark && matches!(parent, Some(Tag::Placemark | Tag::Geometry)) => {
                if let Some(p) = &mut self.placemark {
                    p.unsupported = Some("a Model (3D model) is not read");
                }
                Tag::Other
            }
            _ => match Kind::of(name) {
                Some(kind)
                    if in_placemark && matches!(parent, Some(Tag::Placemark | Tag::Geometry)) =>
                {
                    if let Some(p) = &mut self.placemark {
                        p.shape.open(kind);
                    }
                    Tag::Geometry
                }
                _ => Tag::Other,
            },
        };
        self.stack.push(tag);
        Ok(true)
    }

    /// Starts capturing the text of the element about to be pushed.
    fn capture(&mut self, target: Target, markup: bool) -> Tag {
        self.capture = Some(Capture {
            target,
            depth: self.stack.len(),
            text: String::new(),
            markup,
        });
        Tag::Captured
    }

    /// An element ends (`raw_name` as written, for markup kept in a captured text).
    fn end(&mut self, raw_name: &str) {
        let Some(tag) = self.stack.pop() else {
            return;
        };
        if let Some(c) = &mut self.capture {
            if self.stack.len() > c.depth {
                if c.markup && !raw_name.is_empty() {
                    c.text.push_str("</");
                    c.text.push_str(raw_name);
                    c.text.push('>');
                }
                return;
            }
            if let Some(c) = self.capture.take() {
                self.deliver(c.target, c.text);
            }
            return;
        }
        match tag {
            Tag::Container => self.folders.close(),
            Tag::Placemark => self.finish_placemark(),
            Tag::Data => self.data_column = None,
            Tag::NetworkLink => self.finish_link(),
            Tag::Geometry => {
                if let Some(p) = &mut self.placemark {
                    p.shape.close();
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if let Some(c) = &mut self.capture {
            c.text.push_str(text);
        }
    }

    /// `&name;` or `&#n;` in text: the character, or the reference as written when it is not
    /// XML's (`&nbsp;` in an HTML description).
    fn reference(&mut self, r: &BytesRef) {
        let Some(c) = &mut self.capture else {
            return;
        };
        match r.resolve_char_ref() {
            Ok(Some(ch)) => c.text.push(ch),
            _ => match quick_xml::escape::resolve_predefined_entity(r) {
                Some(s) => c.text.push_str(s),
                None => {
                    c.text.push('&');
                    c.text.push_str(r);
                    c.text.push(';');
                }
            },
        }
    }

    /// Puts a captured text where it belongs (a link and a placemark are never open together).
    fn deliver(&mut self, target: Target, text: String) {
        let trimmed = || text.trim().to_string();
        if let Target::ContainerName = target {
            return self.folders.name(trimmed());
        }
        if let Some(l) = &mut self.link {
            match target {
                Target::LinkName => l.name = Some(trimmed()),
                Target::Href => l.href = Some(trimmed()),
                _ => {}
            }
            return;
        }
        let Some(p) = &mut self.placemark else {
            return;
        };
        match target {
            Target::PlacemarkName => p.name = Some(trimmed()),
            Target::Description => p.description = Some(trimmed()),
            Target::Value(column) => p.data.push((column, text)),
            Target::Coordinates => p.shape.coordinates(&text),
            Target::TrackCoord => p.shape.track_coord(&text),
            _ => {}
        }
    }

    fn finish_placemark(&mut self) {
        let Some(p) = self.placemark.take() else {
            return;
        };
        let (shape, notes) = match p.unsupported {
            Some(why) => (Err(why.to_string()), Vec::new()),
            None => p.shape.build(),
        };
        self.out.placemarks.push(Placemark {
            name: p.name,
            description: p.description,
            folder: p.folder,
            data: p.data,
            shape,
            notes,
        });
    }

    fn finish_link(&mut self) {
        let Some(link) = self.link.take() else {
            return;
        };
        let Some(href) = link.href.filter(|h| !h.is_empty()) else {
            return;
        };
        let folder = self.folders.path(link.name.as_deref());
        self.out.links.push(Link { href, folder });
    }

    /// The innermost open element, for the truncation message.
    fn open_element(&self) -> &'static str {
        match self.stack.last() {
            _ if self.placemark.is_some() => "Placemark",
            Some(Tag::Container) => "Document or Folder",
            Some(Tag::Kml) => "kml",
            _ => "an element",
        }
    }
}

/// An attribute's value by local name, entities decoded (as written when one is not XML's, like
/// `&nbsp;`); `None` when absent.
fn attribute(e: &BytesStart, key: &str) -> Option<String> {
    let a = e
        .attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)?;
    Some(match a.normalized_value(XmlVersion::Implicit1_0) {
        Ok(v) => v.into_owned(),
        Err(_) => a.value.into_owned(),
    })
}
