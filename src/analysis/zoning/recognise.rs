//! Recognising a zoning layer: which source it comes from and which of its fields say what, or
//! why it cannot be read; and reading one feature's zone and ratios through that.

use super::codes::{TWO_DIGIT, TWO_DIGIT_AMBIGUOUS};
use super::names::by_name;
use super::ratio::{self, RatioKind, Reading};
use super::sources::{Check, SOURCES, ZoningSource, looked_for, looked_for_text};
use super::{Zone, ZoneKind};
use crate::model::{Layer, Value};

/// A field of the layer: its position and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub index: usize,
    pub name: String,
}

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

/// A layer that could not be read as zoning.
#[derive(Debug, Clone, PartialEq)]
pub struct NotRecognised {
    /// Why, in a sentence.
    pub reason: String,
    /// The fields recognition looks for.
    pub looked_for: Vec<&'static str>,
    /// Whether the layer looks like an attempt at zoning (a field named like one), so `info`
    /// reports it even when the layer is not given as zoning.
    pub attempt: bool,
}

/// What [`recognise`] found.
#[derive(Debug, Clone)]
pub enum Recognition {
    Recognised(Recognised),
    NotRecognised(NotRecognised),
}

impl Recognition {
    pub fn recognised(&self) -> Option<&Recognised> {
        match self {
            Recognition::Recognised(r) => Some(r),
            Recognition::NotRecognised(_) => None,
        }
    }
}

impl NotRecognised {
    /// The warning for layer `layer`: "zoning layer 'x' not recognised: …; looked for A/B/…".
    pub fn message(&self, layer: &str) -> String {
        format!(
            "zoning layer '{layer}' not recognised: {}; looked for {}",
            self.reason,
            looked_for_text()
        )
    }
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

/// Recognises a zoning layer by its fields (and, for the two-digit scheme and plain name fields,
/// its values). See [`SOURCES`] for what identifies each source.
pub fn recognise(layer: &Layer) -> Recognition {
    let fields = Fields::of(layer);
    for source in &SOURCES {
        let identified = match source.check {
            Check::Fields => source.signature.iter().any(|s| {
                fields.find(&[s.field]).is_some()
                    && (s.with_any.is_empty() || fields.find(s.with_any).is_some())
            }),
            Check::TwoDigitCodes => fields
                .find(source.code_fields)
                .is_some_and(|c| two_digit_codes(layer, c.index)),
            Check::ZoneNames => match zone_name_field(layer, &fields, source) {
                Ok(found) => found,
                Err(not) => return Recognition::NotRecognised(not),
            },
        };
        if identified {
            return Recognition::Recognised(Recognised::read(layer, &fields, source));
        }
    }
    Recognition::NotRecognised(not_recognised(layer, &fields))
}

/// The layer's field names folded for matching: ASCII, lower case, no spaces or "(%)".
struct Fields(Vec<String>);

impl Fields {
    fn of(layer: &Layer) -> Fields {
        Fields(layer.fields.iter().map(|f| fold_field(&f.name)).collect())
    }

    /// A field naming the features one by one: site lists carry a 用途地域 column, zoning
    /// polygons are not named one by one.
    fn names_features(&self) -> Option<Column> {
        self.find(&["名称", "name", "施設名", "site_name", "site_id", "事業所名"])
    }

    /// The first of `names` the layer has.
    fn find(&self, names: &[&str]) -> Option<Column> {
        names.iter().find_map(|n| {
            let n = fold_field(n);
            let index = self.0.iter().position(|f| *f == n)?;
            Some(Column {
                index,
                name: String::new(),
            })
        })
    }
}

fn fold_field(name: &str) -> String {
    ratio::to_ascii(name)
        .to_lowercase()
        .replace("(%)", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '%')
        .collect()
}

/// For the name-field source: whether the layer has a name field of zone names. A name field
/// whose values are not zone names is an error that says so.
fn zone_name_field(
    layer: &Layer,
    fields: &Fields,
    source: &ZoningSource,
) -> Result<bool, NotRecognised> {
    let Some(column) = fields.find(source.name_fields) else {
        return Ok(false);
    };
    if fields.names_features().is_some() {
        return Ok(false);
    }
    let values: Vec<&Value> = layer
        .features
        .iter()
        .filter_map(|f| f.values.get(column.index))
        .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
        .collect();
    let known = values
        .iter()
        .filter(|v| cell_text(v).and_then(|t| by_name(&t)).is_some())
        .count();
    if !values.is_empty() && known * 2 >= values.len() {
        return Ok(true);
    }
    let field = &layer.fields[column.index].name;
    let reason = match values
        .iter()
        .find(|v| cell_text(v).and_then(|t| by_name(&t)).is_none())
    {
        None => format!("field {field} is empty"),
        Some(v) if integer(v).is_some() => format!(
            "field {field} holds numbers (e.g. {v}), not zone names: a code is read only in the \
             code system of a known source ({})",
            code_trap()
        ),
        Some(v) => format!(
            "field {field} holds no zone names ({known} of {} are; e.g. '{v}')",
            values.len()
        ),
    };
    Err(NotRecognised {
        reason,
        looked_for: looked_for(),
        attempt: true,
    })
}

fn code_trap() -> &'static str {
    "8 is 近隣商業地域 in A29 and 田園住居地域 in 都市計画決定GISデータ and 不動産情報ライブラリ"
}

/// Whether the values of `column` are all two-digit codes, not only the ones A29 shares.
fn two_digit_codes(layer: &Layer, column: usize) -> bool {
    let codes: Option<Vec<i64>> = layer
        .features
        .iter()
        .filter_map(|f| f.values.get(column))
        .filter(|v| !v.is_null())
        .map(integer)
        .collect();
    codes.is_some_and(|codes| {
        TWO_DIGIT.holds_all(codes.iter().copied())
            && codes.iter().any(|c| !TWO_DIGIT_AMBIGUOUS.contains(c))
    })
}

/// Why nothing matched, and whether the layer was meant to be zoning.
fn not_recognised(layer: &Layer, fields: &Fields) -> NotRecognised {
    // Words in field names that mean zoning (not "zone" alone: time and UTM zones).
    const HINTS: [&str; 11] = [
        "用途",
        "youto",
        "zoning",
        "zone_name",
        "a29_",
        "建蔽",
        "建ぺい",
        "容積",
        "tup3f",
        "usedistrict",
        "use_district",
    ];
    let hinted = |i: usize| {
        let f = &fields.0[i];
        HINTS.iter().any(|h| f.contains(h)) || f == "yoto" || f == "yoto_name"
    };
    let site_list = fields.names_features();
    let attempt = (0..fields.0.len()).any(hinted) && site_list.is_none();
    let reason = if let Some(c) = site_list {
        format!(
            "the layer names its features one by one ({}): a list of sites, not zoning \
             polygons",
            layer.fields[c.index].name
        )
    } else if fields.find(&["TUP3F1"]).is_some() {
        "東京都都市整備局 都市計画決定情報 layout (TUP3F1): its zone code table is not published, \
         so its codes are not read; add a 用途地域 name field"
            .to_string()
    } else if let Some((i, example)) =
        integer_field(layer, hinted).or_else(|| integer_field(layer, |_| true))
    {
        format!(
            "field {} holds integer codes (e.g. {example}) and nothing says which numbering they \
             follow ({}); a bare code is not read: keep the source's field names or add the zone \
             names",
            layer.fields[i].name,
            code_trap()
        )
    } else if (0..fields.0.len()).any(hinted) {
        let names: Vec<&str> = (0..fields.0.len())
            .filter(|&i| hinted(i))
            .map(|i| layer.fields[i].name.as_str())
            .collect();
        format!(
            "no zone name or code of a known source (fields like zoning: {})",
            names.join(", ")
        )
    } else {
        "no zoning fields".to_string()
    };
    NotRecognised {
        reason,
        looked_for: looked_for(),
        attempt,
    }
}

/// The first field (of those `wanted`) whose set values are all small integers, and one of them.
fn integer_field(layer: &Layer, wanted: impl Fn(usize) -> bool) -> Option<(usize, i64)> {
    (0..layer.fields.len())
        .filter(|&i| wanted(i))
        .find_map(|i| {
            let mut values = layer
                .features
                .iter()
                .filter_map(|f| f.values.get(i))
                .filter(|v| !v.is_null())
                .peekable();
            let first = integer(values.peek()?)?;
            values
                .all(|v| integer(v).is_some_and(|c| (0..100).contains(&c)))
                .then_some((i, first))
        })
}

/// A cell as text: JSON arrays (PLATEAU GIS Converter writes Code[] as JSON) give their first
/// element.
fn cell_text(v: &Value) -> Option<String> {
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
fn integer(v: &Value) -> Option<i64> {
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

impl Recognised {
    fn read(layer: &Layer, fields: &Fields, source: &'static ZoningSource) -> Recognised {
        let named = |c: Option<Column>| {
            c.map(|c| Column {
                name: layer.fields[c.index].name.clone(),
                index: c.index,
            })
        };
        let pair = source
            .pair_fields
            .iter()
            .find_map(|(name, floor_first)| named(fields.find(&[name])).map(|c| (c, *floor_first)));
        let mut r = Recognised {
            source,
            name: named(fields.find(source.name_fields)),
            code: named(fields.find(source.code_fields)).filter(|_| source.codes.is_some()),
            ratios: Ratios {
                coverage: named(fields.find(source.coverage_fields)),
                floor_area: named(fields.find(source.floor_area_fields)),
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

#[cfg(test)]
mod tests;
