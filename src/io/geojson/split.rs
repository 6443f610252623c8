//! The members of a FeatureCollection found without parsing its features: the one part of the
//! load that runs on one core, so it only looks for quotes and braces (with memchr) to find where
//! each feature object ends; each feature is then parsed in full, in parallel.
//!
//! It understands the plain shape only (an object whose `features` is an array of objects, names
//! without escapes, each known member once) and says `None` for anything else, or anything
//! malformed between the features; the caller then parses the whole file the usual way, which
//! gives serde_json's own error. Malformed JSON inside a feature is caught when the feature is
//! parsed (the caller then does the same).

use memchr::{memchr2, memchr3};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The top-level members sitelens reads.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Members<'a> {
    /// `type`; `None` when absent or null.
    pub kind: Option<String>,
    /// Each feature as raw JSON, in file order.
    pub features: Option<Vec<&'a str>>,
    pub crs: Option<serde_json::Value>,
    /// Foreign member `"sample": true`: fictional stand-in data (sitelens's own sample layers).
    pub sample: Option<serde_json::Value>,
}

/// Splits `json` (a whole file); `None` when it is not of the plain shape.
pub(super) fn split(json: &str) -> Option<Members<'_>> {
    let b = json.as_bytes();
    let mut members = Members::default();
    let mut seen = [false; 4];
    let mut at = expect(b, skip_ws(b, 0), b'{')?;
    at = skip_ws(b, at);
    if b.get(at) == Some(&b'}') {
        return (skip_ws(b, at + 1) == b.len()).then_some(members);
    }
    loop {
        let name_start = expect(b, at, b'"')?;
        let name_end = name_start + memchr2(b'"', b'\\', &b[name_start..])?;
        if b[name_end] == b'\\' {
            return None;
        }
        let name = &json[name_start..name_end];
        at = skip_ws(b, expect(b, skip_ws(b, name_end + 1), b':')?);
        let slot = ["type", "features", "crs", "sample"]
            .iter()
            .position(|&n| n == name);
        if let Some(i) = slot
            && std::mem::replace(&mut seen[i], true)
        {
            return None;
        }
        let value = if name == "features" {
            let (features, end) = features(json, at)?;
            members.features = Some(features);
            end
        } else {
            let mut values = serde_json::Deserializer::from_str(&json[at..]).into_iter();
            let raw: &RawValue = values.next()?.ok()?;
            match name {
                "type" => members.kind = Option::deserialize(raw).ok()?,
                "crs" => members.crs = Option::deserialize(raw).ok()?,
                "sample" => members.sample = Option::deserialize(raw).ok()?,
                _ => {}
            }
            at + values.byte_offset()
        };
        at = skip_ws(b, value);
        match b.get(at)? {
            b',' => at = skip_ws(b, at + 1),
            b'}' => return (skip_ws(b, at + 1) == b.len()).then_some(members),
            _ => return None,
        }
    }
}

/// The objects of the array at `at`, and where the array ends.
fn features(json: &str, at: usize) -> Option<(Vec<&str>, usize)> {
    let b = json.as_bytes();
    let mut features = Vec::new();
    let mut at = skip_ws(b, expect(b, at, b'[')?);
    if b.get(at) == Some(&b']') {
        return Some((features, at + 1));
    }
    loop {
        let end = object_end(b, at)?;
        features.push(&json[at..end]);
        at = skip_ws(b, end);
        match b.get(at)? {
            b',' => at = skip_ws(b, at + 1),
            b']' => return Some((features, at + 1)),
            _ => return None,
        }
    }
}

/// Where the object starting at `at` ends: its braces balanced, outside strings.
pub(super) fn object_end(b: &[u8], at: usize) -> Option<usize> {
    let mut at = expect(b, at, b'{')?;
    let mut depth = 1usize;
    loop {
        at += memchr3(b'{', b'}', b'"', &b[at..])?;
        match b[at] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at + 1);
                }
            }
            _ => at = string_end(b, at + 1)? - 1,
        }
        at += 1;
    }
}

/// Where the string whose contents start at `at` ends (after its closing quote).
pub(super) fn string_end(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at += memchr2(b'"', b'\\', b.get(at..)?)?;
        if b[at] == b'"' {
            return Some(at + 1);
        }
        at += 2;
    }
}

/// The position after `byte` at `at`, if it is there.
pub(super) fn expect(b: &[u8], at: usize, byte: u8) -> Option<usize> {
    (b.get(at) == Some(&byte)).then_some(at + 1)
}

/// The first position from `at` that is not JSON whitespace.
pub(super) fn skip_ws(b: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Whole<'a> {
        #[serde(borrow)]
        features: Vec<&'a RawValue>,
    }

    #[test]
    fn features_are_found_as_serde_json_finds_them() {
        let json = r#" {"type" : "FeatureCollection", "name":{"a":[1,"}"]},
            "features" : [ {"type":"Feature","properties":{"s":"}{\"\\","t":"\u007d"},"geometry":null} ,
            {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"o":{"p":{}}}},{}
            ], "crs":null, "sample": true }
        "#;
        let members = split(json).expect("plain shape");
        let whole: Whole = serde_json::from_str(json).unwrap();
        let by_serde: Vec<&str> = whole.features.iter().map(|f| f.get()).collect();
        assert_eq!(members.features, Some(by_serde));
        assert_eq!(members.kind.as_deref(), Some("FeatureCollection"));
        assert_eq!((members.crs, members.sample), (None, Some(true.into())));
        assert_eq!(split("{}"), Some(Members::default()));
        assert_eq!(
            split(r#"{"features":[]}"#).and_then(|m| m.features),
            Some(vec![])
        );
    }

    #[test]
    fn anything_but_the_plain_shape_is_left_to_serde_json() {
        for json in [
            r#"{"features":[{}] x"#,
            r#"{"features":[{}],}"#,
            r#"{"features":[{},]}"#,
            r#"{"features":[{}{}]}"#,
            r#"{"features":[1]}"#,
            r#"{"features":null}"#,
            r#"{"features":[{"a":"}]}"#,
            r#"{"features":[{"a":1}"#,
            r#"{"type":"A","type":"B"}"#,
            r#"{"typ\u0065":"FeatureCollection"}"#,
            r#"{"type":5}"#,
            r#"{"crs":{"a":}}"#,
            r#"{"x" 1}"#,
            r#"[]"#,
            "",
        ] {
            assert_eq!(split(json), None, "{json}");
        }
    }
}
