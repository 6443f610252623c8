//! Export profiles. `public` (the default) drops every internal field; `internal` keeps all.
//!
//! A layer's internal fields are the ones its settings name. Where nothing is said, fields whose
//! names look like owner, contact, phone, e-mail, price or negotiation status are internal
//! (../shared/DOMAIN.md: those must never appear in a public export).

use crate::model::Layer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Public,
    Internal,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Public => "public",
            Profile::Internal => "internal",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "public" => Ok(Profile::Public),
            "internal" => Ok(Profile::Internal),
            other => Err(format!("unknown profile '{other}' (public or internal)")),
        }
    }
}

/// Name fragments of fields that are internal unless a layer's settings say otherwise.
const INTERNAL_NAME_PARTS: &[&str] = &[
    "owner",
    "所有者",
    "所有",
    "地権者",
    "contact",
    "連絡先",
    "担当",
    "phone",
    "tel",
    "電話",
    "fax",
    "email",
    "mail",
    "メール",
    "price",
    "価格",
    "売却価格",
    "金額",
    "賃料",
    "negotiat",
    "交渉",
    "商談",
];

/// Whether a field name looks internal by the default rule: an ASCII fragment must start a word
/// ("tel" in "tel_no" but not in "hotel"), a Japanese one may appear anywhere.
pub fn looks_internal(name: &str) -> bool {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    INTERNAL_NAME_PARTS.iter().any(|part| {
        if part.is_ascii() {
            words.iter().any(|w| w.starts_with(part))
        } else {
            lower.contains(part)
        }
    })
}

/// For each column of `layer`: whether it is internal. A field is internal when the layer's
/// settings name it or when its name looks internal: a list that forgets a field called 所有者
/// does not publish it.
pub fn internal_columns(layer: &Layer) -> Vec<bool> {
    let named = layer.meta.internal_fields.as_deref().unwrap_or_default();
    layer
        .fields
        .iter()
        .map(|f| named.iter().any(|n| n == &f.name) || looks_internal(&f.name))
        .collect()
}

/// The columns a profile writes.
pub fn columns(layer: &Layer, profile: Profile) -> Vec<usize> {
    let internal = internal_columns(layer);
    (0..layer.fields.len())
        .filter(|&c| profile == Profile::Internal || !internal[c])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rule_catches_owner_contact_price() {
        for name in [
            "所有者",
            "owner_name",
            "連絡先",
            "TEL",
            "Email",
            "売却価格",
            "price_jpy",
            "交渉状況",
            "negotiation_status",
            "tel_no",
        ] {
            assert!(looks_internal(name), "{name}");
        }
        for name in [
            "所在地",
            "面積",
            "用途地域",
            "name",
            "area_m2",
            "status",
            "hotel",
        ] {
            assert!(!looks_internal(name), "{name}");
        }
    }
}
