//! Text encodings of Japanese municipal data: labels, code pages, BOMs, and the decision order
//! user override > .cpg > DBF LDID > strict UTF-8 > CP932 (../shared/DOMAIN.md).

use encoding_rs::Encoding;

use crate::model::{TextEncoding, Warning};

/// A database cell's bytes as text: UTF-8, else decoded with replacement characters and a
/// warning naming the field and record (a GeoPackage or a server may hold anything).
pub(crate) fn cell_text(
    bytes: &[u8],
    field: &str,
    record: u64,
    warnings: &mut Vec<Warning>,
) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            warnings.push(Warning::record(
                record,
                format!("field '{field}': text is not UTF-8; undecodable bytes replaced"),
            ));
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// The encoding a label names: WHATWG labels ("utf-8", "shift_jis", "gbk", …), Windows code-page
/// numbers as .cpg files write them ("932", "65001", "ANSI 1252"), and the Japanese aliases
/// CP932 / MS932 / Windows-31J / SJIS. encoding_rs's Shift_JIS is the WHATWG decoder, a superset
/// that decodes CP932's NEC and IBM extensions (①, ㎡, 髙, Ⅲ).
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().trim_matches('\0').trim();
    let lower = label.to_ascii_lowercase();
    let lower = lower.strip_prefix("ansi").map(str::trim).unwrap_or(&lower);
    let lower = lower.strip_prefix("cp").unwrap_or(lower);
    let by_number = match lower {
        "932" | "ms932" | "windows-31j" | "sjis" | "shift-jis" | "shift_jis" => {
            Some(encoding_rs::SHIFT_JIS)
        }
        "65001" | "utf8" => Some(encoding_rs::UTF_8),
        "936" => Some(encoding_rs::GBK),
        "949" => Some(encoding_rs::EUC_KR),
        "950" => Some(encoding_rs::BIG5),
        "20932" | "51932" => Some(encoding_rs::EUC_JP),
        "866" => Some(encoding_rs::IBM866),
        "874" => Some(encoding_rs::WINDOWS_874),
        "1250" => Some(encoding_rs::WINDOWS_1250),
        "1251" => Some(encoding_rs::WINDOWS_1251),
        "1252" | "28591" | "88591" | "latin1" => Some(encoding_rs::WINDOWS_1252),
        "1253" => Some(encoding_rs::WINDOWS_1253),
        "1254" => Some(encoding_rs::WINDOWS_1254),
        "1255" => Some(encoding_rs::WINDOWS_1255),
        "1256" => Some(encoding_rs::WINDOWS_1256),
        "1257" => Some(encoding_rs::WINDOWS_1257),
        "1258" => Some(encoding_rs::WINDOWS_1258),
        _ => None,
    };
    by_number.or_else(|| Encoding::for_label_no_replacement(label.as_bytes()))
}

/// The name users know an encoding by ("CP932" for encoding_rs's Shift_JIS).
pub fn display_name(encoding: &'static Encoding) -> &'static str {
    if encoding == encoding_rs::SHIFT_JIS {
        "CP932"
    } else {
        encoding.name()
    }
}

/// A [`TextEncoding`] for the report.
pub fn chosen(encoding: &'static Encoding, decided_by: &str) -> TextEncoding {
    TextEncoding {
        name: display_name(encoding).into(),
        decided_by: decided_by.into(),
    }
}

/// Strips a UTF-8 byte-order mark; says whether there was one.
pub fn strip_utf8_bom(bytes: &[u8]) -> (&[u8], bool) {
    match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    }
}

/// Decodes without replacement characters; `None` when the bytes are not valid in `encoding`.
pub fn decode_strict(bytes: &[u8], encoding: &'static Encoding) -> Option<String> {
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| s.into_owned())
}

/// Strict UTF-8 if the bytes are valid UTF-8, else CP932: the last two steps of the order.
pub fn guess_utf8_or_cp932(bytes: &[u8]) -> (&'static Encoding, &'static str) {
    if std::str::from_utf8(bytes).is_ok() {
        (encoding_rs::UTF_8, "utf-8 check")
    } else {
        (encoding_rs::SHIFT_JIS, "fallback (not UTF-8)")
    }
}

/// Where the first invalid UTF-8 byte is, for messages.
pub fn utf8_error_offset(bytes: &[u8]) -> Option<usize> {
    std::str::from_utf8(bytes).err().map(|e| e.valid_up_to())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_code_pages() {
        for label in [
            "932",
            "CP932",
            "ms932",
            "Windows-31J",
            "SJIS",
            "shift_jis",
            " 932\r\n",
        ] {
            assert_eq!(
                encoding_for_label(label),
                Some(encoding_rs::SHIFT_JIS),
                "{label}"
            );
        }
        assert_eq!(encoding_for_label("UTF-8"), Some(encoding_rs::UTF_8));
        assert_eq!(encoding_for_label("65001"), Some(encoding_rs::UTF_8));
        assert_eq!(encoding_for_label("936"), Some(encoding_rs::GBK));
        assert_eq!(
            encoding_for_label("ANSI 1252"),
            Some(encoding_rs::WINDOWS_1252)
        );
        assert_eq!(encoding_for_label("klingon"), None);
    }

    #[test]
    fn cp932_extensions_decode() {
        // ① ㎡ 髙 Ⅲ in CP932 (NEC row 13 and IBM extensions).
        let bytes = [0x87, 0x40, 0x87, 0x75, 0xFB, 0xFC, 0x87, 0x56];
        assert_eq!(
            decode_strict(&bytes, encoding_rs::SHIFT_JIS).as_deref(),
            Some("①㎡髙Ⅲ")
        );
        assert_eq!(guess_utf8_or_cp932(&bytes).0, encoding_rs::SHIFT_JIS);
        assert_eq!(guess_utf8_or_cp932("日野".as_bytes()).0, encoding_rs::UTF_8);
    }
}
