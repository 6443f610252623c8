//! The checked WHERE expression ([`Expr`]) as PostgreSQL SQL, so a database can filter rows
//! before they are sent.
//!
//! Nothing the user typed becomes SQL text: every literal is a bound parameter (`$n`, its text
//! in [`Sql::params`]), and every field name is the catalogue's own name, quoted by
//! [`quote_ident`]. The translation keeps the client's semantics ([`Expr::eval`]) exactly:
//! numbers compare as float8 (the client compares `f64`s; a column's text form is what the
//! client parsed), text compares by code point (`COLLATE "C"`, as Rust compares strings), LIKE
//! is case-sensitive with `%` and `_`, and NULL is unknown in both. What has no exact
//! equivalent is not translated: ILIKE (the server lower-cases by its locale, the client by
//! Unicode) and comparisons that read a boolean field as text. [`pushdown`] keeps the AND terms
//! that translate; the client evaluates the whole expression again on what comes back.

use super::expr::{CmpOp, Expr, LikeToken, Literal};
use crate::model::{Field, FieldType};

/// SQL text with its parameters, numbered from `$1`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Sql {
    pub text: String,
    /// The values of `$1`, `$2`, … as text (`None`: NULL).
    pub params: Vec<Option<String>>,
}

impl Sql {
    /// Binds `value` as the next parameter, cast to `cast`; returns its placeholder.
    pub fn bind(&mut self, value: impl Into<String>, cast: &str) -> String {
        self.params.push(Some(value.into()));
        format!("${}::{cast}", self.params.len())
    }
}

/// An identifier quoted for PostgreSQL: in double quotes, a double quote doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The exact SQL of `expr` over columns named by `fields`, its parameters appended to `sql`;
/// `None` (and `sql` unchanged) when some part has no exact SQL equivalent.
pub fn compile(expr: &Expr, fields: &[Field], sql: &mut Sql) -> Option<String> {
    let mark = sql.params.len();
    let out = Compiler { fields, sql }.expr(expr);
    if out.is_none() {
        sql.params.truncate(mark);
    }
    out
}

/// A condition every row that passes `expr` also passes: the AND terms of `expr` that
/// [`compile`] translates (`None` when none does). Rows it lets through still go through
/// [`Expr::matches`] on the client.
pub fn pushdown(expr: &Expr, fields: &[Field], sql: &mut Sql) -> Option<String> {
    match expr {
        Expr::And(a, b) => match (pushdown(a, fields, sql), pushdown(b, fields, sql)) {
            (Some(a), Some(b)) => Some(format!("({a} AND {b})")),
            (one, None) | (None, one) => one,
        },
        other => compile(other, fields, sql),
    }
}

struct Compiler<'a> {
    fields: &'a [Field],
    sql: &'a mut Sql,
}

/// How a field's values compare on the client, and so how its column is written.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Text,
    Bool,
}

fn op_sql(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

/// A number as PostgreSQL's float8 input reads it, to the same `f64`.
fn float_text(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        // Rust prints the shortest digits that read back to the same f64.
        format!("{n}")
    }
}

fn not(negated: bool) -> &'static str {
    if negated { "NOT " } else { "" }
}

impl Compiler<'_> {
    fn kind(&self, field: usize) -> Option<Kind> {
        Some(match self.fields.get(field)?.field_type {
            FieldType::Int | FieldType::Float => Kind::Number,
            FieldType::Text | FieldType::Date | FieldType::Json => Kind::Text,
            FieldType::Bool => Kind::Bool,
        })
    }

    /// The column as the client sees its values: a float8, text in code-point order, or a
    /// boolean. A float column goes through its text form, which is what the client parsed (a
    /// real's float8 cast would add digits the text does not have).
    fn column(&self, field: usize) -> Option<String> {
        let f = self.fields.get(field)?;
        let name = quote_ident(&f.name);
        Some(match f.field_type {
            FieldType::Int => format!("{name}::float8"),
            FieldType::Float => format!("{name}::text::float8"),
            FieldType::Text | FieldType::Date | FieldType::Json => {
                format!("{name}::text COLLATE \"C\"")
            }
            FieldType::Bool => name,
        })
    }

    /// A literal bound as a parameter of the type the field compares as.
    fn literal(&mut self, field: usize, value: &Literal) -> Option<String> {
        Some(match (self.kind(field)?, value) {
            (Kind::Number, Literal::Number(n)) => self.sql.bind(float_text(*n), "float8"),
            (Kind::Text, Literal::Text(s)) => self.sql.bind(s.clone(), "text"),
            (Kind::Bool, Literal::Bool(b)) => self.sql.bind(b.to_string(), "boolean"),
            _ => return None,
        })
    }

    fn expr(&mut self, e: &Expr) -> Option<String> {
        Some(match e {
            Expr::And(a, b) => format!("({} AND {})", self.expr(a)?, self.expr(b)?),
            Expr::Or(a, b) => format!("({} OR {})", self.expr(a)?, self.expr(b)?),
            Expr::Not(a) => format!("(NOT {})", self.expr(a)?),
            Expr::Compare { field, op, value } => {
                let column = self.column(*field)?;
                let value = self.literal(*field, value)?;
                format!("({column} {} {value})", op_sql(*op))
            }
            Expr::CompareFields { left, op, right } => {
                // The client compares two booleans as neither numbers nor text: unknown.
                let (l, r) = (self.kind(*left)?, self.kind(*right)?);
                if l != r || l == Kind::Bool {
                    return None;
                }
                format!(
                    "({} {} {})",
                    self.column(*left)?,
                    op_sql(*op),
                    self.column(*right)?
                )
            }
            Expr::Like {
                field,
                pattern,
                negated,
                ignore_case,
            } => {
                if *ignore_case || self.kind(*field)? != Kind::Text {
                    return None;
                }
                let column = self.column(*field)?;
                let pattern = self.sql.bind(like_pattern(pattern), "text");
                format!("({column} {}LIKE {pattern})", not(*negated))
            }
            Expr::In {
                field,
                values,
                negated,
            } => {
                let column = self.column(*field)?;
                if values.is_empty() {
                    // Nothing to be in: false (true when negated) for a value, unknown for NULL.
                    return Some(format!(
                        "(CASE WHEN {column} IS NULL THEN NULL ELSE {} END)",
                        if *negated { "TRUE" } else { "FALSE" }
                    ));
                }
                let mut list = Vec::with_capacity(values.len());
                for v in values {
                    list.push(self.literal(*field, v)?);
                }
                format!("({column} {}IN ({}))", not(*negated), list.join(", "))
            }
            Expr::Between {
                field,
                low,
                high,
                negated,
            } => {
                let column = self.column(*field)?;
                let low = self.literal(*field, low)?;
                let high = self.literal(*field, high)?;
                format!("({column} {}BETWEEN {low} AND {high})", not(*negated))
            }
            Expr::IsNull { field, negated } => {
                let name = quote_ident(&self.fields.get(*field)?.name);
                format!("({name} IS {}NULL)", not(*negated))
            }
            Expr::Const(Some(true)) => "TRUE".into(),
            Expr::Const(Some(false)) => "FALSE".into(),
            Expr::Const(None) => "(NULL::boolean)".into(),
        })
    }
}

/// A compiled LIKE pattern as PostgreSQL pattern text, with `\` as its escape character.
fn like_pattern(tokens: &[LikeToken]) -> String {
    let mut out = String::new();
    for t in tokens {
        match t {
            LikeToken::AnyMany => out.push('%'),
            LikeToken::AnyOne => out.push('_'),
            LikeToken::Char(c) => {
                if matches!(c, '%' | '_' | '\\') {
                    out.push('\\');
                }
                out.push(*c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::expr::parse;

    /// The expression tests' fields and a hostile name.
    fn fields() -> Vec<Field> {
        let mut fields = crate::filter::expr::tests::fields();
        fields.push(Field {
            name: "a\"; DROP TABLE t; --".into(),
            field_type: FieldType::Text,
        });
        fields
    }

    fn sql(text: &str) -> Option<Sql> {
        let expr = parse(text, &fields()).unwrap();
        let mut sql = Sql::default();
        sql.text = compile(&expr, &fields(), &mut sql)?;
        Some(sql)
    }

    #[test]
    fn values_are_parameters_and_names_are_quoted() {
        let s = sql("\"名称\" = 'x''; DROP TABLE t; --' AND year >= 1970").unwrap();
        assert_eq!(
            s.text,
            "((\"名称\"::text COLLATE \"C\" = $1::text) AND (\"year\"::float8 >= $2::float8))"
        );
        assert_eq!(
            s.params,
            vec![Some("x'; DROP TABLE t; --".into()), Some("1970".into())]
        );
        let s = sql("\"a\"\"; DROP TABLE t; --\" IS NULL").unwrap();
        assert_eq!(s.text, "(\"a\"\"; DROP TABLE t; --\" IS NULL)");
        assert!(s.params.is_empty());
    }

    #[test]
    fn like_patterns_keep_their_escapes() {
        let s = sql("\"名称\" NOT LIKE '日野\\%%' ESCAPE '\\'").unwrap();
        assert!(s.text.contains("NOT LIKE $1::text"), "{}", s.text);
        assert_eq!(s.params, vec![Some("日野\\%%".into())]);
        // Without ESCAPE a backslash is an ordinary character: escaped for the server.
        let s = sql("\"名称\" LIKE '_\\_%'").unwrap();
        assert_eq!(s.params, vec![Some("_\\\\_%".into())]);
    }

    #[test]
    fn what_has_no_exact_sql_is_left_to_the_client() {
        assert!(sql("\"名称\" ILIKE 'hino%'").is_none());
        assert!(sql("ok = ok").is_none());
        assert!(sql("year > 1 OR \"名称\" ILIKE 'x'").is_none());
        // An AND keeps the terms that translate, and only their parameters.
        let expr = parse("\"名称\" ILIKE 'x%' AND year > 1 AND ok", &fields()).unwrap();
        let mut s = Sql::default();
        let text = pushdown(&expr, &fields(), &mut s).unwrap();
        assert_eq!(
            text,
            "((\"year\"::float8 > $1::float8) AND (\"ok\" = $2::boolean))"
        );
        assert_eq!(s.params.len(), 2);
        let expr = parse("NOT (\"名称\" ILIKE 'x%')", &fields()).unwrap();
        assert!(pushdown(&expr, &fields(), &mut Sql::default()).is_none());
    }

    #[test]
    fn numbers_read_back_to_the_same_f64() {
        for n in [0.1, -1e300, 1.0 / 3.0, 5e-324, f64::INFINITY] {
            let text = float_text(n);
            let back: f64 = text.to_ascii_lowercase().parse().unwrap();
            assert_eq!(back, n, "{text}");
        }
        let s = sql("面積 BETWEEN 0.1 AND 2 AND year IN (1, 2)").unwrap();
        assert!(
            s.text.contains("\"面積\"::text::float8 BETWEEN"),
            "{}",
            s.text
        );
        assert_eq!(s.params.len(), 4);
    }
}
