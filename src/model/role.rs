//! What a layer is for: a project says it of each layer (`role = "sites"`), the built-in Hino
//! layers carry it, the site analysis reads its context layers by it and the viewer styles by it.

/// What a layer is for on the map (drives its default style) and in the site analysis. In
/// project files: the lower-case names below (`sites`, `enterprises` and `stations` also
/// singular).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Any other layer shown for context.
    Context,
    Boundary,
    Neighbours,
    Railway,
    #[serde(rename = "stations", alias = "station")]
    Station,
    Expressway,
    #[serde(rename = "interchanges", alias = "interchange")]
    Interchange,
    Shelter,
    /// 用途地域 polygons.
    Zoning,
    /// Available industrial sites.
    #[serde(rename = "sites", alias = "site")]
    Site,
    /// Enterprise locations.
    #[serde(rename = "enterprises", alias = "enterprise")]
    Enterprise,
}

impl Role {
    /// The name project files use.
    pub fn key(self) -> &'static str {
        match self {
            Role::Context => "context",
            Role::Boundary => "boundary",
            Role::Neighbours => "neighbours",
            Role::Railway => "railway",
            Role::Station => "stations",
            Role::Expressway => "expressway",
            Role::Interchange => "interchanges",
            Role::Shelter => "shelter",
            Role::Zoning => "zoning",
            Role::Site => "sites",
            Role::Enterprise => "enterprises",
        }
    }
}
