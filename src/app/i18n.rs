//! Japanese and English UI text.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl From<crate::cli::Lang> for Lang {
    fn from(lang: crate::cli::Lang) -> Self {
        match lang {
            crate::cli::Lang::Ja => Lang::Ja,
            crate::cli::Lang::En => Lang::En,
        }
    }
}

impl Lang {
    /// The text in this language.
    pub fn t<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}
