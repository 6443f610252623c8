//! The files built into the binary (`include_bytes!`), so the viewer opens on the Hino project
//! from any folder: each with its title, role, credit line and licence. Sources and licences:
//! data/hino/SOURCES.md (build.rs checks that it names every file).

use crate::error::LoadError;
use crate::io::{self, Input, LoadOptions};
use crate::model::{Layer, Role};

/// One embedded file with its title and credit line.
pub struct EmbeddedLayer {
    pub file: &'static str,
    pub title: &'static str,
    pub role: Role,
    pub credit: &'static str,
    pub bytes: &'static [u8],
}

/// The date the embedded Hino project is current as of.
pub const AS_OF: &str = "2026-11-24";

const N03: &str = "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成";
const N02: &str = "出典：国土数値情報（鉄道データ）（国土交通省）";
const N06: &str = "中央自動車道：国土数値情報（高速道路時系列データ）（国土交通省）・Wikipedia より作成（CC BY-SA 3.0）";
const GSI: &str = "出典：国土地理院（指定緊急避難場所データ）";
const SAMPLE: &str =
    "架空のサンプルデータ（sitelens make_hino_sample が実在の境界・鉄道・高速道路から生成）";

macro_rules! embed {
    ($file:literal, $title:literal, $role:expr, $credit:expr) => {
        EmbeddedLayer {
            file: $file,
            title: $title,
            role: $role,
            credit: $credit,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/", $file)),
        }
    };
}

/// The Hino context layers, bottom to top.
pub static HINO: &[EmbeddedLayer] = &[
    embed!(
        "hino/neighbours_n03_2021_simplified.geojson",
        "近隣市 Neighbouring cities",
        Role::Neighbours,
        N03
    ),
    embed!(
        "sample/zoning_fictional.geojson",
        "用途地域（架空） Zoning (fictional sample)",
        Role::Zoning,
        SAMPLE
    ),
    embed!(
        "hino/hino_boundary_n03.geojson",
        "日野市 Hino city boundary",
        Role::Boundary,
        N03
    ),
    embed!(
        "hino/expressway_path.geojson",
        "中央自動車道 Chuo Expressway",
        Role::Expressway,
        N06
    ),
    embed!(
        "hino/railway_lines.geojson",
        "鉄道 Railways",
        Role::Railway,
        N02
    ),
    embed!(
        "hino/stations_n02_2023.geojson",
        "駅 Stations",
        Role::Station,
        N02
    ),
    embed!(
        "hino/expressway_points.geojson",
        "IC・PA Interchanges",
        Role::Interchange,
        N06
    ),
    embed!(
        "hino/shelters_emergency_132128.geojson",
        "指定緊急避難場所 Evacuation sites",
        Role::Shelter,
        GSI
    ),
    embed!(
        "hino/shelters_evacuation_132128.geojson",
        "指定避難所 Evacuation shelters",
        Role::Shelter,
        GSI
    ),
    embed!(
        "sample/sites_fictional.geojson",
        "産業用地（架空） Industrial sites (fictional sample)",
        Role::Site,
        SAMPLE
    ),
    embed!(
        "sample/enterprises_fictional.geojson",
        "企業（架空） Enterprises (fictional sample)",
        Role::Enterprise,
        SAMPLE
    ),
];

impl EmbeddedLayer {
    /// The licence of the source (data/hino/SOURCES.md).
    pub fn licence(&self) -> &'static str {
        match self.role {
            Role::Expressway | Role::Interchange => "CC BY-SA 3.0",
            Role::Shelter => "国土地理院コンテンツ利用規約 (CC BY 4.0 compatible)",
            Role::Zoning | Role::Site | Role::Enterprise => {
                "fictional sample data, free to reuse (CC0 1.0)"
            }
            _ => "国土数値情報 利用規約（出典を明記）",
        }
    }

    /// Loads the layer through the same loader as a file on disk.
    pub fn load(&self) -> Result<Layer, LoadError> {
        let input = Input::from_bytes(format!("data/{}", self.file), self.bytes.to_vec());
        let mut layer = io::load_input(input, &LoadOptions::default())?;
        layer.meta.credit = Some(self.credit.to_string());
        layer.meta.licence = Some(self.licence().to_string());
        Ok(layer)
    }
}
