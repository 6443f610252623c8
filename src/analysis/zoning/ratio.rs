//! 建蔽率 and 容積率 as the sources write them (research notes for issue #14, §6): integer percent
//! (A29 `A29_006`/`A29_007`, with 9999 for unknown), numbers or numeric text ("200", "200.0": MLIT
//! `BCR`/`FAR`), text with a percent sign ("80%", "600.0%": 不動産情報ライブラリ XKT002), full-width
//! ("６０％") and both in one cell ("60/200") in hand-made tables.
//!
//! A combined cell is read 建蔽率/容積率 ("60/200": 建蔽率 60 %, 容積率 200 %), the order zoning maps
//! label a zone in, unless its field name puts 容積率 first ("容積率/建蔽率"). A pair that cannot be
//! read in that order (a 建蔽率 above 100 %: "200/60") is read the other way round.

use crate::model::Value;

/// Which of the two ratios: their ranges differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatioKind {
    /// 建蔽率 (building coverage): 30–80 % by zone, up to 100 % with relaxations.
    Coverage,
    /// 容積率 (floor area ratio): 50–1300 % by zone, more in special districts.
    FloorArea,
}

impl RatioKind {
    /// The largest percentage read as this ratio.
    fn max_pct(self) -> f64 {
        match self {
            RatioKind::Coverage => 100.0,
            RatioKind::FloorArea => 2000.0,
        }
    }

    /// The largest bare number read as a fraction (0.6 for 60 %): below any real percentage.
    fn max_fraction(self) -> f64 {
        match self {
            RatioKind::Coverage => 1.0,
            RatioKind::FloorArea => 20.0,
        }
    }

    /// The Japanese word.
    pub fn word(self) -> &'static str {
        match self {
            RatioKind::Coverage => "建蔽率",
            RatioKind::FloorArea => "容積率",
        }
    }
}

/// What one cell says about a ratio.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A percentage.
    Pct(f64),
    /// Nothing (null or blank).
    Empty,
    /// The source's "unknown" value (A29: 9999).
    Unknown(f64),
    /// Something that is not a ratio, with what it was.
    Unreadable(String),
}

impl Reading {
    /// The percentage, if the cell gives one.
    pub fn pct(&self) -> Option<f64> {
        match self {
            Reading::Pct(p) => Some(*p),
            _ => None,
        }
    }
}

/// Reads one ratio cell: a number or text; `unknown` is the source's "unknown" value.
///
/// ```
/// use sitelens::analysis::zoning::ratio::{RatioKind, Reading, read};
/// use sitelens::model::Value;
/// let text = |s: &str| Value::Text(s.into());
/// assert_eq!(read(&text("６０％"), RatioKind::Coverage, None), Reading::Pct(60.0));
/// assert_eq!(read(&Value::Int(9999), RatioKind::FloorArea, Some(9999.0)), Reading::Unknown(9999.0));
/// ```
pub fn read(value: &Value, kind: RatioKind, unknown: Option<f64>) -> Reading {
    let (number, percent_sign) = match value {
        Value::Null => return Reading::Empty,
        Value::Int(i) => (*i as f64, false),
        Value::Float(f) => (*f, false),
        Value::Text(t) => {
            if t.trim().is_empty() {
                return Reading::Empty;
            }
            match parse_pct(t) {
                Some(n) => n,
                None => return Reading::Unreadable(t.clone()),
            }
        }
        other => return Reading::Unreadable(other.to_string()),
    };
    checked(number, percent_sign, kind, unknown)
}

/// A percentage within the ratio's range; a bare number at most `max_fraction` as a fraction.
fn checked(number: f64, percent_sign: bool, kind: RatioKind, unknown: Option<f64>) -> Reading {
    if unknown == Some(number) {
        return Reading::Unknown(number);
    }
    let pct = if !percent_sign && number > 0.0 && number <= kind.max_fraction() {
        number * 100.0
    } else {
        number
    };
    if pct.is_finite() && pct > 0.0 && pct <= kind.max_pct() {
        Reading::Pct(pct)
    } else {
        Reading::Unreadable(format!("{}{}", number, if percent_sign { "%" } else { "" }))
    }
}

/// A percentage in text: "60", "60%", "60.0%", "６０％", " 60 % ", "1,300%". Returns the number and
/// whether a percent sign was written.
pub fn parse_pct(text: &str) -> Option<(f64, bool)> {
    let ascii = to_ascii(text);
    let t = ascii.trim();
    let (t, sign) = match t.strip_suffix('%') {
        Some(rest) => (rest.trim_end(), true),
        None => (t, false),
    };
    let t: String = t.chars().filter(|&c| c != ',').collect();
    let n: f64 = t.parse().ok()?;
    n.is_finite().then_some((n, sign))
}

/// Both ratios in one cell: "60/200" (建蔽率/容積率), or 容積率 first when `floor_area_first` (the
/// field's name says so). Returns (建蔽率, 容積率).
///
/// ```
/// use sitelens::analysis::zoning::ratio::{Reading, read_pair};
/// use sitelens::model::Value;
/// let (c, f) = read_pair(&Value::Text("60/200".into()), false);
/// assert_eq!((c, f), (Reading::Pct(60.0), Reading::Pct(200.0)));
/// ```
pub fn read_pair(value: &Value, floor_area_first: bool) -> (Reading, Reading) {
    let text = match value {
        Value::Null => return (Reading::Empty, Reading::Empty),
        Value::Text(t) if t.trim().is_empty() => return (Reading::Empty, Reading::Empty),
        Value::Text(t) => to_ascii(t),
        other => {
            let bad = Reading::Unreadable(other.to_string());
            return (bad.clone(), bad);
        }
    };
    let parts: Vec<&str> = text.split('/').collect();
    let numbers = match parts.as_slice() {
        [a, b] => parse_pct(a).zip(parse_pct(b)),
        _ => None,
    };
    let Some(((a, a_sign), (b, b_sign))) = numbers else {
        let bad = Reading::Unreadable(text.trim().to_string());
        return (bad.clone(), bad);
    };
    let (first, second) = ((a, a_sign), (b, b_sign));
    let (c, f) = if floor_area_first {
        (second, first)
    } else {
        (first, second)
    };
    let as_written = (
        checked(c.0, c.1, RatioKind::Coverage, None),
        checked(f.0, f.1, RatioKind::FloorArea, None),
    );
    if as_written.0.pct().is_some() && as_written.1.pct().is_some() {
        return as_written;
    }
    let other_way = (
        checked(f.0, f.1, RatioKind::Coverage, None),
        checked(c.0, c.1, RatioKind::FloorArea, None),
    );
    if other_way.0.pct().is_some() && other_way.1.pct().is_some() {
        other_way
    } else {
        as_written
    }
}

/// Full-width ASCII (U+FF01–U+FF5E, e.g. ６０％ and ／) to ASCII; the ideographic space to a space.
pub fn to_ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn ratios_in_every_written_form() {
        let cases: &[(Value, RatioKind, Reading)] = &[
            (text("60"), RatioKind::Coverage, Reading::Pct(60.0)),
            (text("60%"), RatioKind::Coverage, Reading::Pct(60.0)),
            (text("60.0%"), RatioKind::Coverage, Reading::Pct(60.0)),
            (text("６０％"), RatioKind::Coverage, Reading::Pct(60.0)),
            (text("６０．０％"), RatioKind::Coverage, Reading::Pct(60.0)),
            (text(" 80 % "), RatioKind::Coverage, Reading::Pct(80.0)),
            (text("600.0%"), RatioKind::FloorArea, Reading::Pct(600.0)),
            (text("1,300%"), RatioKind::FloorArea, Reading::Pct(1300.0)),
            (text("200.0"), RatioKind::FloorArea, Reading::Pct(200.0)),
            (Value::Int(200), RatioKind::FloorArea, Reading::Pct(200.0)),
            (Value::Float(60.0), RatioKind::Coverage, Reading::Pct(60.0)),
            // Fractions (a reader that converted 60 % to 0.6).
            (Value::Float(0.6), RatioKind::Coverage, Reading::Pct(60.0)),
            (text("2.0"), RatioKind::FloorArea, Reading::Pct(200.0)),
            (Value::Null, RatioKind::Coverage, Reading::Empty),
            (text(""), RatioKind::Coverage, Reading::Empty),
            (text("  "), RatioKind::FloorArea, Reading::Empty),
            (
                text("不明"),
                RatioKind::Coverage,
                Reading::Unreadable("不明".into()),
            ),
            (
                Value::Int(0),
                RatioKind::Coverage,
                Reading::Unreadable("0".into()),
            ),
            (
                text("150%"),
                RatioKind::Coverage,
                Reading::Unreadable("150%".into()),
            ),
            (text("0.6%"), RatioKind::Coverage, Reading::Pct(0.6)),
        ];
        for (value, kind, expected) in cases {
            assert_eq!(&read(value, *kind, None), expected, "{value:?} as {kind:?}");
        }
    }

    #[test]
    fn a29_9999_is_unknown_not_9999_percent() {
        assert_eq!(
            read(&Value::Int(9999), RatioKind::FloorArea, Some(9999.0)),
            Reading::Unknown(9999.0)
        );
        assert_eq!(
            read(&text("9999"), RatioKind::Coverage, Some(9999.0)),
            Reading::Unknown(9999.0)
        );
        // Without the source's word for it, 9999 % is simply not a ratio.
        assert_eq!(
            read(&Value::Int(9999), RatioKind::FloorArea, None),
            Reading::Unreadable("9999".into())
        );
    }

    #[test]
    fn pairs_say_which_side_is_which() {
        let pct = |c: f64, f: f64| (Reading::Pct(c), Reading::Pct(f));
        assert_eq!(read_pair(&text("60/200"), false), pct(60.0, 200.0));
        assert_eq!(
            read_pair(&text("６０％／２００％"), false),
            pct(60.0, 200.0)
        );
        assert_eq!(read_pair(&text("80 / 400"), false), pct(80.0, 400.0));
        // Field named 容積率/建蔽率.
        assert_eq!(read_pair(&text("200/60"), true), pct(60.0, 200.0));
        // Written the other way round under a 建蔽率/容積率 name: the larger is the 容積率.
        assert_eq!(read_pair(&text("200/60"), false), pct(60.0, 200.0));
        assert_eq!(read_pair(&text("60/200"), true), pct(60.0, 200.0));
        assert_eq!(
            read_pair(&Value::Null, false),
            (Reading::Empty, Reading::Empty)
        );
        let (c, f) = read_pair(&text("60"), false);
        assert!(matches!(c, Reading::Unreadable(_)) && matches!(f, Reading::Unreadable(_)));
    }
}
