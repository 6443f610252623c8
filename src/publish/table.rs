//! The package's CSV files: UTF-8 with a BOM, CRLF line ends, RFC 4180 quoting, formula text made
//! inert. A point layer is written as a facility list: the leading columns of the 自治体標準
//! オープンデータセット (全国地方公共団体コード, ID, 地方公共団体名, 名称, 所在地_連結表記), its other public
//! fields, then 緯度 and 経度 in decimal degrees (docs/research/publishing.md §5.3). Other layers
//! keep their fields and a WKT column. And the one row of the city's オープンデータ一覧.

use std::io::{self, Write};

use geo::MapCoords;
use geo_types::{Coord, Geometry};
use wkt::ToWkt;

use super::city::City;
use crate::export::Section;
use crate::export::csv::{cell, inert};
use crate::model::Layer;

/// What the sample-data column says on every row of fictional data.
pub const SAMPLE_CELL: &str = "架空のサンプルデータ FICTIONAL SAMPLE DATA";

/// Source fields that fill a standard column, in the order they are looked for.
const ID_FIELDS: &[&str] = &["共通ID", "ID", "id", "Id", "施設ID", "fid"];
const NAME_FIELDS: &[&str] = &[
    "名称",
    "施設・場所名",
    "施設名",
    "施設名称",
    "name",
    "NAME",
    "Name",
    "名前",
];
const ADDRESS_FIELDS: &[&str] = &["所在地_連結表記", "住所", "所在地", "address", "Address"];

/// How a layer is laid out as CSV.
pub struct Layout {
    /// A point layer written as a facility list with the standard leading columns.
    pub facility: bool,
    /// Source columns that fill ID, 名称 and 所在地_連結表記 (facility lists only).
    pub id: Option<usize>,
    pub name: Option<usize>,
    pub address: Option<usize>,
    /// The layer's other public columns, in order.
    pub rest: Vec<usize>,
}

impl Layout {
    pub fn of(section: &Section<'_>) -> Layout {
        let layer = section.layer;
        let facility = section.ids.iter().any(|&i| has_point(layer, i))
            && section
                .ids
                .iter()
                .all(|&i| matches!(layer.features[i].geometry, Some(Geometry::Point(_)) | None));
        let find = |names: &[&str]| {
            names.iter().find_map(|n| {
                section
                    .columns
                    .iter()
                    .copied()
                    .find(|&c| layer.fields[c].name == *n)
            })
        };
        let (id, name, address) = if facility {
            (find(ID_FIELDS), find(NAME_FIELDS), find(ADDRESS_FIELDS))
        } else {
            (None, None, None)
        };
        let rest = section
            .columns
            .iter()
            .copied()
            .filter(|c| ![id, name, address].contains(&Some(*c)))
            .collect();
        Layout {
            facility,
            id,
            name,
            address,
            rest,
        }
    }

    /// The standard columns and the source fields that fill them, for the README.
    pub fn filled_from<'l>(&self, layer: &'l Layer) -> Vec<(&'static str, &'l str)> {
        [
            ("ID", self.id),
            ("名称", self.name),
            ("所在地_連結表記", self.address),
        ]
        .into_iter()
        .filter_map(|(column, c)| c.map(|c| (column, layer.fields[c].name.as_str())))
        .collect()
    }
}

fn has_point(layer: &Layer, i: usize) -> bool {
    matches!(layer.features[i].geometry, Some(Geometry::Point(_)))
}

/// Writes one layer; returns the rows written.
pub fn write_layer(
    w: &mut impl Write,
    section: &Section<'_>,
    city: &City,
    precision: usize,
) -> io::Result<usize> {
    let layer = section.layer;
    let layout = Layout::of(section);
    let sample = layer.meta.sample;
    w.write_all(b"\xEF\xBB\xBF")?;
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(w);
    let mut header: Vec<&str> = Vec::new();
    if layout.facility {
        header.extend([
            "全国地方公共団体コード",
            "ID",
            "地方公共団体名",
            "名称",
            "所在地_連結表記",
        ]);
    }
    header.extend(layout.rest.iter().map(|&c| layer.fields[c].name.as_str()));
    if layout.facility {
        header.extend(["緯度", "経度"]);
    } else {
        header.push("WKT");
    }
    if sample {
        header.push("注記");
    }
    out.write_record(&header)?;
    let scale = 10f64.powi(precision as i32);
    let round = |v: f64| (v * scale).round() / scale;
    for &i in &section.ids {
        let f = &layer.features[i];
        let value = |c: Option<usize>| cell(c.and_then(|c| f.values.get(c)));
        let mut row: Vec<String> = Vec::with_capacity(header.len());
        if layout.facility {
            let id = match layout.id {
                Some(c) => value(Some(c)),
                // The record's number in the source, counted from 1.
                None => (f.record + 1).to_string(),
            };
            row.extend([
                city.code.clone(),
                id,
                inert(city.name.clone()),
                value(layout.name),
                value(layout.address),
            ]);
        }
        row.extend(layout.rest.iter().map(|&c| value(Some(c))));
        match (&f.geometry, layout.facility) {
            (Some(Geometry::Point(p)), true) => {
                row.push(round(p.y()).to_string());
                row.push(round(p.x()).to_string());
            }
            (_, true) => row.extend([String::new(), String::new()]),
            (Some(g), false) => row.push(
                g.map_coords(|c| Coord {
                    x: round(c.x),
                    y: round(c.y),
                })
                .wkt_string(),
            ),
            (None, false) => row.push(String::new()),
        }
        if sample {
            row.push(SAMPLE_CELL.to_string());
        }
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(section.ids.len())
}

/// The columns of the city's オープンデータ一覧, as the old 推奨データセット confirmed them, with the
/// 自治体標準 leading columns (docs/research/publishing.md §5.2: the 自治体標準 names past the first
/// three are not confirmed; correct them here).
pub const CATALOGUE_COLUMNS: [&str; 14] = [
    "全国地方公共団体コード",
    "ID",
    "地方公共団体名",
    "データ名称",
    "データ概要",
    "データ形式",
    "分類",
    "更新頻度",
    "URL",
    "API対応有無",
    "ライセンス",
    "登録日",
    "最終更新日",
    "備考",
];

/// The 分類 values of the オープンデータ一覧.
pub const CATEGORIES: &[&str] = &[
    "国土・気象",
    "人口・世帯",
    "労働・賃金",
    "農林水産業",
    "鉱工業",
    "商業・サービス業",
    "企業・家計・経済",
    "住宅・土地・建設",
    "エネルギー・水",
    "運輸・観光",
    "情報通信・科学技術",
    "教育・文化・スポーツ・生活",
    "行財政",
    "司法・安全・環境",
    "社会保障・衛生",
    "国際",
    "その他",
];

/// Writes the header and the package's row of the オープンデータ一覧; `row` is in
/// [`CATALOGUE_COLUMNS`] order.
pub fn write_catalogue_row(w: &mut impl Write, row: &[String; 14]) -> io::Result<()> {
    w.write_all(b"\xEF\xBB\xBF")?;
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(w);
    out.write_record(CATALOGUE_COLUMNS)?;
    out.write_record(row.iter().map(|c| inert(c.clone())))?;
    out.flush()
}
