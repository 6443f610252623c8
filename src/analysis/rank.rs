//! Suitability ranking of sites: the user weighs a few criteria; each is scored 0–1 by a fixed
//! rule (not relative to the other sites, so a site's score does not move when others are added
//! or filtered out) and the score is their weighted mean, 0–100, with its breakdown.
//!
//! | criterion | 0 … 1 |
//! |---|---|
//! | `area` | log scale: 300 m² → 0, 5 ha → 1 |
//! | `zoning` | share of the site in zones where factories may be built (準工業, 工業, 工業専用) |
//! | `ic` | distance to the nearest expressway IC: 10 km → 0, 0 m → 1 (linear) |
//! | `station` | distance to the nearest station: 3 km → 0, 0 m → 1 |
//! | `industry` | enterprises of the chosen JSIC division within 1 km: 0 → 0, 20 or more → 1 |

use std::str::FromStr;

use super::site::{SiteMetrics, set_fields};
use crate::model::{FieldType, Layer, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    Area,
    Zoning,
    Ic,
    Station,
    Industry,
}

impl Criterion {
    pub const ALL: [Criterion; 5] = [
        Criterion::Area,
        Criterion::Zoning,
        Criterion::Ic,
        Criterion::Station,
        Criterion::Industry,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Criterion::Area => "area",
            Criterion::Zoning => "zoning",
            Criterion::Ic => "ic",
            Criterion::Station => "station",
            Criterion::Industry => "industry",
        }
    }
}

/// Weights of the criteria (0 = ignored) and the industry counted by `industry`.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub weights: [f64; 5],
    /// JSIC division code (e.g. "E" 製造業).
    pub industry: String,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            weights: [1.0, 2.0, 2.0, 1.0, 1.0],
            industry: "E".into(),
        }
    }
}

impl Weights {
    pub fn get(&self, c: Criterion) -> f64 {
        self.weights[c as usize]
    }
}

/// "area=1,zoning=2,ic=3,station=1,industry=1:E" (unnamed criteria weigh 0; `:E` picks the
/// industry, 製造業 by default).
impl FromStr for Weights {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut w = Weights {
            weights: [0.0; 5],
            industry: "E".into(),
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("'{part}': write criterion=weight"))?;
            let (value, industry) = match value.split_once(':') {
                Some((v, i)) => (v, Some(i)),
                None => (value, None),
            };
            let c = Criterion::ALL
                .into_iter()
                .find(|c| c.key() == key.trim())
                .ok_or_else(|| {
                    format!(
                        "unknown criterion '{key}' (one of: {})",
                        Criterion::ALL.map(Criterion::key).join(", ")
                    )
                })?;
            let weight: f64 = value
                .trim()
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| format!("'{part}': the weight must be a number ≥ 0"))?;
            w.weights[c as usize] = weight;
            if let Some(i) = industry {
                if c != Criterion::Industry {
                    return Err(format!("'{part}': only industry takes a :CODE"));
                }
                w.industry = i.trim().to_string();
            }
        }
        if w.weights.iter().all(|&x| x == 0.0) {
            return Err("every weight is 0: nothing to rank by".into());
        }
        Ok(w)
    }
}

/// A site's score and how it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// 0–100.
    pub total: f64,
    /// (criterion, its 0–1 score, its weight), for the criteria with a weight.
    pub parts: Vec<(Criterion, f64, f64)>,
}

impl Score {
    /// "area 0.82×1 + zoning 1.00×2 + …", in criterion order.
    pub fn breakdown(&self) -> String {
        self.parts
            .iter()
            .map(|(c, s, w)| format!("{} {s:.2}×{w}", c.key()))
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// The 0–1 score of one criterion; missing data scores 0.
pub fn criterion_score(c: Criterion, m: &SiteMetrics, industry: &str) -> f64 {
    let clamp = |v: f64| {
        if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.0
        }
    };
    match c {
        Criterion::Area => m.measures.area_m2.map_or(0.0, |a| {
            clamp((a.max(1.0).ln() - 300f64.ln()) / (50_000f64.ln() - 300f64.ln()))
        }),
        Criterion::Zoning => clamp(
            m.zoning
                .iter()
                .filter(|z| z.zone.is_some_and(|z| z.industrial))
                .map(|z| z.share)
                .sum(),
        ),
        Criterion::Ic => m
            .interchange
            .as_ref()
            .map_or(0.0, |(_, d)| clamp(1.0 - d / 10_000.0)),
        Criterion::Station => m
            .station
            .as_ref()
            .map_or(0.0, |(_, d)| clamp(1.0 - d / 3_000.0)),
        Criterion::Industry => {
            let n = m
                .industries_wide
                .iter()
                .filter(|(k, _)| k == industry)
                .map(|(_, n)| *n)
                .sum::<usize>();
            clamp(n as f64 / 20.0)
        }
    }
}

pub fn score(m: &SiteMetrics, w: &Weights) -> Score {
    let parts: Vec<(Criterion, f64, f64)> = Criterion::ALL
        .into_iter()
        .filter(|&c| w.get(c) > 0.0)
        .map(|c| (c, criterion_score(c, m, &w.industry), w.get(c)))
        .collect();
    let total_weight: f64 = parts.iter().map(|p| p.2).sum();
    let total = if total_weight > 0.0 {
        100.0 * parts.iter().map(|p| p.1 * p.2).sum::<f64>() / total_weight
    } else {
        0.0
    };
    Score { total, parts }
}

/// Feature ids best first: by score, ties by record order. Features without metrics come last.
pub fn order(scores: &[Option<Score>]) -> Vec<usize> {
    let mut ids: Vec<usize> = (0..scores.len()).collect();
    ids.sort_by(|&a, &b| {
        let s = |i: usize| scores[i].as_ref().map_or(f64::NEG_INFINITY, |s| s.total);
        s(b).total_cmp(&s(a)).then(a.cmp(&b))
    });
    ids
}

pub const SCORE_FIELDS: &[(&str, FieldType)] = &[
    ("score", FieldType::Float),
    ("rank", FieldType::Int),
    ("score_breakdown", FieldType::Text),
];

/// Scores every feature from its metrics and appends `score` (0–100), `rank` (1 = best, over the
/// whole layer) and `score_breakdown`. Returns the ids best first.
pub fn add_score_fields(
    layer: &mut Layer,
    metrics: &[Option<SiteMetrics>],
    weights: &Weights,
) -> Vec<usize> {
    let scores: Vec<Option<Score>> = metrics
        .iter()
        .map(|m| m.as_ref().map(|m| score(m, weights)))
        .collect();
    let ranked = order(&scores);
    let mut rank = vec![0usize; scores.len()];
    for (r, &id) in ranked.iter().enumerate() {
        rank[id] = r + 1;
    }
    let rows = scores
        .iter()
        .zip(&rank)
        .map(|(s, &r)| match s {
            Some(s) => vec![
                Value::Float((s.total * 10.0).round() / 10.0),
                Value::Int(r as i64),
                Value::Text(s.breakdown()),
            ],
            None => vec![Value::Null; 3],
        })
        .collect();
    set_fields(layer, SCORE_FIELDS, rows);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::site::ZoneShare;
    use crate::analysis::zoning::ZoneKind;

    fn site(area: f64, industrial: f64, ic: f64, station: f64, makers: usize) -> SiteMetrics {
        SiteMetrics {
            measures: crate::analysis::measure::Measures {
                area_m2: Some(area),
                ..Default::default()
            },
            zoning: vec![
                ZoneShare {
                    zone: Some(ZoneKind::Industrial.zone()),
                    label: "工業地域".into(),
                    share: industrial,
                    coverage_pct: Some(60.0),
                    floor_area_pct: Some(200.0),
                },
                ZoneShare {
                    zone: Some(ZoneKind::Res1.zone()),
                    label: "第一種住居地域".into(),
                    share: 1.0 - industrial,
                    coverage_pct: Some(60.0),
                    floor_area_pct: Some(200.0),
                },
            ],
            interchange: Some(("八王子IC".into(), ic)),
            station: Some(("日野".into(), station)),
            industries_wide: vec![("E".into(), makers), ("H".into(), 50)],
            ..Default::default()
        }
    }

    #[test]
    fn weights_parse_and_refuse_nonsense() {
        let w: Weights = "area=1, ic=3, industry=2:H".parse().unwrap();
        assert_eq!(w.weights, [1.0, 0.0, 3.0, 0.0, 2.0]);
        assert_eq!(w.industry, "H");
        for bad in ["", "area", "size=1", "ic=-1", "ic=x", "area=1:E", "area=0"] {
            assert!(bad.parse::<Weights>().is_err(), "{bad}");
        }
    }

    #[test]
    fn criteria_follow_their_rules() {
        let m = site(50_000.0, 0.5, 2_500.0, 3_000.0, 10);
        assert!((criterion_score(Criterion::Area, &m, "E") - 1.0).abs() < 1e-12);
        assert!((criterion_score(Criterion::Zoning, &m, "E") - 0.5).abs() < 1e-12);
        assert!((criterion_score(Criterion::Ic, &m, "E") - 0.75).abs() < 1e-12);
        assert_eq!(criterion_score(Criterion::Station, &m, "E"), 0.0);
        assert!((criterion_score(Criterion::Industry, &m, "E") - 0.5).abs() < 1e-12);
        assert!((criterion_score(Criterion::Industry, &m, "H") - 1.0).abs() < 1e-12);
        let tiny = site(300.0, 0.0, 20_000.0, 0.0, 0);
        assert_eq!(criterion_score(Criterion::Area, &tiny, "E"), 0.0);
        assert_eq!(criterion_score(Criterion::Ic, &tiny, "E"), 0.0);
        assert_eq!(criterion_score(Criterion::Station, &tiny, "E"), 1.0);
        // area=1, ic=3: (1×1 + 0.75×3) / 4 = 81.25.
        let s = score(&m, &"area=1,ic=3".parse().unwrap());
        assert!((s.total - 81.25).abs() < 1e-9, "{s:?}");
        assert_eq!(s.breakdown(), "area 1.00×1 + ic 0.75×3");
    }

    #[test]
    fn ranks_are_stable_under_adding_and_removing_sites() {
        let w = Weights::default();
        let all: Vec<SiteMetrics> = (0..40)
            .map(|i| {
                let f = i as f64;
                site(
                    300.0 + f * 1_000.0,
                    (f * 0.37) % 1.0,
                    (f * 733.0) % 9_000.0,
                    (f * 211.0) % 3_000.0,
                    i % 13,
                )
            })
            .collect();
        let scores: Vec<Option<Score>> = all.iter().map(|m| Some(score(m, &w))).collect();
        let full = order(&scores);
        // The even sites alone rank in the same relative order as among all of them.
        let even: Vec<Option<Score>> = scores.iter().step_by(2).cloned().collect();
        let sub: Vec<usize> = order(&even).into_iter().map(|i| i * 2).collect();
        let full_even: Vec<usize> = full.iter().copied().filter(|i| i % 2 == 0).collect();
        assert_eq!(sub, full_even);
        // And the same input ranks the same every time; ties go to the earlier record.
        assert_eq!(order(&scores), full);
        let tied = vec![Some(score(&all[3], &w)), Some(score(&all[3], &w))];
        assert_eq!(order(&tied), vec![0, 1]);
    }
}
