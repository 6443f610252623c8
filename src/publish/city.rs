//! The municipality a package is published for: its 全国地方公共団体コード (five digits of the
//! 標準地域コード and a check digit) and its name as 自治体標準 datasets write it (prefecture and
//! city, 「東京都日野市」).

/// A municipality by code and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct City {
    /// Six digits, the last the check digit ("132128").
    pub code: String,
    /// Prefecture and city ("東京都日野市").
    pub name: String,
}

impl City {
    /// Hino city, Tokyo: the embedded project's city.
    pub fn hino() -> City {
        City {
            code: "132128".into(),
            name: "東京都日野市".into(),
        }
    }

    /// Who publishes the city's data by default: the city without its prefecture ("日野市").
    pub fn publisher(&self) -> String {
        ["都", "道", "府", "県"]
            .iter()
            .filter_map(|p| self.name.split_once(p).map(|(_, rest)| rest))
            .find(|rest| !rest.is_empty())
            .unwrap_or(&self.name)
            .to_string()
    }

    /// A city from its code and name; the code must be six digits with the right check digit
    /// (a five-digit 標準地域コード gets its check digit added).
    pub fn new(code: &str, name: &str) -> Result<City, String> {
        let code = code.trim();
        let name = name.trim();
        if name.is_empty() {
            return Err(
                "the city's name is empty: give it as 自治体標準 writes it, e.g. 東京都日野市"
                    .into(),
            );
        }
        if !code.bytes().all(|b| b.is_ascii_digit()) || !(5..=6).contains(&code.len()) {
            return Err(format!(
                "{code:?} is not a 全国地方公共団体コード: six digits, e.g. 132128 (Hino)"
            ));
        }
        let digit = check_digit(&code[..5]);
        if code.len() == 6 && code.as_bytes()[5] != digit {
            return Err(format!(
                "{code}: the check digit of {} is {}, not {}: the code is mistyped",
                &code[..5],
                digit as char,
                code.as_bytes()[5] as char
            ));
        }
        Ok(City {
            code: format!("{}{}", &code[..5], digit as char),
            name: name.to_string(),
        })
    }
}

/// The check digit of a five-digit 標準地域コード: the digits weighted 6, 5, 4, 3, 2, summed, and
/// the last digit of 11 minus the sum's remainder by 11.
fn check_digit(five: &str) -> u8 {
    let sum: u32 = five
        .bytes()
        .zip([6, 5, 4, 3, 2])
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    b'0' + ((11 - sum % 11) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_known_bodies_check() {
        // Hino, Chiyoda, Sapporo, Tokyo and Saitama prefectures (remainder 0 → 1).
        for code in ["132128", "131016", "011002", "130001", "110001"] {
            assert_eq!(City::new(code, "x").unwrap().code, code);
        }
        assert_eq!(City::new("13212", "東京都日野市").unwrap(), City::hino());
        let e = City::new("132127", "東京都日野市").unwrap_err();
        assert!(e.contains("check digit") && e.contains('8'), "{e}");
        assert!(City::new("13-212", "x").is_err());
        assert!(City::new("132128", " ").is_err());
        assert_eq!(City::hino().publisher(), "日野市");
    }
}
