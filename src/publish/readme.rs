//! The package's README (Japanese, then English) and licence file, written from the same
//! description as the metadata files.

use std::fmt::Write as _;

use super::fields;
use super::package::Package;
use super::terms::PackageLicence;

/// What the README says about one published layer.
pub struct LayerReport {
    pub title: String,
    /// File name stem of its files in `data/`.
    pub slug: String,
    /// The source file's name (no folder: the publisher's paths stay private).
    pub source: String,
    pub features: usize,
    /// Public fields with their type names.
    pub fields: Vec<(String, &'static str)>,
    /// CSV written as a facility list, and which source fields fill the standard columns.
    pub facility: bool,
    pub standard: Vec<(&'static str, String)>,
    pub licence: Option<String>,
    pub zoning: bool,
    pub sample: bool,
}

/// Everything the README states besides the package description.
pub struct ReadmeFacts<'a> {
    pub package: &'a Package,
    pub layers: &'a [LayerReport],
    /// The filter as it may be stated (nothing internal).
    pub filter: &'a str,
    /// What writers changed (field names cut for a Shapefile, …).
    pub notes: &'a [String],
    /// Features of the data files, by file name.
    pub counts: &'a [(String, usize)],
}

const SAMPLE_JA: &str =
    "**この資料には架空のサンプルデータが含まれます。実在の用地・企業・用途地域ではありません。**";
const SAMPLE_EN: &str =
    "**This package contains FICTIONAL SAMPLE DATA: not real sites, enterprises or zoning.**";

/// The README.md of the package.
pub fn readme(facts: &ReadmeFacts<'_>) -> String {
    let p = facts.package;
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", p.title);
    if p.sample {
        let _ = writeln!(s, "{SAMPLE_JA}\n\n{SAMPLE_EN}\n");
    }
    if !p.description.is_empty() {
        let _ = writeln!(s, "{}\n", p.description);
    }

    // Japanese.
    let _ = writeln!(s, "## 概要\n");
    let _ = writeln!(s, "- 公開者：{}", p.publisher);
    if let Some(c) = &p.contact {
        let _ = writeln!(s, "- 連絡先：{c}");
    }
    let _ = writeln!(
        s,
        "- 対象地域：{}（全国地方公共団体コード {}）",
        p.city_name, p.city_code
    );
    let _ = writeln!(s, "- 公開日：{}", p.issued);
    let _ = writeln!(
        s,
        "- データの時点：{}",
        p.as_of.as_deref().unwrap_or("記載なし（元データを参照）")
    );
    let (licence_ja, licence_en) = p.licence.name();
    let _ = writeln!(s, "- 利用条件：{licence_ja}（{}）", p.licence.uri());
    if let Some(b) = p.bbox {
        let _ = writeln!(
            s,
            "- 範囲（経度・緯度）：{:.6}, {:.6} – {:.6}, {:.6}",
            b.min_x, b.min_y, b.max_x, b.max_y
        );
    }
    if !p.keywords.is_empty() {
        let _ = writeln!(s, "- キーワード：{}", p.keywords.join("、"));
    }
    let _ = writeln!(s, "\n## ファイル\n");
    let _ = writeln!(s, "| ファイル | 形式 | 件数 | バイト数 | SHA-256 |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for d in &p.distributions {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | `{}` |",
            d.file,
            d.format,
            count_of(facts.counts, &d.file),
            d.byte_size,
            d.sha256
        );
    }
    let _ = writeln!(
        s,
        "\nメタデータ：`dcat.jsonld`（DCAT、JSON-LD）、`ckan_package.json`（CKAN package_create）、\
         `opendata_list.csv`（オープンデータ一覧の1行）。利用条件の全文への案内：`LICENSE.txt`。\n"
    );
    let _ = writeln!(s, "### 形式について\n");
    let _ = writeln!(
        s,
        "- GeoJSON：RFC 7946（世界測地系 WGS84 の経度・緯度）。各ファイルの `sitelens` 項目に出典と加工内容。"
    );
    let _ = writeln!(
        s,
        "- CSV：文字コード UTF-8（BOM付き）、改行 CRLF、RFC 4180 の引用。点のデータは 緯度・経度（十進の度）の列を持ち、\
         先頭の列を自治体標準オープンデータセットの共通項目（全国地方公共団体コード、ID、地方公共団体名、名称、所在地_連結表記）に\
         合わせています。点以外のデータは WKT 列に図形を持ちます。表計算ソフトで数式として実行される値（= + - @ で始まる文字列）は先頭に ' を付けています。"
    );
    let _ = writeln!(
        s,
        "- その他の形式（Shapefile は .zip にまとめ、GeoPackage、FlatGeobuf）は経度・緯度（WGS84）です。\n"
    );

    let _ = writeln!(s, "## 出典\n");
    for c in &p.credits {
        let _ = writeln!(s, "- {c}");
    }
    if p.credits.is_empty() {
        let _ = writeln!(s, "- （出典の表示を求める元データはありません）");
    }
    let _ = writeln!(s, "\n## 加工内容\n");
    let _ = writeln!(
        s,
        "- 抽出条件：{}",
        if facts.filter.is_empty() {
            "なし（全件）"
        } else {
            facts.filter
        }
    );
    let _ = writeln!(
        s,
        "- 公開用の項目だけを収録しています（内部用の項目は含みません）。"
    );
    let _ = writeln!(
        s,
        "- 座標は WGS84 の経度・緯度です（元データが他の座標系の場合は変換しています）。"
    );
    for n in facts.notes {
        let _ = writeln!(s, "- {n}");
    }
    if facts.layers.iter().any(|l| l.zoning) {
        let _ = writeln!(
            s,
            "\n**参考図**：用途地域は参考として示すものです。法的な内容は{}の都市計画の担当窓口で確認してください。",
            p.city_name
        );
    }

    let _ = writeln!(s, "\n## 項目\n");
    for l in facts.layers {
        layer_section(&mut s, l, Lang::Ja);
    }
    let _ = writeln!(s, "## 引用のしかた\n");
    let _ = writeln!(s, "{}\n", citation(p, Lang::Ja));

    // English.
    let _ = writeln!(s, "---\n\n## About (English)\n");
    let _ = writeln!(s, "- Publisher: {}", p.publisher);
    if let Some(c) = &p.contact {
        let _ = writeln!(s, "- Contact: {c}");
    }
    let _ = writeln!(
        s,
        "- Area: {} (local government code {})",
        p.city_name, p.city_code
    );
    let _ = writeln!(s, "- Issued: {}", p.issued);
    let _ = writeln!(
        s,
        "- Data as of: {}",
        p.as_of.as_deref().unwrap_or("not stated (see the sources)")
    );
    let _ = writeln!(s, "- Licence: {licence_en} ({})", p.licence.uri());
    let _ = writeln!(
        s,
        "- Files: as listed above. GeoJSON is RFC 7946 (WGS84 longitude/latitude). CSV is UTF-8 \
         with a BOM, CRLF line ends and RFC 4180 quoting; point layers carry 緯度 (latitude) and 経度 \
         (longitude) in decimal degrees after the leading columns of Japan's standard municipal \
         open dataset (自治体標準オープンデータセット); other layers carry a WKT column. Text a \
         spreadsheet would run as a formula starts with a '. Shapefiles (zipped), GeoPackage and \
         FlatGeobuf are in WGS84 longitude/latitude."
    );
    let _ = writeln!(
        s,
        "- Filter: {}",
        if facts.filter.is_empty() {
            "none (every feature)"
        } else {
            facts.filter
        }
    );
    let _ = writeln!(
        s,
        "- Only public fields are included; coordinates are WGS84 longitude/latitude (converted \
         where a source is in another CRS)."
    );
    let _ = writeln!(
        s,
        "- Sources: the credit lines above (出典), as each source's terms require."
    );
    if facts.layers.iter().any(|l| l.zoning) {
        let _ = writeln!(
            s,
            "- Zoning is shown for reference only (参考図): confirm the legal zoning with {}'s \
             planning office.",
            p.city_name
        );
    }
    let _ = writeln!(s, "\n### Fields\n");
    for l in facts.layers {
        layer_section(&mut s, l, Lang::En);
    }
    let _ = writeln!(s, "### How to cite\n\n{}", citation(p, Lang::En));
    s
}

#[derive(Clone, Copy, PartialEq)]
enum Lang {
    Ja,
    En,
}

fn count_of(counts: &[(String, usize)], file: &str) -> String {
    counts
        .iter()
        .find(|(f, _)| f == file)
        .map_or_else(String::new, |(_, n)| n.to_string())
}

fn layer_section(s: &mut String, l: &LayerReport, lang: Lang) {
    let ja = lang == Lang::Ja;
    let _ = writeln!(s, "### {} (`data/{}.*`)\n", l.title, l.slug);
    if l.sample {
        let _ = writeln!(s, "{}\n", if ja { SAMPLE_JA } else { SAMPLE_EN });
    }
    let _ = if ja {
        writeln!(s, "- 元データ：{}（{} 件）", l.source, l.features)
    } else {
        writeln!(s, "- Source file: {} ({} features)", l.source, l.features)
    };
    if let Some(licence) = &l.licence {
        let _ = writeln!(
            s,
            "- {}{licence}",
            if ja {
                "元データの利用条件："
            } else {
                "Source terms: "
            }
        );
    }
    if l.facility && !l.standard.is_empty() {
        let pairs: Vec<String> = l
            .standard
            .iter()
            .map(|(column, field)| format!("{column} ← {field}"))
            .collect();
        let _ = if ja {
            writeln!(s, "- CSV の標準列：{}", pairs.join("、"))
        } else {
            writeln!(
                s,
                "- CSV standard columns filled from: {}",
                pairs.join(", ")
            )
        };
    }
    let _ = if ja {
        writeln!(s, "\n| 項目 | 型 | 意味 | 単位 |\n|---|---|---|---|")
    } else {
        writeln!(s, "\n| field | type | meaning | unit |\n|---|---|---|---|")
    };
    for (name, kind) in &l.fields {
        let (text, unit) = match fields::meaning(name) {
            Some(m) => (if ja { m.ja } else { m.en }, m.unit.unwrap_or("")),
            None if ja => ("（元データの項目名のとおり）".to_string(), ""),
            None => ("as named in the source".to_string(), ""),
        };
        let _ = writeln!(s, "| {name} | {kind} | {text} | {unit} |");
    }
    let _ = writeln!(s);
}

/// How to cite the package, with every source's credit line.
fn citation(p: &Package, lang: Lang) -> String {
    let credits = p.credits.join(if lang == Lang::Ja { "、" } else { "; " });
    match lang {
        Lang::Ja => {
            let mut line = format!(
                "{}「{}」（{}公開、{}）",
                p.publisher,
                p.title,
                p.issued,
                p.licence.short()
            );
            if !credits.is_empty() {
                line.push_str(&format!("。{credits}"));
            }
            line
        }
        Lang::En => {
            let mut line = format!(
                "{}, \"{}\" ({}), {}",
                p.publisher,
                p.title,
                p.issued,
                p.licence.short()
            );
            if !credits.is_empty() {
                line.push_str(&format!(". Sources: {credits}"));
            }
            line
        }
    }
}

/// LICENSE.txt: the package's terms, what reusers must do, and every credit line.
pub fn licence_file(p: &Package) -> String {
    let (ja, en) = p.licence.name();
    let mut s = String::new();
    let _ = writeln!(s, "{}\n", p.title);
    if p.sample {
        let _ = writeln!(
            s,
            "架空のサンプルデータを含みます。 Contains FICTIONAL SAMPLE DATA.\n"
        );
    }
    let _ = writeln!(s, "利用条件 / Terms: {ja} / {en}");
    let _ = writeln!(s, "{}\n", p.licence.uri());
    match p.licence {
        PackageLicence::CcBy4 => {
            let _ = writeln!(
                s,
                "このデータは、出典を表示すれば、複製・改変・再配布・商用利用ができます。改変した場合はその旨を表示してください。\n\
                 Anyone may copy, change, redistribute and use this data commercially, provided they \
                 credit the sources below and say when they have changed it. The licence's full text is \
                 at the address above (legalcode.ja for the Japanese translation)."
            );
        }
        PackageLicence::Pdl1 => {
            let _ = writeln!(
                s,
                "公共データ利用規約（第1.0版）に従い、出典を表示すれば、複製・加工・再配布・商用利用ができます。加工した場合は\
                 「〇〇を加工して作成」のように表示し、加工したものを国や公共団体が作成したかのように示さないでください。\
                 この規約のもとのデータはクリエイティブ・コモンズ 表示 4.0 国際と両立し、その条件でも利用できます（規約 1.7.3）。\n\
                 Under the Public Data License 1.0, anyone may copy, edit, redistribute and use this data \
                 commercially with a credit; edited data must say it was edited and must not be presented \
                 as made by the public body. Data under PDL1.0 may also be used under CC BY 4.0 (§1.7.3)."
            );
        }
        PackageLicence::Cc0 => {
            let _ = writeln!(
                s,
                "著作権その他の権利を放棄しています。出典の表示は求めませんが、歓迎します。\n\
                 The publisher waives every right it holds in this data; a credit is welcome, not required."
            );
        }
    }
    let _ = writeln!(s, "\n出典 / Credits:");
    for c in &p.credits {
        let _ = writeln!(s, "- {c}");
    }
    if p.credits.is_empty() {
        let _ = writeln!(s, "- (none required)");
    }
    s
}
