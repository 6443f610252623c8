//! Terms of reuse: the licence a package is published under, the terms each source layer comes
//! with (read from the layer's licence text), whether a source may go out under the package's
//! terms, and the credit line its terms ask for (docs/research/publishing.md §1–2, §6).

/// The terms a package can be published under (`--licence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PackageLicence {
    /// Creative Commons Attribution 4.0 International.
    #[value(name = "cc-by-4.0")]
    CcBy4,
    /// 公共データ利用規約（第1.0版）, the Digital Agency's terms for public data (PDL1.0).
    #[value(name = "pdl-1.0")]
    Pdl1,
    /// Creative Commons Zero 1.0: no rights reserved.
    #[value(name = "cc0-1.0")]
    Cc0,
}

impl PackageLicence {
    /// The URI for `dct:license`.
    pub fn uri(self) -> &'static str {
        match self {
            PackageLicence::CcBy4 => "https://creativecommons.org/licenses/by/4.0/",
            // The page PDL §1.1 calls 「規約原文ページのURL」.
            PackageLicence::Pdl1 => {
                "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0"
            }
            PackageLicence::Cc0 => "https://creativecommons.org/publicdomain/zero/1.0/",
        }
    }

    /// The SPDX identifier; PDL1.0 has none yet (spdx/license-list-XML #3049 is open).
    pub fn spdx(self) -> Option<&'static str> {
        match self {
            PackageLicence::CcBy4 => Some("CC-BY-4.0"),
            PackageLicence::Pdl1 => None,
            PackageLicence::Cc0 => Some("CC0-1.0"),
        }
    }

    /// CKAN core's licence id (portals may have their own: `--ckan-license-id`). PDL1.0 has
    /// none, so it is "Other (Attribution)" with the PDL page as `license_url`.
    pub fn ckan_id(self) -> &'static str {
        match self {
            PackageLicence::CcBy4 => "cc-by",
            PackageLicence::Pdl1 => "other-at",
            PackageLicence::Cc0 => "cc-zero",
        }
    }

    /// The short name used in credit lines and titles.
    pub fn short(self) -> &'static str {
        match self {
            PackageLicence::CcBy4 => "CC BY 4.0",
            PackageLicence::Pdl1 => "PDL1.0",
            PackageLicence::Cc0 => "CC0 1.0",
        }
    }

    /// The full name, Japanese then English.
    pub fn name(self) -> (&'static str, &'static str) {
        match self {
            PackageLicence::CcBy4 => (
                "クリエイティブ・コモンズ 表示 4.0 国際",
                "Creative Commons Attribution 4.0 International",
            ),
            PackageLicence::Pdl1 => ("公共データ利用規約（第1.0版）", "Public Data License 1.0"),
            PackageLicence::Cc0 => (
                "クリエイティブ・コモンズ・ゼロ 1.0 全世界",
                "Creative Commons Zero 1.0 Universal",
            ),
        }
    }
}

/// The terms a source layer comes with, read from its licence text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceTerms {
    /// No rights reserved (CC0, public domain), or fictional data the project made.
    Free,
    /// Attribution only: CC BY (any version, 2.1 JP included).
    CcBy,
    /// Government terms that allow reuse with a credit and a 加工 statement and are compatible
    /// with CC BY 4.0: PDL1.0 (§1.7.3), 政府標準利用規約 2.0, 国土地理院コンテンツ利用規約, the open
    /// datasets of 国土数値情報.
    GovernmentAttribution,
    /// Share-alike (CC BY-SA, ODbL): derived data may only go out under the same terms.
    ShareAlike(String),
    /// Non-commercial or no-derivatives terms: not open data.
    NotOpen(String),
    /// Nothing recognisable: the publisher must say.
    Unknown(String),
}

impl SourceTerms {
    /// Reads a layer's licence text ("CC BY 4.0", "CC BY-SA 3.0", "国土数値情報 利用規約…", …).
    pub fn parse(licence: Option<&str>) -> SourceTerms {
        let Some(text) = licence.map(str::trim).filter(|t| !t.is_empty()) else {
            return SourceTerms::Unknown("no licence stated".into());
        };
        let flat: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .collect::<String>()
            .to_lowercase();
        if [
            "ccbync",
            "ccbynd",
            "noncommercial",
            "noderiv",
            "非商用",
            "改変禁止",
        ]
        .iter()
        .any(|k| flat.contains(k))
        {
            return SourceTerms::NotOpen(text.to_string());
        }
        if flat.contains("ccbysa") || flat.contains("odbl") || flat.contains("sharealike") {
            return SourceTerms::ShareAlike(text.to_string());
        }
        if flat.contains("cc0")
            || flat.contains("publicdomain")
            || flat.contains("パブリックドメイン")
        {
            return SourceTerms::Free;
        }
        if flat.contains("pdl1.0")
            || flat.contains("公共データ利用規約")
            || flat.contains("政府標準利用規約")
            || flat.contains("国土地理院コンテンツ利用規約")
            || flat.contains("国土数値情報")
        {
            return SourceTerms::GovernmentAttribution;
        }
        if flat.contains("ccby") {
            return SourceTerms::CcBy;
        }
        SourceTerms::Unknown(text.to_string())
    }

    /// Whether data under these terms may go out under `package`; the reason when not.
    pub fn allows(&self, package: PackageLicence) -> Result<(), String> {
        match (self, package) {
            (SourceTerms::Free, _) => Ok(()),
            (SourceTerms::CcBy | SourceTerms::GovernmentAttribution, PackageLicence::Cc0) => Err(
                "its terms ask for a credit, which CC0 would waive: publish under CC BY 4.0 or \
                 PDL1.0"
                    .into(),
            ),
            (SourceTerms::CcBy | SourceTerms::GovernmentAttribution, _) => Ok(()),
            (SourceTerms::ShareAlike(t), _) => Err(format!(
                "it is under {t}, a share-alike licence: what is made from it may only be \
                 published under the same terms, not {}",
                package.short()
            )),
            (SourceTerms::NotOpen(t), _) => Err(format!(
                "it is under {t}, which does not allow reuse by everyone (non-commercial or \
                 no-derivatives)"
            )),
            (SourceTerms::Unknown(t), _) => Err(format!(
                "its terms are not known ({t}): state its licence in the project, or leave it out"
            )),
        }
    }
}

/// The credit line of a source as its terms ask for it: the stated credit, marked as edited
/// (「を加工して作成」, PDL §1.1(2), CC BY 4.0 §3(a)(1)(B)) when the package changed the data
/// (filtered, fields dropped, reprojected). A credit that already says so is kept as it is.
pub fn credit_line(credit: &str, terms: &SourceTerms, edited: bool) -> String {
    let credit = credit.trim();
    let says_edited = credit.contains("加工") || credit.contains("もとに");
    match terms {
        SourceTerms::Free => credit.to_string(),
        _ if !edited || says_edited => credit.to_string(),
        _ => {
            let base = credit
                .strip_prefix("出典：")
                .or_else(|| credit.strip_prefix("出典:"))
                .unwrap_or(credit);
            format!("出典：{base}を加工して作成")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_texts_of_the_hino_layers_read_as_their_terms() {
        use SourceTerms as T;
        assert_eq!(
            T::parse(Some("CC BY-SA 3.0")),
            T::ShareAlike("CC BY-SA 3.0".into())
        );
        assert_eq!(T::parse(Some("CC BY 4.0")), T::CcBy);
        assert_eq!(T::parse(Some("CC BY 4.0 licence")), T::CcBy);
        assert_eq!(T::parse(Some("CC BY 2.1 JP")), T::CcBy);
        assert_eq!(
            T::parse(Some("国土地理院コンテンツ利用規約 (CC BY 4.0 compatible)")),
            T::GovernmentAttribution
        );
        assert_eq!(
            T::parse(Some("国土数値情報 利用規約（出典を明記）")),
            T::GovernmentAttribution
        );
        assert_eq!(
            T::parse(Some("公共データ利用規約（第1.0版）")),
            T::GovernmentAttribution
        );
        assert_eq!(
            T::parse(Some("fictional sample data, free to reuse (CC0 1.0)")),
            T::Free
        );
        assert!(matches!(T::parse(Some("ODbL 1.0")), T::ShareAlike(_)));
        assert!(matches!(T::parse(Some("CC BY-NC 4.0")), T::NotOpen(_)));
        assert!(matches!(T::parse(Some("CC BY-ND 4.0")), T::NotOpen(_)));
        assert!(matches!(T::parse(None), T::Unknown(_)));
        assert!(matches!(
            T::parse(Some("all rights reserved")),
            T::Unknown(_)
        ));
    }

    #[test]
    fn share_alike_is_refused_under_every_licence_and_credits_block_cc0() {
        let sa = SourceTerms::parse(Some("CC BY-SA 3.0"));
        for p in [
            PackageLicence::CcBy4,
            PackageLicence::Pdl1,
            PackageLicence::Cc0,
        ] {
            let e = sa.allows(p).unwrap_err();
            assert!(e.contains("share-alike") && e.contains(p.short()), "{e}");
        }
        let gov = SourceTerms::GovernmentAttribution;
        assert!(gov.allows(PackageLicence::CcBy4).is_ok());
        assert!(gov.allows(PackageLicence::Pdl1).is_ok());
        assert!(gov.allows(PackageLicence::Cc0).unwrap_err().contains("CC0"));
        assert!(SourceTerms::Free.allows(PackageLicence::Cc0).is_ok());
    }

    #[test]
    fn edited_data_says_so_in_its_credit() {
        let gov = SourceTerms::GovernmentAttribution;
        assert_eq!(
            credit_line("国土数値情報（鉄道データ）（国土交通省）", &gov, true),
            "出典：国土数値情報（鉄道データ）（国土交通省）を加工して作成"
        );
        assert_eq!(
            credit_line("出典：国土地理院（指定緊急避難場所データ）", &gov, true),
            "出典：国土地理院（指定緊急避難場所データ）を加工して作成"
        );
        // Unedited, or already saying so: as stated.
        assert_eq!(credit_line("国土地理院", &gov, false), "国土地理院");
        let said = "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成";
        assert_eq!(credit_line(said, &gov, true), said);
    }

    #[test]
    fn package_licences_name_their_uris() {
        assert_eq!(PackageLicence::Pdl1.spdx(), None);
        assert_eq!(PackageLicence::CcBy4.spdx(), Some("CC-BY-4.0"));
        assert!(
            PackageLicence::Pdl1
                .uri()
                .starts_with("https://www.digital.go.jp/")
        );
    }
}
