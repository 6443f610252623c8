//! A recognised zoning layer: where it keeps the zone and the ratios, reading one feature's zone
//! (name first, code only in the source's system) and ratios, and what its features show.

use super::names::by_name;
use super::ratio::{self, RatioKind, Reading};
use super::recognise::{Column, Fields};
use super::sources::ZoningSource;
use super::{Zone, ZoneKind};
use crate::model::{Layer, Value};

/// Where a recognised layer keeps the zone and the ratios.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ratios {
    /// 建蔽率 (%).
    pub coverage: Option<Column>,
    /// 容積率 (%).
    pub floor_area: Option<Column>,
    /// Both in one field ("60/200"), and whether 容積率 comes first in it.
    pub pair: Option<(Column, bool)>,
}

/// A layer recognised as zoning.
#[derive(Debug, Clone)]
pub struct Recognised {
    pub source: &'static ZoningSource,
    /// The zone's name.
    pub name: Option<Column>,
    /// The zone's code, read in the source's code system.
    pub code: Option<Column>,
    pub ratios: Ratios,
    /// What reading its features showed: zones neither name nor code gives, names and codes that
    /// disagree, unknown ratios, ratios that do not fit their zones.
    pub notes: Vec<String>,
    /// What leaves metrics empty for every site: no ratio field, no feature with a zone.
    pub problems: Vec<String>,
}

/// One feature's zone and ratios, as its layer's source gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureZone {
    pub zone: Option<&'static Zone>,
    /// The zone's name, or what the feature says when that is not a zone ("不明 unknown" when it
    /// says nothing).
    pub label: String,
    pub coverage: Reading,
    pub floor_area: Reading,
}

impl Recognised {
    pub(super) fn read(
        layer: &Layer,
        fields: &Fields,
        source: &'static ZoningSource,
    ) -> Recognised {
        let pair = source
            .pair_fields
            .iter()
            .find_map(|(name, floor_first)| fields.find(&[name]).map(|c| (c, *floor_first)));
        let mut r = Recognised {
            source,
            name: fields.find(source.name_fields),
            code: fields
                .find(source.code_fields)
                .filter(|_| source.codes.is_some()),
            ratios: Ratios {
                coverage: fields.find(source.coverage_fields),
                floor_area: fields.find(source.floor_area_fields),
                pair,
            },
            notes: Vec::new(),
            problems: Vec::new(),
        };
        r.survey(layer);
        r
    }

    /// The fields read, by meaning: name, code, coverage, floor_area, ratios (a pair).
    pub fn fields(&self) -> Vec<(&'static str, Option<&str>)> {
        fn name(c: &Option<Column>) -> Option<&str> {
            c.as_ref().map(|c| c.name.as_str())
        }
        let mut out = vec![
            ("name", name(&self.name)),
            ("code", name(&self.code)),
            ("coverage", name(&self.ratios.coverage)),
            ("floor_area", name(&self.ratios.floor_area)),
        ];
        if let Some((c, _)) = &self.ratios.pair {
            out.push(("coverage_and_floor_area", Some(c.name.as_str())));
        }
        out
    }

    /// The zone of a feature: by name first, then by code in the source's code system.
    pub fn zone(&self, values: &[Value]) -> Option<&'static Zone> {
        self.zone_by_name(values)
            .or_else(|| self.zone_by_code(values))
    }

    fn zone_by_name(&self, values: &[Value]) -> Option<&'static Zone> {
        let v = values.get(self.name.as_ref()?.index)?;
        by_name(&cell_text(v)?)
    }

    fn zone_by_code(&self, values: &[Value]) -> Option<&'static Zone> {
        let v = values.get(self.code.as_ref()?.index)?;
        self.source.codes?.zone(integer(v)?)
    }

    /// A feature's zone (with its label) and ratios.
    pub fn read_feature(&self, values: &[Value]) -> FeatureZone {
        let zone = self.zone(values);
        let label = match zone {
            Some(z) => z.name_ja.to_string(),
            None => self.raw_label(values),
        };
        let cell = |c: &Option<Column>| c.as_ref().and_then(|c| values.get(c.index));
        let unknown = self.source.unknown_ratio;
        let (mut coverage, mut floor_area) = match &self.ratios.pair {
            Some((c, floor_first)) => match values.get(c.index) {
                Some(v) => ratio::read_pair(v, *floor_first),
                None => (Reading::Empty, Reading::Empty),
            },
            None => (Reading::Empty, Reading::Empty),
        };
        if let Some(v) = cell(&self.ratios.coverage) {
            coverage = ratio::read(v, RatioKind::Coverage, unknown);
        }
        if let Some(v) = cell(&self.ratios.floor_area) {
            floor_area = ratio::read(v, RatioKind::FloorArea, unknown);
        }
        FeatureZone {
            zone,
            label,
            coverage,
            floor_area,
        }
    }

    /// What the feature says when it is not a zone: its name text, else its code.
    fn raw_label(&self, values: &[Value]) -> String {
        let text = |c: &Option<Column>| {
            let c = c.as_ref()?;
            let t = cell_text(values.get(c.index)?)?;
            (!t.is_empty()).then(|| (c.name.clone(), t))
        };
        match (text(&self.name), text(&self.code)) {
            (Some((_, name)), _) => name,
            (None, Some((field, code))) => format!("{field}={code}"),
            (None, None) => "不明 unknown".to_string(),
        }
    }

    /// What the fields and the features show: the notes and problems of [`Recognised`].
    fn survey(&mut self, layer: &Layer) {
        let ratios = &self.ratios;
        if ratios.coverage.is_none() && ratios.pair.is_none() {
            self.problems.push(format!(
                "no 建蔽率 field (looked for {}): coverage_pct stays empty",
                looked(self.source.coverage_fields, self.source.pair_fields)
            ));
        }
        if ratios.floor_area.is_none() && ratios.pair.is_none() {
            self.problems.push(format!(
                "no 容積率 field (looked for {}): floor_area_pct and max_floor_area_m2 stay empty",
                looked(self.source.floor_area_fields, self.source.pair_fields)
            ));
        }
        let (mut without, mut disagree, mut unknown, mut misfit) = (0, 0, 0, 0);
        let mut first_without = None;
        let mut first_disagreement = None;
        for f in &layer.features {
            let read = self.read_feature(&f.values);
            match read.zone {
                None => {
                    without += 1;
                    first_without.get_or_insert(read.label);
                }
                Some(zone) => {
                    let coverage = read.coverage.pct().unwrap_or(0.0);
                    let floor = read.floor_area.pct().unwrap_or(0.0);
                    let low_rise = matches!(zone.kind, ZoneKind::Low1 | ZoneKind::Low2);
                    // 建築基準法 52/53: low-rise 容積率 50–200 %, 工業専用 建蔽率 30–60 %.
                    if (low_rise && floor > 200.0)
                        || (zone.kind == ZoneKind::ExclusivelyIndustrial && coverage > 60.0)
                    {
                        misfit += 1;
                    }
                }
            }
            if let (Some(by_name), Some(by_code)) =
                (self.zone_by_name(&f.values), self.zone_by_code(&f.values))
                && by_name != by_code
            {
                disagree += 1;
                first_disagreement.get_or_insert((by_name.name_ja, by_code.name_ja));
            }
            unknown += usize::from(matches!(read.coverage, Reading::Unknown(_)))
                + usize::from(matches!(read.floor_area, Reading::Unknown(_)));
        }
        let n = layer.features.len();
        if n > 0 && without == n {
            self.problems.push(format!(
                "no feature has a zone its {} gives (e.g. '{}')",
                self.zone_fields(),
                first_without.unwrap_or_default()
            ));
        } else if without > 0 {
            self.notes.push(format!(
                "{without} of {n} features have no zone their {} gives (e.g. '{}')",
                self.zone_fields(),
                first_without.unwrap_or_default()
            ));
        }
        if let Some((name, code)) = first_disagreement {
            self.notes.push(format!(
                "{disagree} features' name and code disagree (e.g. name {name}, code {code}): \
                 the name is used"
            ));
        }
        if unknown > 0 {
            self.notes.push(format!(
                "{unknown} ratio values are {} (unknown in {}): read as empty",
                self.source.unknown_ratio.unwrap_or_default(),
                self.source.id
            ));
        }
        if misfit > 0 {
            self.notes.push(format!(
                "{misfit} features give a low-rise zone a 容積率 over 200 % or 工業専用地域 a 建蔽率 \
                 over 60 %: check that the codes are read in the right system"
            ));
        }
    }

    /// "A29_005/A29_004": the fields a zone is read from.
    fn zone_fields(&self) -> String {
        let names: Vec<&str> = [&self.name, &self.code]
            .into_iter()
            .flatten()
            .map(|c| c.name.as_str())
            .collect();
        if names.is_empty() {
            "fields".to_string()
        } else {
            names.join("/")
        }
    }

    /// Why a ratio reading gives no percentage, naming the field and the source.
    pub fn why_empty(&self, kind: RatioKind, reading: &Reading) -> Option<String> {
        let field = match kind {
            RatioKind::Coverage => &self.ratios.coverage,
            RatioKind::FloorArea => &self.ratios.floor_area,
        }
        .as_ref()
        .or(self.ratios.pair.as_ref().map(|(c, _)| c));
        let Some(field) = field else {
            return Some(format!("no {} field in the zoning layer", kind.word()));
        };
        let f = &field.name;
        match reading {
            Reading::Pct(_) => None,
            Reading::Empty => Some(format!("{} ({f}) empty", kind.word())),
            Reading::Unknown(v) => Some(format!(
                "{} ({f}) {v} (unknown) in {}",
                kind.word(),
                self.source.id
            )),
            Reading::Unreadable(t) => Some(format!("{} ({f}) '{t}' is not a ratio", kind.word())),
        }
    }
}

fn looked(fields: &[&str], pairs: &[(&str, bool)]) -> String {
    let all: Vec<&str> = fields
        .iter()
        .copied()
        .chain(pairs.iter().map(|p| p.0))
        .collect();
    all.join("/")
}

/// A cell as text: JSON arrays (PLATEAU GIS Converter writes Code[] as JSON) give their first
/// element.
pub(super) fn cell_text(v: &Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t.trim().to_string()),
        Value::Json(j) => match serde_json::from_str::<serde_json::Value>(j).ok()? {
            serde_json::Value::Array(a) => match a.first()? {
                serde_json::Value::String(s) => Some(s.trim().to_string()),
                other => Some(other.to_string()),
            },
            serde_json::Value::String(s) => Some(s),
            _ => None,
        },
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

/// A cell as an integer code: a number, or text of one ("10", "10.0", "１０", ["10"]).
pub(super) fn integer(v: &Value) -> Option<i64> {
    let f = match v {
        Value::Int(i) => return Some(*i),
        Value::Float(f) => *f,
        other => ratio::to_ascii(&cell_text(other)?)
            .trim()
            .parse::<f64>()
            .ok()?,
    };
    (f.fract() == 0.0 && f.abs() < 1e9).then_some(f as i64)
}
