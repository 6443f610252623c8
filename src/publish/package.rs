//! One description of a package, from which every metadata file is derived (so they never
//! disagree): DCAT as JSON-LD (DCAT 3 / DCAT-AP 3.0.1 terms) and a CKAN `package_create`
//! document (docs/research/publishing.md §3–4).

use serde_json::{Value as Json, json};

use super::terms::PackageLicence;
use crate::model::Envelope;

/// What the package is, as the catalogue shows it.
#[derive(Debug, Clone)]
pub struct Package {
    pub title: String,
    pub description: String,
    pub publisher: String,
    /// An e-mail address or a URL.
    pub contact: Option<String>,
    pub keywords: Vec<String>,
    /// YYYY-MM-DD, as given (`--issued`): no clock reading, so a package is reproducible.
    pub issued: String,
    /// The data's as-of date (YYYY-MM-DD), when the project states one.
    pub as_of: Option<String>,
    pub licence: PackageLicence,
    /// Every source's credit line, as its terms ask for it.
    pub credits: Vec<String>,
    /// 全国地方公共団体コード (six digits with the check digit) and the municipality's name.
    pub city_code: String,
    pub city_name: String,
    /// Lon/lat extent of the data.
    pub bbox: Option<Envelope>,
    /// Fictional sample data is in it (every file says so).
    pub sample: bool,
    pub distributions: Vec<Distribution>,
}

/// One file of the package.
#[derive(Debug, Clone)]
pub struct Distribution {
    /// File name inside the package.
    pub file: String,
    pub title: String,
    /// CKAN's format name ("GeoJSON", "CSV", "SHP", "GPKG").
    pub format: &'static str,
    /// IANA media type, when there is one (a Shapefile has none).
    pub media_type: Option<&'static str>,
    pub byte_size: u64,
    /// Lower-case hex SHA-256 of the file as written.
    pub sha256: String,
    /// Features in the file, for a data file.
    pub features: Option<usize>,
    /// The credit line of the file's source, when it has one (else the package's lines).
    pub rights: Option<String>,
}

impl Distribution {
    /// The distribution of a file as written: its size and SHA-256 read from disk, its format
    /// and media type from its extension. `name` is its path inside the package.
    pub fn of_file(path: &std::path::Path, name: &str, title: &str) -> std::io::Result<Self> {
        use sha2::Digest;
        use std::io::Read;
        let mut file = std::fs::File::open(path)?;
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        let digest = hasher.finalize();
        let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        let ext = std::path::Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let zipped_shapefile = name.to_ascii_lowercase().ends_with(".shp.zip");
        let (format, media_type) = match ext.as_str() {
            "zip" if zipped_shapefile => ("SHP", Some("application/zip")),
            "geojson" | "json" => ("GeoJSON", Some("application/geo+json")),
            "csv" => ("CSV", Some("text/csv")),
            "gpkg" => ("GPKG", Some("application/geopackage+sqlite3")),
            "zip" => ("ZIP", Some("application/zip")),
            "shp" => ("SHP", None),
            "fgb" => ("FlatGeobuf", None),
            "md" => ("Markdown", Some("text/markdown")),
            "jsonld" => ("JSON-LD", Some("application/ld+json")),
            _ => ("other", None),
        };
        Ok(Distribution {
            file: name.to_string(),
            title: title.to_string(),
            format,
            media_type,
            byte_size: size,
            sha256,
            features: None,
            rights: None,
        })
    }
}

const MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";
const SHA256: &str = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256";
const SAMPLE_NOTICE: &str = "架空のサンプルデータを含みます（実在の用地・企業ではありません）。 Contains FICTIONAL SAMPLE DATA: not real sites or enterprises.";

impl Package {
    /// The description with the sample-data notice first when it applies.
    fn notes(&self) -> String {
        if self.sample {
            format!("{SAMPLE_NOTICE}\n\n{}", self.description)
        } else {
            self.description.clone()
        }
    }

    /// The municipality as 統計LOD names it (標準地域コード: the first five digits).
    fn municipality_uri(&self) -> Option<String> {
        let code = self.city_code.get(..5)?;
        code.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| format!("http://data.e-stat.go.jp/lod/sac/C{code}"))
    }

    /// DCAT as JSON-LD: one `dcat:Dataset` with a `dcat:Distribution` per file.
    pub fn dcat(&self) -> Json {
        let mut spatial = Vec::new();
        if let Some(uri) = self.municipality_uri() {
            spatial.push(json!({"@id": uri}));
        }
        if let Some(b) = self.bbox {
            spatial.push(json!({
                "@type": "dct:Location",
                "dcat:bbox": {
                    "@value": format!(
                        "POLYGON(({0} {1}, {2} {1}, {2} {3}, {0} {3}, {0} {1}))",
                        b.min_x, b.min_y, b.max_x, b.max_y
                    ),
                    "@type": "gsp:wktLiteral"
                }
            }));
        }
        let licence = json!({"@id": self.licence.uri()});
        let rights = self.credits.join("\n");
        let distributions: Vec<Json> = self
            .distributions
            .iter()
            .map(|d| {
                let mut dist = json!({
                    "@type": "dcat:Distribution",
                    "dct:title": d.title,
                    "dcat:downloadURL": {"@id": d.file},
                    "dcat:accessURL": {"@id": d.file},
                    "dct:format": d.format,
                    "dcat:byteSize": {"@value": d.byte_size.to_string(), "@type": "xsd:nonNegativeInteger"},
                    "dct:license": licence,
                    "spdx:checksum": {
                        "@type": "spdx:Checksum",
                        "spdx:algorithm": {"@id": SHA256},
                        "spdx:checksumValue": {"@value": d.sha256, "@type": "xsd:hexBinary"}
                    }
                });
                if let Some(n) = d.features {
                    dist["dct:description"] = json!(format!("{n} 件 / {n} features"));
                }
                if let Some(m) = d.media_type {
                    dist["dcat:mediaType"] = json!({"@id": format!("{MEDIA_TYPES}{m}")});
                }
                match &d.rights {
                    Some(own) => {
                        dist["dct:rights"] = json!({"@type": "dct:RightsStatement", "rdfs:label": own});
                    }
                    None if !rights.is_empty() => {
                        dist["dct:rights"] = json!({"@type": "dct:RightsStatement", "rdfs:label": rights});
                    }
                    None => {}
                }
                dist
            })
            .collect();
        let mut dataset = json!({
            "@context": {
                "dcat": "http://www.w3.org/ns/dcat#",
                "dct": "http://purl.org/dc/terms/",
                "foaf": "http://xmlns.com/foaf/0.1/",
                "vcard": "http://www.w3.org/2006/vcard/ns#",
                "spdx": "http://spdx.org/rdf/terms#",
                "gsp": "http://www.opengis.net/ont/geosparql#",
                "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                "xsd": "http://www.w3.org/2001/XMLSchema#"
            },
            "@type": "dcat:Dataset",
            "dct:title": {"@value": self.title, "@language": "ja"},
            "dct:description": {"@value": self.notes(), "@language": "ja"},
            "dct:publisher": {"@type": "foaf:Agent", "foaf:name": self.publisher},
            "dcat:keyword": self.keywords,
            "dct:issued": {"@value": self.issued, "@type": "xsd:date"},
            "dct:modified": {"@value": self.issued, "@type": "xsd:date"},
            "dct:spatial": spatial,
            "dct:license": licence,
            "dcat:distribution": distributions,
        });
        if let Some(contact) = &self.contact {
            let has = if contact.contains('@') {
                format!("mailto:{contact}")
            } else {
                contact.clone()
            };
            dataset["dcat:contactPoint"] = json!({
                "@type": "vcard:Organization",
                "vcard:fn": self.publisher,
                "vcard:hasEmail": {"@id": has}
            });
        }
        if let Some(as_of) = &self.as_of {
            dataset["dct:temporal"] = json!({
                "@type": "dct:PeriodOfTime",
                "dcat:endDate": {"@value": as_of, "@type": "xsd:date"}
            });
        }
        if !rights.is_empty() {
            dataset["dct:rights"] = json!({"@type": "dct:RightsStatement", "rdfs:label": rights});
        }
        dataset
    }

    /// A CKAN `package_create` document (the portal's organisation is added by whoever submits).
    pub fn ckan(&self, licence_id: &str) -> Json {
        let mut extras = vec![
            json!({"key": "issued", "value": self.issued}),
            json!({"key": "modified", "value": self.issued}),
            json!({"key": "spatial_text", "value": self.city_name}),
        ];
        if let Some(uri) = self.municipality_uri() {
            extras.push(json!({"key": "spatial_uri", "value": uri}));
        }
        if let Some(b) = self.bbox {
            extras.push(json!({"key": "spatial_bbox", "value": format!("{},{},{},{}", b.min_x, b.min_y, b.max_x, b.max_y)}));
        }
        if let Some(as_of) = &self.as_of {
            extras.push(json!({"key": "temporal_end", "value": as_of}));
        }
        if !self.credits.is_empty() {
            extras.push(json!({"key": "rights", "value": self.credits.join("\n")}));
        }
        extras.push(json!({"key": "publisher_name", "value": self.publisher}));
        extras.push(json!({"key": "license_url", "value": self.licence.uri()}));
        let resources: Vec<Json> = self
            .distributions
            .iter()
            .map(|d| {
                let mut resource = json!({
                    "name": d.title,
                    "url": d.file,
                    "format": d.format,
                    "mimetype": d.media_type,
                    "size": d.byte_size,
                    "hash": d.sha256,
                    "hash_algorithm": SHA256,
                });
                if let Some(n) = d.features {
                    resource["description"] = json!(format!("{n} 件 / {n} features"));
                    resource["feature_count"] = json!(n);
                }
                resource
            })
            .collect();
        let tags: Vec<Json> = self
            .keywords
            .iter()
            .filter_map(|k| ckan_tag(k))
            .map(|k| json!({"name": k}))
            .collect();
        let mut doc = json!({
            "name": ckan_name(&self.city_code, &self.title, &self.issued),
            "title": self.title,
            "notes": self.notes(),
            "license_id": licence_id,
            "tags": tags,
            "extras": extras,
            "resources": resources,
        });
        if let Some(contact) = self.contact.as_ref().filter(|c| c.contains('@')) {
            doc["maintainer"] = json!(self.publisher);
            doc["maintainer_email"] = json!(contact);
        }
        doc
    }
}

/// A CKAN dataset name (2–100 characters of a–z, 0–9, `-`, `_`): the city code, the ASCII
/// letters and digits of the title, and the issue date.
pub fn ckan_name(city_code: &str, title: &str, issued: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut parts = vec![city_code.to_string()];
    parts.extend(words);
    parts.push(issued.replace('-', ""));
    let mut name = parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    name.truncate(100);
    while name.len() < 2 {
        name.push('x');
    }
    name
}

/// A keyword as a CKAN tag (letters of any script, digits, space, `-`, `_`, `.`; 2–100
/// characters): other characters become spaces; `None` when too short.
pub fn ckan_tag(keyword: &str) -> Option<String> {
    let cleaned: String = keyword
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') {
                c
            } else {
                ' '
            }
        })
        .collect();
    let cleaned: String = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = cleaned.chars().count();
    (2..=100).contains(&n).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package() -> Package {
        Package {
            title: "日野市 避難所 Hino shelters".into(),
            description: "指定避難所の一覧".into(),
            publisher: "日野市".into(),
            contact: Some("opendata@example.jp".into()),
            keywords: vec!["避難所".into(), "防災・減災".into(), "x".into()],
            issued: "2026-12-01".into(),
            as_of: Some("2026-04-01".into()),
            licence: PackageLicence::CcBy4,
            credits: vec!["出典：国土地理院（指定緊急避難場所データ）を加工して作成".into()],
            city_code: "132128".into(),
            city_name: "東京都日野市".into(),
            bbox: Some(Envelope::new(139.36, 35.64, 139.43, 35.69)),
            sample: false,
            distributions: vec![Distribution {
                file: "shelters.geojson".into(),
                title: "指定避難所 (GeoJSON)".into(),
                format: "GeoJSON",
                media_type: Some("application/geo+json"),
                byte_size: 12345,
                sha256: "ab".repeat(32),
                features: Some(51),
                rights: None,
            }],
        }
    }

    #[test]
    fn dcat_carries_every_field_with_its_type() {
        let d = package().dcat();
        assert_eq!(d["@type"], "dcat:Dataset");
        assert_eq!(
            d["dct:spatial"][0]["@id"],
            "http://data.e-stat.go.jp/lod/sac/C13212"
        );
        assert!(
            d["dct:spatial"][1]["dcat:bbox"]["@value"]
                .as_str()
                .unwrap()
                .starts_with("POLYGON((139.36 35.64")
        );
        assert_eq!(
            d["dct:license"]["@id"],
            "https://creativecommons.org/licenses/by/4.0/"
        );
        assert_eq!(
            d["dcat:contactPoint"]["vcard:hasEmail"]["@id"],
            "mailto:opendata@example.jp"
        );
        assert_eq!(d["dct:temporal"]["dcat:endDate"]["@value"], "2026-04-01");
        let dist = &d["dcat:distribution"][0];
        assert_eq!(dist["dcat:byteSize"]["@value"], "12345");
        assert_eq!(
            dist["spdx:checksum"]["spdx:checksumValue"]["@value"],
            "ab".repeat(32)
        );
        assert_eq!(
            dist["dcat:mediaType"]["@id"],
            "https://www.iana.org/assignments/media-types/application/geo+json"
        );
        assert!(
            dist["dct:rights"]["rdfs:label"]
                .as_str()
                .unwrap()
                .contains("加工して作成")
        );
    }

    #[test]
    fn ckan_document_has_what_package_create_requires() {
        let c = package().ckan("cc-by-4.0");
        let name = c["name"].as_str().unwrap();
        assert_eq!(name, "132128-hino-shelters-20261201");
        assert!(name.len() >= 2 && name.len() <= 100);
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        );
        let tags: Vec<&str> = c["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(tags, ["避難所", "防災 減災"]);
        assert_eq!(c["resources"][0]["size"], 12345);
        assert_eq!(c["resources"][0]["hash"], "ab".repeat(32));
        let keys: Vec<&str> = c["extras"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].as_str().unwrap())
            .collect();
        let unique: std::collections::HashSet<&&str> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len(), "extras keys unique: {keys:?}");
    }

    #[test]
    fn a_file_is_measured_and_hashed_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, b"abc").unwrap();
        let d = Distribution::of_file(&path, "data/a.csv", "A").unwrap();
        assert_eq!(d.byte_size, 3);
        // FIPS 180-2's example: SHA-256("abc").
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!((d.format, d.media_type), ("CSV", Some("text/csv")));
    }

    #[test]
    fn sample_data_says_so_first() {
        let mut p = package();
        p.sample = true;
        assert!(
            p.dcat()["dct:description"]["@value"]
                .as_str()
                .unwrap()
                .starts_with("架空のサンプルデータ")
        );
        assert!(
            p.ckan("cc-by-4.0")["notes"]
                .as_str()
                .unwrap()
                .contains("FICTIONAL SAMPLE DATA")
        );
    }
}
