//! Attribute expressions in the SQL WHERE dialect ogr2ogr users know:
//! `= != <> < <= > >=`, `[NOT] LIKE` / `ILIKE` with `%` and `_`, `[NOT] IN (…)`,
//! `[NOT] BETWEEN … AND …`, `IS [NOT] NULL`, `AND` / `OR` / `NOT`, parentheses,
//! "quoted identifiers" (Japanese field names), 'strings', numbers, TRUE / FALSE.
//!
//! Parsed with `sqlparser`, then checked against the layer's fields: an unknown field or a
//! comparison of a text field with a number is an error naming the column where it is, before
//! anything is written. Evaluation follows SQL's three-valued logic: a comparison with NULL is
//! unknown, and only features for which the whole expression is true pass. LIKE is
//! case-sensitive (the SQL standard); ILIKE ignores case.

use sqlparser::ast::{self, BinaryOperator, Spanned, UnaryOperator};
use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::model::{Field, FieldType, Value};

/// A malformed or ill-typed expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("where \"{expression}\": {message}")]
pub struct ExprError {
    pub expression: String,
    pub message: String,
}

/// A literal the expression compares with.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(f64),
    Text(String),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn flipped(self) -> Self {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }

    fn test(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }
}

/// A checked expression over one layer's fields (by column index).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        field: usize,
        op: CmpOp,
        value: Literal,
    },
    CompareFields {
        left: usize,
        op: CmpOp,
        right: usize,
    },
    Like {
        field: usize,
        pattern: Vec<LikeToken>,
        negated: bool,
        ignore_case: bool,
    },
    In {
        field: usize,
        values: Vec<Literal>,
        negated: bool,
    },
    Between {
        field: usize,
        low: Literal,
        high: Literal,
        negated: bool,
    },
    IsNull {
        field: usize,
        negated: bool,
    },
    Const(Option<bool>),
}

/// One element of a compiled LIKE pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum LikeToken {
    Char(char),
    AnyOne,
    AnyMany,
}

/// Nesting allowed in an expression (a guard against hostile input overflowing the stack).
const MAX_DEPTH: usize = 64;

/// AND / OR / NOT operators allowed in one expression: a chain `a OR b OR …` parses without
/// nesting but builds a tree as deep as it is long, which every later step walks recursively.
const MAX_LOGICAL_OPERATORS: usize = 256;

/// Parses `text` and checks it against `fields`.
pub fn parse(text: &str, fields: &[Field]) -> Result<Expr, ExprError> {
    let err = |message: String| ExprError {
        expression: text.to_string(),
        message,
    };
    let dialect = GenericDialect {};
    let tokens = Tokenizer::new(&dialect, text)
        .tokenize()
        .map_err(|e| err(e.to_string()))?;
    let logical = tokens
        .iter()
        .filter(|t| {
            matches!(t, Token::Word(w) if matches!(w.keyword, Keyword::AND | Keyword::OR | Keyword::NOT))
        })
        .count();
    if logical > MAX_LOGICAL_OPERATORS {
        return Err(err(format!(
            "{logical} AND/OR/NOT operators; an expression may have at most \
             {MAX_LOGICAL_OPERATORS} (use IN (…) for long lists of values)"
        )));
    }
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(MAX_DEPTH)
        .try_with_sql(text)
        .map_err(|e| err(e.to_string().replace("sql parser error: ", "")))?;
    let ast = parser
        .parse_expr()
        .map_err(|e| err(e.to_string().replace("sql parser error: ", "")))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(err(format!(
            "unexpected {} at column {}",
            next.token, next.span.start.column
        )));
    }
    Checker { fields, text }.expr(&ast)
}

/// The top-level AND terms of `text`, each as SQL text with its checked expression, to say why
/// a row fails (the terms whose value is not true). Empty when the text does not parse or a term
/// does not check: then nothing can be said term by term.
pub fn and_terms(text: &str, fields: &[Field]) -> Vec<(String, Expr)> {
    let dialect = GenericDialect {};
    let Ok(ast) = Parser::new(&dialect)
        .with_recursion_limit(MAX_DEPTH)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
    else {
        return Vec::new();
    };
    let mut terms = Vec::new();
    split_and(&ast, &mut terms);
    terms
        .into_iter()
        .map(|t| {
            let text = t.to_string();
            parse(&text, fields).map(|e| (text, e))
        })
        .collect::<Result<_, _>>()
        .unwrap_or_default()
}

fn split_and<'e>(e: &'e ast::Expr, out: &mut Vec<&'e ast::Expr>) {
    match e {
        ast::Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            split_and(left, out);
            split_and(right, out);
        }
        ast::Expr::Nested(inner)
            if matches!(
                **inner,
                ast::Expr::BinaryOp {
                    op: BinaryOperator::And,
                    ..
                }
            ) =>
        {
            split_and(inner, out)
        }
        other => out.push(other),
    }
}

struct Checker<'a> {
    fields: &'a [Field],
    text: &'a str,
}

enum Operand {
    Field(usize),
    Literal(Literal),
    Null,
}

impl Checker<'_> {
    fn err(&self, node: &ast::Expr, message: impl std::fmt::Display) -> ExprError {
        let column = node.span().start.column;
        let at = if column > 0 {
            format!(" (column {column})")
        } else {
            String::new()
        };
        ExprError {
            expression: self.text.to_string(),
            message: format!("{message}{at}"),
        }
    }

    fn expr(&self, e: &ast::Expr) -> Result<Expr, ExprError> {
        use ast::Expr as A;
        Ok(match e {
            A::Nested(inner) => self.expr(inner)?,
            A::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => Expr::And(Box::new(self.expr(left)?), Box::new(self.expr(right)?)),
            A::BinaryOp {
                left,
                op: BinaryOperator::Or,
                right,
            } => Expr::Or(Box::new(self.expr(left)?), Box::new(self.expr(right)?)),
            A::UnaryOp {
                op: UnaryOperator::Not,
                expr,
            } => Expr::Not(Box::new(self.expr(expr)?)),
            A::BinaryOp { left, op, right } => {
                let op = match op {
                    BinaryOperator::Eq => CmpOp::Eq,
                    BinaryOperator::NotEq => CmpOp::Ne,
                    BinaryOperator::Lt => CmpOp::Lt,
                    BinaryOperator::LtEq => CmpOp::Le,
                    BinaryOperator::Gt => CmpOp::Gt,
                    BinaryOperator::GtEq => CmpOp::Ge,
                    other => return Err(self.err(e, format!("operator {other} is not supported"))),
                };
                match (self.operand(left)?, self.operand(right)?) {
                    (Operand::Field(field), Operand::Literal(value)) => {
                        self.check_type(right, field, &value)?;
                        Expr::Compare { field, op, value }
                    }
                    (Operand::Literal(value), Operand::Field(field)) => {
                        self.check_type(left, field, &value)?;
                        Expr::Compare {
                            field,
                            op: op.flipped(),
                            value,
                        }
                    }
                    (Operand::Field(l), Operand::Field(r)) => {
                        let (a, b) = (self.fields[l].field_type, self.fields[r].field_type);
                        if numeric(a) != numeric(b) {
                            return Err(self.err(
                                e,
                                format!(
                                    "cannot compare \"{}\" ({}) with \"{}\" ({})",
                                    self.fields[l].name,
                                    type_name(a),
                                    self.fields[r].name,
                                    type_name(b)
                                ),
                            ));
                        }
                        Expr::CompareFields {
                            left: l,
                            op,
                            right: r,
                        }
                    }
                    (Operand::Null, _) | (_, Operand::Null) => {
                        return Err(self.err(
                            e,
                            "comparison with NULL is never true: use IS NULL or IS NOT NULL",
                        ));
                    }
                    (Operand::Literal(_), Operand::Literal(_)) => {
                        return Err(self.err(e, "compares two constants: name a field"));
                    }
                }
            }
            A::Like {
                negated,
                expr,
                pattern,
                escape_char,
                any: false,
            } => self.like(e, expr, pattern, escape_char.as_deref(), *negated, false)?,
            A::ILike {
                negated,
                expr,
                pattern,
                escape_char,
                any: false,
            } => self.like(e, expr, pattern, escape_char.as_deref(), *negated, true)?,
            A::In {
                expr,
                target: ast::InTarget::List(list),
                negated,
                global: false,
            } => {
                let field = self.field(expr)?;
                let mut values = Vec::with_capacity(list.len());
                for item in list {
                    match self.operand(item)? {
                        Operand::Literal(v) => {
                            self.check_type(item, field, &v)?;
                            values.push(v);
                        }
                        _ => return Err(self.err(item, "IN (…) takes constants")),
                    }
                }
                Expr::In {
                    field,
                    values,
                    negated: *negated,
                }
            }
            A::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let field = self.field(expr)?;
                let bound = |b: &ast::Expr| match self.operand(b)? {
                    Operand::Literal(v) => {
                        self.check_type(b, field, &v)?;
                        Ok(v)
                    }
                    _ => Err(self.err(b, "BETWEEN takes constants")),
                };
                Expr::Between {
                    field,
                    low: bound(low)?,
                    high: bound(high)?,
                    negated: *negated,
                }
            }
            A::IsNull(inner) => Expr::IsNull {
                field: self.field(inner)?,
                negated: false,
            },
            A::IsNotNull(inner) => Expr::IsNull {
                field: self.field(inner)?,
                negated: true,
            },
            A::Value(v) => match &v.value {
                ast::Value::Boolean(b) => Expr::Const(Some(*b)),
                ast::Value::Null => Expr::Const(None),
                _ => return Err(self.err(e, "a constant alone is not a condition")),
            },
            A::Identifier(_) | A::CompoundIdentifier(_) => {
                let field = self.field(e)?;
                if self.fields[field].field_type != FieldType::Bool {
                    return Err(self.err(
                        e,
                        format!(
                            "\"{}\" is {}, not a condition: compare it with something",
                            self.fields[field].name,
                            type_name(self.fields[field].field_type)
                        ),
                    ));
                }
                Expr::Compare {
                    field,
                    op: CmpOp::Eq,
                    value: Literal::Bool(true),
                }
            }
            other => return Err(self.err(other, format!("'{other}' is not supported in a filter"))),
        })
    }

    fn like(
        &self,
        whole: &ast::Expr,
        expr: &ast::Expr,
        pattern: &ast::Expr,
        escape: Option<&ast::Expr>,
        negated: bool,
        ignore_case: bool,
    ) -> Result<Expr, ExprError> {
        let field = self.field(expr)?;
        if numeric(self.fields[field].field_type) {
            return Err(self.err(
                whole,
                format!(
                    "LIKE needs a text field; \"{}\" is {}",
                    self.fields[field].name,
                    type_name(self.fields[field].field_type)
                ),
            ));
        }
        let Operand::Literal(Literal::Text(p)) = self.operand(pattern)? else {
            return Err(self.err(pattern, "the LIKE pattern must be a 'string'"));
        };
        let escape = match escape.map(|e| self.operand(e)).transpose()? {
            None => None,
            Some(Operand::Literal(Literal::Text(s))) if s.chars().count() == 1 => s.chars().next(),
            Some(_) => return Err(self.err(whole, "ESCAPE takes one character")),
        };
        let p = if ignore_case { p.to_lowercase() } else { p };
        Ok(Expr::Like {
            field,
            pattern: compile_like(&p, escape),
            negated,
            ignore_case,
        })
    }

    fn field(&self, e: &ast::Expr) -> Result<usize, ExprError> {
        match self.operand(e)? {
            Operand::Field(f) => Ok(f),
            _ => Err(self.err(e, format!("expected a field name, found {e}"))),
        }
    }

    fn operand(&self, e: &ast::Expr) -> Result<Operand, ExprError> {
        use ast::Expr as A;
        match e {
            A::Nested(inner) => self.operand(inner),
            A::Identifier(ident) => self.lookup(e, &ident.value).map(Operand::Field),
            A::CompoundIdentifier(parts) => {
                let name: Vec<&str> = parts.iter().map(|p| p.value.as_str()).collect();
                self.lookup(e, &name.join(".")).map(Operand::Field)
            }
            A::Value(v) => Ok(match &v.value {
                ast::Value::Number(n, _) => Operand::Literal(Literal::Number(
                    n.parse().map_err(|_| self.err(e, format!("'{n}' is not a number")))?,
                )),
                ast::Value::SingleQuotedString(s) => Operand::Literal(Literal::Text(s.clone())),
                ast::Value::Boolean(b) => Operand::Literal(Literal::Bool(*b)),
                ast::Value::Null => Operand::Null,
                other => return Err(self.err(e, format!("constant {other} is not supported"))),
            }),
            A::UnaryOp { op: UnaryOperator::Minus, expr } => match self.operand(expr)? {
                Operand::Literal(Literal::Number(n)) => Ok(Operand::Literal(Literal::Number(-n))),
                _ => Err(self.err(e, "minus applies to numbers only")),
            },
            A::UnaryOp { op: UnaryOperator::Plus, expr } => self.operand(expr),
            other => Err(self.err(other, format!("'{other}' is not a field or a constant (arithmetic and functions are not supported)"))),
        }
    }

    fn lookup(&self, e: &ast::Expr, name: &str) -> Result<usize, ExprError> {
        if let Some(i) = self.fields.iter().position(|f| f.name == name) {
            return Ok(i);
        }
        let folded = name.to_lowercase();
        let matches: Vec<usize> = (0..self.fields.len())
            .filter(|&i| self.fields[i].name.to_lowercase() == folded)
            .collect();
        if let [one] = matches.as_slice() {
            return Ok(*one);
        }
        let known: Vec<String> = self
            .fields
            .iter()
            .take(12)
            .map(|f| format!("\"{}\"", f.name))
            .collect();
        let more = if self.fields.len() > 12 { ", …" } else { "" };
        Err(self.err(
            e,
            format!("no field \"{name}\" (fields: {}{more})", known.join(", ")),
        ))
    }

    fn check_type(&self, at: &ast::Expr, field: usize, value: &Literal) -> Result<(), ExprError> {
        let f = &self.fields[field];
        let ok = match value {
            Literal::Number(_) => numeric(f.field_type),
            Literal::Text(_) => !numeric(f.field_type) && f.field_type != FieldType::Bool,
            Literal::Bool(_) => f.field_type == FieldType::Bool,
        };
        if ok {
            return Ok(());
        }
        let (what, hint) = match value {
            Literal::Number(n) => (
                format!("the number {n}"),
                format!("; to compare as text write '{n}'"),
            ),
            Literal::Text(t) => (
                format!("the text '{t}'"),
                if t.parse::<f64>().is_ok() {
                    format!("; to compare as a number write {t}")
                } else {
                    String::new()
                },
            ),
            Literal::Bool(b) => (format!("{b}"), String::new()),
        };
        Err(self.err(
            at,
            format!(
                "\"{}\" is {} and cannot be compared with {what}{hint}",
                f.name,
                type_name(f.field_type)
            ),
        ))
    }
}

fn numeric(t: FieldType) -> bool {
    matches!(t, FieldType::Int | FieldType::Float)
}

fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::Bool => "a boolean field",
        FieldType::Int => "an integer field",
        FieldType::Float => "a number field",
        FieldType::Text => "a text field",
        FieldType::Date => "a date field",
        FieldType::Json => "a JSON field",
    }
}

fn compile_like(pattern: &str, escape: Option<char>) -> Vec<LikeToken> {
    let mut out = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            c if Some(c) == escape => LikeToken::Char(chars.next().unwrap_or(c)),
            '%' => LikeToken::AnyMany,
            '_' => LikeToken::AnyOne,
            c => LikeToken::Char(c),
        });
    }
    out
}

/// LIKE matching with backtracking on the last '%' (linear in practice).
fn like_matches(pattern: &[LikeToken], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(LikeToken::AnyMany) => {
                star = Some((p, t));
                p += 1;
            }
            Some(LikeToken::AnyOne) => {
                p += 1;
                t += 1;
            }
            Some(LikeToken::Char(c)) if *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|tok| *tok == LikeToken::AnyMany)
}

fn compare(value: &Value, literal: &Literal) -> Option<std::cmp::Ordering> {
    match literal {
        Literal::Number(n) => value.as_f64()?.partial_cmp(n),
        Literal::Text(s) => Some(value.as_str()?.cmp(s.as_str())),
        Literal::Bool(b) => match value {
            Value::Bool(v) => Some(v.cmp(b)),
            _ => None,
        },
    }
}

fn compare_values(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y),
        _ => Some(a.as_str()?.cmp(b.as_str()?)),
    }
}

impl Expr {
    /// SQL three-valued evaluation: `None` is unknown.
    pub fn eval(&self, values: &[Value]) -> Option<bool> {
        let get = |i: usize| values.get(i).unwrap_or(&Value::Null);
        match self {
            Expr::And(a, b) => match (a.eval(values), b.eval(values)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Expr::Or(a, b) => match (a.eval(values), b.eval(values)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Expr::Not(a) => a.eval(values).map(|v| !v),
            Expr::Compare { field, op, value } => compare(get(*field), value).map(|o| op.test(o)),
            Expr::CompareFields { left, op, right } => {
                compare_values(get(*left), get(*right)).map(|o| op.test(o))
            }
            Expr::Like {
                field,
                pattern,
                negated,
                ignore_case,
            } => {
                let s = get(*field).as_str()?;
                let chars: Vec<char> = if *ignore_case {
                    s.to_lowercase().chars().collect()
                } else {
                    s.chars().collect()
                };
                Some(like_matches(pattern, &chars) != *negated)
            }
            Expr::In {
                field,
                values: list,
                negated,
            } => {
                let v = get(*field);
                if v.is_null() {
                    return None;
                }
                let found = list
                    .iter()
                    .any(|l| compare(v, l) == Some(std::cmp::Ordering::Equal));
                Some(found != *negated)
            }
            Expr::Between {
                field,
                low,
                high,
                negated,
            } => {
                let v = get(*field);
                let lo = compare(v, low)?;
                let hi = compare(v, high)?;
                Some((lo.is_ge() && hi.is_le()) != *negated)
            }
            Expr::IsNull { field, negated } => Some(get(*field).is_null() != *negated),
            Expr::Const(c) => *c,
        }
    }

    /// Whether a feature passes (the expression is true, not unknown).
    pub fn matches(&self, values: &[Value]) -> bool {
        self.eval(values) == Some(true)
    }

    /// The columns the expression reads.
    pub fn fields_used(&self, out: &mut Vec<usize>) {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.fields_used(out);
                b.fields_used(out);
            }
            Expr::Not(a) => a.fields_used(out),
            Expr::Compare { field, .. }
            | Expr::Like { field, .. }
            | Expr::In { field, .. }
            | Expr::Between { field, .. }
            | Expr::IsNull { field, .. } => out.push(*field),
            Expr::CompareFields { left, right, .. } => out.extend([*left, *right]),
            Expr::Const(_) => {}
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Fields of the unit tests, Japanese names among them.
    pub(crate) fn fields() -> Vec<Field> {
        let f = |name: &str, field_type| Field {
            name: name.into(),
            field_type,
        };
        vec![
            f("名称", FieldType::Text),
            f("面積", FieldType::Float),
            f("year", FieldType::Int),
            f("用途地域", FieldType::Text),
            f("ok", FieldType::Bool),
        ]
    }

    fn row(name: &str, area: Option<f64>, year: Option<i64>, zone: Option<&str>) -> Vec<Value> {
        vec![
            Value::Text(name.into()),
            area.map_or(Value::Null, Value::Float),
            year.map_or(Value::Null, Value::Int),
            zone.map_or(Value::Null, |z| Value::Text(z.into())),
            Value::Bool(true),
        ]
    }

    fn check(expr: &str, values: &[Value]) -> bool {
        parse(expr, &fields())
            .unwrap_or_else(|e| panic!("{e}"))
            .matches(values)
    }

    #[test]
    fn and_terms_say_which_conditions_a_row_misses() {
        let row = [
            Value::Text("日野工場".into()),
            Value::Float(800.0),
            Value::Int(1990),
            Value::Null,
            Value::Bool(true),
        ];
        let failing = |text: &str| -> Vec<String> {
            and_terms(text, &fields())
                .into_iter()
                .filter(|(_, e)| e.eval(&row) != Some(true))
                .map(|(t, _)| t)
                .collect()
        };
        let text = "面積 >= 1000 AND (year > 1980 AND 用途地域 LIKE '%工業%') AND ok";
        assert_eq!(and_terms(text, &fields()).len(), 4);
        assert_eq!(
            failing(text),
            vec![
                "面積 >= 1000".to_string(),
                "用途地域 LIKE '%工業%'".to_string()
            ]
        );
        assert!(failing("year > 1980").is_empty());
        assert!(and_terms("not sql (", &fields()).is_empty());
        assert!(and_terms("year > 1 AND nope = 2", &fields()).is_empty());
    }

    #[test]
    fn long_logical_chains_are_refused_before_they_can_overflow_the_stack() {
        let chain = |n: usize| {
            (0..n)
                .map(|i| format!("year = {i}"))
                .collect::<Vec<_>>()
                .join(" OR ")
        };
        let ok = parse(&chain(200), &fields()).unwrap();
        assert_eq!(
            ok.eval(&[
                Value::Null,
                Value::Null,
                Value::Int(150),
                Value::Null,
                Value::Null
            ]),
            Some(true)
        );
        let e = parse(&chain(20_000), &fields()).unwrap_err();
        assert!(e.message.contains("at most 256"), "{}", e.message);
        let nots = format!("{}ok", "NOT ".repeat(300));
        assert!(parse(&nots, &fields()).is_err());
    }

    #[test]
    fn comparisons_like_in_between_null() {
        let r = row("日野工場", Some(1500.0), Some(1985), Some("工業地域"));
        assert!(check("\"面積\" >= 1000 AND \"用途地域\" = '工業地域'", &r));
        assert!(check("1000 < 面積", &r));
        assert!(check("\"名称\" LIKE '日野%'", &r));
        assert!(check("\"名称\" LIKE '__工場'", &r));
        assert!(!check("\"名称\" LIKE '日野'", &r));
        assert!(check("\"用途地域\" IN ('工業地域', '工業専用地域')", &r));
        assert!(check("year BETWEEN 1980 AND 1990", &r));
        assert!(check("year NOT BETWEEN 1990 AND 2000", &r));
        assert!(check("\"用途地域\" IS NOT NULL", &r));
        assert!(check("ok", &r));
        assert!(check("NOT (year < 1900 OR 面積 > 1e6)", &r));
        assert!(check("\"名称\" <> 'x' AND year != 1", &r));
        assert!(check("year > -5", &r));
    }

    #[test]
    fn nulls_follow_three_valued_logic() {
        let r = row("x", None, None, None);
        assert!(!check("\"面積\" > 0", &r));
        assert!(!check("NOT (\"面積\" > 0)", &r), "NOT unknown is unknown");
        assert!(check("\"面積\" > 0 OR \"名称\" = 'x'", &r));
        assert!(!check("\"用途地域\" NOT IN ('工業地域')", &r));
        assert!(check("\"用途地域\" IS NULL", &r));
    }

    #[test]
    fn like_and_ilike_case() {
        let f = vec![Field {
            name: "name".into(),
            field_type: FieldType::Text,
        }];
        let r = vec![Value::Text("Hino Plant".into())];
        let m = |e: &str| parse(e, &f).unwrap().matches(&r);
        assert!(!m("name LIKE 'hino%'"));
        assert!(m("name ILIKE 'hino%'"));
        assert!(m("name LIKE '%Pl_nt'"));
        assert!(m("name NOT LIKE '%x%'"));
        assert!(m("name LIKE '%'"));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = |expr: &str| parse(expr, &fields()).unwrap_err().to_string();
        let m = e("\"面積\" = 'large'");
        assert!(
            m.contains("\"面積\" is a number field") && m.contains("column 8"),
            "{m}"
        );
        let m = e("\"用途\" = '工業'");
        assert!(
            m.contains("no field \"用途\"") && m.contains("用途地域"),
            "{m}"
        );
        assert!(e("year >").contains("Expected"), "{}", e("year >"));
        assert!(e("year > 1 garbage").contains("unexpected"));
        assert!(e("year + 1 > 2").contains("not supported"));
        assert!(e("\"名称\" = 12").contains("write '12'"));
        assert!(e("year LIKE '19%'").contains("LIKE needs a text field"));
        assert!(e("year = NULL").contains("IS NULL"));
        let deep = format!("{}year = 1{}", "(".repeat(500), ")".repeat(500));
        assert!(parse(&deep, &fields()).is_err());
    }

    #[test]
    fn case_insensitive_field_fallback() {
        assert!(check("YEAR = 1985", &row("x", None, Some(1985), None)));
    }
}
