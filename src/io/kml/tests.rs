use geo_types::Geometry;

use super::*;
use crate::model::{FieldType, Value};

fn load(kml: &str) -> Parsed {
    try_load(kml.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn try_load(bytes: &[u8]) -> Result<Parsed, LoadError> {
    let input = Input::from_bytes("t.kml", bytes.to_vec());
    KmlLoader.load(&input, &LoadOptions::default())
}

fn kml(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">{body}</kml>"#
    )
}

fn names(p: &Parsed) -> Vec<&str> {
    p.fields.iter().map(|f| f.name.as_str()).collect()
}

fn value<'a>(p: &'a Parsed, feature: usize, field: &str) -> &'a Value {
    let column = p.fields.iter().position(|f| f.name == field).unwrap();
    &p.features[feature].values[column]
}

#[test]
fn placemarks_anywhere_with_folder_paths() {
    let p = load(&kml(r#"<Document><name>root</name>
        <Placemark><name>top</name><Point><coordinates>139,35</coordinates></Point></Placemark>
        <Folder><name>A</name>
          <Folder><name>B</name>
            <Placemark><name>deep</name><Point><coordinates>139.1,35.1</coordinates></Point></Placemark>
          </Folder>
          <Document><name>inner</name>
            <Placemark><name>in doc</name></Placemark>
          </Document>
          <Placemark><name>a</name></Placemark>
        </Folder></Document>"#));
    assert_eq!(names(&p), ["name", "folder"]);
    let folders: Vec<&Value> = (0..4).map(|i| value(&p, i, "folder")).collect();
    assert_eq!(
        folders,
        [
            &Value::Null,
            &Value::Text("A / B".into()),
            &Value::Text("A / inner".into()),
            &Value::Text("A".into())
        ]
    );
    assert_eq!(p.record_count, 4);
    assert!(p.features[2].geometry.is_none());
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert!(matches!(
        p.crs,
        CrsHint::Stated {
            decided_by: DecidedBy::Format,
            ..
        }
    ));
}

#[test]
fn descriptions_keep_html_as_text() {
    let p = load(&kml(r#"<Placemark><name> AT&amp;T &#x65E5;&#37326; </name>
        <description><![CDATA[<table><tr><td>名称</td></tr></table>]]></description></Placemark>
        <Placemark><name>B & C</name><description>&lt;b&gt;x&lt;/b&gt; &nbsp;<br/><i>y</i></description></Placemark>"#));
    assert_eq!(value(&p, 0, "name"), &Value::Text("AT&T 日野".into()));
    assert_eq!(
        value(&p, 0, "description"),
        &Value::Text("<table><tr><td>名称</td></tr></table>".into())
    );
    assert_eq!(value(&p, 1, "name"), &Value::Text("B & C".into()));
    assert_eq!(
        value(&p, 1, "description"),
        &Value::Text("<b>x</b> &nbsp;<br/><i>y</i>".into())
    );
}

#[test]
fn extended_data_in_order_of_first_appearance_typed_by_schema_or_values() {
    let p = load(&kml(r##"<Document>
        <Schema name="s" id="s"><SimpleField name="n" type="int"/><SimpleField name="f" type="double"></SimpleField>
          <SimpleField name="ok" type="bool"/><SimpleField name="code" type="string"/></Schema>
        <Placemark><ExtendedData>
          <Data name="人口"><value>120</value></Data>
          <SchemaData schemaUrl="#s"><SimpleData name="n">1</SimpleData><SimpleData name="code">0601</SimpleData>
            <SimpleData name="ok">1</SimpleData></SchemaData>
        </ExtendedData></Placemark>
        <Placemark><ExtendedData>
          <Data name="人口"><displayName>pop</displayName><value>12.5</value></Data>
          <Data name="備考"><value>日野市</value></Data>
          <SchemaData schemaUrl="#s"><SimpleData name="f"></SimpleData><SimpleData name="code"></SimpleData>
          <SimpleData name="ok">false</SimpleData></SchemaData>
        </ExtendedData></Placemark></Document>"##));
    let fields: Vec<(&str, FieldType)> = p
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.field_type))
        .collect();
    assert_eq!(
        fields,
        [
            ("n", FieldType::Int),
            ("f", FieldType::Float),
            ("ok", FieldType::Bool),
            ("code", FieldType::Text),
            ("人口", FieldType::Float),
            ("備考", FieldType::Text),
        ]
    );
    use Value::{Bool, Float, Int, Null, Text};
    assert_eq!(
        p.features[0].values,
        [
            Int(1),
            Null,
            Bool(true),
            Text("0601".into()),
            Float(120.0),
            Null
        ]
    );
    assert_eq!(
        p.features[1].values,
        [
            Null,
            Null,
            Bool(false),
            Text(String::new()),
            Float(12.5),
            Text("日野市".into())
        ]
    );
}

#[test]
fn geometries_with_z_holes_and_multi() {
    let p = load(&kml(r#"
        <Placemark><name>z</name><LineString><altitudeMode>absolute</altitudeMode>
          <coordinates>139,35,10 139.1,35.1,20</coordinates></LineString></Placemark>
        <Placemark><name>hole</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
          0,0 4,0 4,4 0,4 0,0</coordinates></LinearRing></outerBoundaryIs>
          <innerBoundaryIs><LinearRing><coordinates>1,1 2,1 2,2</coordinates></LinearRing></innerBoundaryIs>
        </Polygon></Placemark>
        <Placemark><name>multi</name><MultiGeometry><Point><coordinates>1,1</coordinates></Point>
          <Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1 0,0</coordinates></LinearRing></outerBoundaryIs></Polygon>
        </MultiGeometry></Placemark>
        <Placemark><name>track</name><gx:Track><when>2024-01-01T00:00:00Z</when><gx:coord>139 35 5</gx:coord>
          <gx:coord>139.1 35.1 6</gx:coord></gx:Track></Placemark>"#));
    assert_eq!(p.features[0].z.as_deref(), Some(&[10.0, 20.0][..]));
    let Some(Geometry::Polygon(hole)) = &p.features[1].geometry else {
        panic!("{:?}", p.features[1].geometry)
    };
    assert_eq!(hole.interiors()[0].0.len(), 4);
    assert!(p.features[1].z.is_none());
    assert!(
        p.warnings.iter().any(|w| w.record == Some(1)
            && w.message
                .contains("placemark 'hole': 1 polygon ring(s) not closed")),
        "{:?}",
        p.warnings
    );
    assert!(matches!(
        &p.features[2].geometry,
        Some(Geometry::GeometryCollection(c)) if c.0.len() == 2
    ));
    assert!(matches!(&p.features[3].geometry, Some(Geometry::LineString(l)) if l.0.len() == 2));
    assert_eq!(p.features[3].z.as_deref(), Some(&[5.0, 6.0][..]));
}

#[test]
fn a_bad_coordinate_skips_that_geometry_naming_the_placemark() {
    let p = load(&kml(r#"<Document>
        <Placemark><name>good</name><Point><coordinates>139,35</coordinates></Point></Placemark>
        <Placemark><name>日野駅</name><Point><coordinates>139.39;35.67</coordinates></Point></Placemark>
        <Placemark><Point><coordinates>139</coordinates></Point></Placemark>
        <Placemark><name>also good</name><Point><coordinates>139,35</coordinates></Point></Placemark>
        </Document>"#));
    assert_eq!(p.features.len(), 4);
    let with_geometry: Vec<bool> = p.features.iter().map(|f| f.geometry.is_some()).collect();
    assert_eq!(with_geometry, [true, false, false, true]);
    let w: Vec<(Option<u64>, &str)> = p
        .warnings
        .iter()
        .map(|w| (w.record, w.message.as_str()))
        .collect();
    assert_eq!(w.len(), 2, "{w:?}");
    assert_eq!(w[0].0, Some(1));
    assert!(
        w[0].1.starts_with("placemark '日野駅': position 1"),
        "{w:?}"
    );
    assert!(
        w[0].1
            .ends_with("geometry skipped (the placemark is kept without it)")
    );
    assert_eq!(w[1].0, Some(2));
    assert!(
        w[1].1
            .starts_with("placemark (no name): position 1 ('139'): one number")
    );
}

#[test]
fn network_links_are_not_followed_from_a_kml() {
    let p = load(&kml(
        r#"<Document><NetworkLink><name>more</name><Link><href>http://example.com/a.kml</href></Link></NetworkLink>
        <NetworkLink><Url><href>b.kml</href></Url></NetworkLink></Document>"#,
    ));
    assert!(p.features.is_empty());
    let text: Vec<&str> = p.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        text,
        [
            "2 NetworkLink(s) not followed: only the placemarks in this file are read (links to http://example.com/a.kml, b.kml)",
            "no Placemark in the file: the layer is empty"
        ]
    );
}

#[test]
fn empty_and_broken_documents_are_clear_errors() {
    for (bytes, says) in [
        (&b""[..], "no XML element: the document is empty"),
        (b"   \n", "no XML element"),
        (b"<?xml version=\"1.0\"?>", "no XML element"),
        (b"<gpx></gpx>", "not KML: the root element is <gpx>"),
        (
            b"<kml><Document><Placemark><name>x</name>",
            "the file ends inside <Placemark> (truncated?)",
        ),
        (
            b"<kml><Document></Folder></kml>",
            "not well-formed XML at line 1",
        ),
        (b"<kml>\xff</kml>", "not UTF-8"),
    ] {
        let e = try_load(bytes)
            .err()
            .unwrap_or_else(|| panic!("loaded {bytes:?}"));
        let m = e.to_string();
        assert!(m.starts_with("t.kml: ") && m.contains(says), "{m}");
    }
    let p = load("<kml><Document/></kml>");
    assert!(p.features.is_empty() && p.fields.is_empty());
}

#[test]
fn deep_nesting_is_an_error() {
    let deep = format!(
        "<kml>{}{}</kml>",
        "<Folder>".repeat(parse::MAX_DEPTH + 1),
        "</Folder>".repeat(parse::MAX_DEPTH + 1)
    );
    let e = try_load(deep.as_bytes()).err().unwrap().to_string();
    assert!(e.contains("nested deeper than 256"), "{e}");
}

#[test]
fn declared_encodings_are_honoured() {
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(
        r#"<?xml version="1.0" encoding="Shift_JIS"?><kml><Placemark><name>日野</name></Placemark></kml>"#,
    );
    let p = try_load(&bytes).unwrap();
    assert_eq!(p.features[0].values[0], Value::Text("日野".into()));
    assert_eq!(
        p.encoding,
        Some(TextEncoding {
            name: "CP932".into(),
            decided_by: "xml declaration".into()
        })
    );
    // The same bytes without the declaration: not UTF-8, with the hint.
    let (bytes, _, _) =
        encoding_rs::SHIFT_JIS.encode("<kml><Placemark><name>日野</name></Placemark></kml>");
    let e = try_load(&bytes).err().unwrap().to_string();
    assert!(e.contains("not UTF-8") && e.contains("cp932"), "{e}");
    assert_eq!(
        declared_encoding(b"<?xml version='1.0' encoding = 'EUC-JP' ?><kml/>").as_deref(),
        Some("EUC-JP")
    );
    assert_eq!(declared_encoding(b"<?xml version='1.0'?><kml/>"), None);
}

#[test]
fn hrefs_resolve_inside_the_archive() {
    assert_eq!(
        member_path("doc.kml", "layers/a.kml").as_deref(),
        Some("layers/a.kml")
    );
    assert_eq!(
        member_path("layers/a.kml", "../b%20c.kml?x=1").as_deref(),
        Some("b c.kml")
    );
    assert_eq!(
        member_path("layers/a.kml", "./c.kml").as_deref(),
        Some("layers/c.kml")
    );
    assert_eq!(member_path("doc.kml", "../up.kml"), None);
    assert_eq!(member_path("doc.kml", "https://x.org/a.kml"), None);
    assert_eq!(member_path("doc.kml", "/abs.kml"), None);
}

#[test]
fn kmz_follows_links_to_its_members_once() {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let doc = kml(
        r#"<Document><Folder><name>F</name><NetworkLink><name>L</name><Link><href>layers/a.kml</href></Link></NetworkLink></Folder>
        <NetworkLink><Link><href>layers/a.kml</href></Link></NetworkLink>
        <NetworkLink><Link><href>http://example.com/x.kml</href></Link></NetworkLink></Document>"#,
    );
    let layer = kml(
        r#"<Document><name>a</name><Placemark><name>p</name><Point><coordinates>139,35</coordinates></Point></Placemark>
        <NetworkLink><Link><href>../doc.kml</href></Link></NetworkLink></Document>"#,
    );
    for (name, body) in [("layers/a.kml", &layer), ("doc.kml", &doc)] {
        zip.start_file(name, options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    let input = Input::from_bytes("t.kmz", bytes);
    let p = KmlLoader.load(&input, &LoadOptions::default()).unwrap();
    assert_eq!(p.features.len(), 1);
    assert_eq!(p.features[0].values[1], Value::Text("F / L / a".into()));
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert!(
        p.warnings[0]
            .message
            .starts_with("1 NetworkLink(s) not followed")
    );
    // A zip without a .kml.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("a.txt", options).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let e = KmlLoader
        .load(&Input::from_bytes("t.kmz", bytes), &LoadOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("the KMZ holds no .kml document among its 1 entries"),
        "{e}"
    );
}

#[test]
fn check_head_refuses_what_is_neither_xml_nor_zip() {
    assert!(KmlLoader.check_head("kml", b"\xEF\xBB\xBF  <?xml").is_ok());
    assert!(KmlLoader.check_head("kmz", b"PK\x03\x04....").is_ok());
    assert!(KmlLoader.check_head("kml", b"").is_ok());
    let e = KmlLoader.check_head("kml", b"{\"type\":").unwrap_err();
    assert!(e.contains("0x7B"), "{e}");
    assert!(
        KmlLoader
            .check_head("kml", b"\xFF\xFE<\0")
            .unwrap_err()
            .contains("UTF-16")
    );
}

#[test]
fn a_model_is_not_read_and_said_so() {
    let p = load(&kml(
        r#"<Placemark><name>塔</name><Model><Location><longitude>139</longitude><latitude>35</latitude></Location></Model></Placemark>
        <Placemark><ExtendedData><Data name="a&nbsp;b"><value>1</value></Data></ExtendedData></Placemark>"#,
    ));
    assert!(p.features[0].geometry.is_none());
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert!(
        p.warnings[0]
            .message
            .starts_with("placemark '塔': a Model (3D model) is not read; geometry skipped")
    );
    // An attribute with an entity XML does not know is kept as written.
    assert_eq!(names(&p), ["name", "a&nbsp;b"]);
}
