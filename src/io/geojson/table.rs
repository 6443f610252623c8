//! Features whose property sets differ, collected into one table: columns in order of first
//! appearance, missing values null, types unified over the column.
//!
//! Features are read on every core; this part is sequential, so a feature that has the common
//! property names (those of the first feature, in that order: most files) costs one move here.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::model::{Feature, Field, FieldType, Value, Warning};

/// One feature read, before it has its place in the table.
pub(super) struct Prepared<'a> {
    /// `values` are in the order of the feature's own property names.
    pub feature: Feature,
    /// What most features lack; boxed to keep the common case small.
    pub unusual: Option<Box<Unusual<'a>>>,
}

/// The rarer parts of a feature read.
pub(super) struct Unusual<'a> {
    /// Property names, when they are not the common ones.
    pub keys: Option<Vec<Cow<'a, str>>>,
    /// A non-null feature id.
    pub id: Option<Value>,
    /// Repairs made while converting the geometry.
    pub notes: Vec<String>,
}

/// What became of one record: a feature, nothing (outside the bbox hint), or the warning that
/// says why it was skipped.
pub(super) type Outcome<'a> = Result<Option<Prepared<'a>>, String>;

/// Builds the table from the outcomes in record order; warnings are added in that order.
pub(super) fn build<'a>(
    common: &[Cow<'a, str>],
    outcomes: Vec<Outcome<'a>>,
    warnings: &mut Vec<Warning>,
) -> (Vec<Field>, Vec<Feature>) {
    let mut builder = Builder {
        common,
        ..Builder::default()
    };
    // Into the allocation of `outcomes` (std collects in place): no second vector of features.
    let features: Vec<Feature> = outcomes
        .into_iter()
        .enumerate()
        .filter_map(|(record, outcome)| match outcome {
            Ok(Some(p)) => Some(builder.place(p, warnings)),
            Ok(None) => None,
            Err(e) => {
                warnings.push(Warning::record(record as u64, e));
                None
            }
        })
        .collect();
    builder.finish(features)
}

/// The table built a chunk at a time, for a file read in pieces: features placed as they come,
/// the columns and their types as they stand so far.
pub(super) struct Columns<'c> {
    builder: Builder<'c, 'static>,
}

impl<'c> Columns<'c> {
    pub fn new(common: &'c [Cow<'static, str>]) -> Self {
        Columns {
            builder: Builder {
                common,
                ..Builder::default()
            },
        }
    }

    /// Places one feature (its values in column order, as wide as the columns so far).
    pub fn place(&mut self, p: Prepared<'static>, warnings: &mut Vec<Warning>) -> Feature {
        self.builder.place(p, warnings)
    }

    pub fn width(&self) -> usize {
        self.builder.names.len()
    }

    /// The columns so far, with the types their values have had (a column of nulls is text).
    pub fn fields(&self) -> Vec<Field> {
        fields_of(&self.builder.names, &self.builder.types)
    }
}

/// Fields from column names and their unified types.
fn fields_of(names: &[String], types: &[Option<FieldType>]) -> Vec<Field> {
    names
        .iter()
        .zip(types)
        .map(|(name, t)| Field {
            name: name.clone(),
            // A column of nulls is text.
            field_type: t.unwrap_or(FieldType::Text),
        })
        .collect()
}

/// Where the values of one set of property names go.
#[derive(Default)]
struct Layout {
    columns: Vec<usize>,
    /// `columns` is 0, 1, 2, …: values are already in column order.
    in_order: bool,
}

#[derive(Default)]
struct Builder<'c, 'a> {
    names: Vec<String>,
    columns: HashMap<String, usize>,
    /// Unified type of each column so far; `None` while it has only nulls.
    types: Vec<Option<FieldType>>,
    has_id: bool,
    common: &'c [Cow<'a, str>],
    /// Made when the first feature with the common names is placed (not before: that feature
    /// may come after others, whose names come first).
    common_layout: Option<Layout>,
    /// The last uncommon names seen and their layout: they tend to repeat too.
    last_keys: Vec<Cow<'a, str>>,
    last_layout: Layout,
}

impl<'a> Builder<'_, 'a> {
    fn column(&mut self, name: &str) -> usize {
        if let Some(&c) = self.columns.get(name) {
            return c;
        }
        self.names.push(name.to_string());
        self.types.push(None);
        self.columns.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    fn layout(&mut self, keys: &[Cow<'_, str>]) -> Layout {
        let columns: Vec<usize> = keys.iter().map(|k| self.column(k)).collect();
        let in_order = columns.iter().enumerate().all(|(i, &c)| i == c);
        Layout { columns, in_order }
    }

    fn place(&mut self, p: Prepared<'a>, warnings: &mut Vec<Warning>) -> Feature {
        let Prepared {
            mut feature,
            unusual,
        } = p;
        let (keys, id) = match unusual.map(|u| *u) {
            Some(Unusual { keys, id, notes }) => {
                for note in notes {
                    warnings.push(Warning::record(feature.record, note));
                }
                (keys, id)
            }
            None => (None, None),
        };
        let layout = match keys {
            None => {
                if self.common_layout.is_none() {
                    let common = self.common;
                    self.common_layout = Some(self.layout(common));
                }
                self.common_layout.as_ref()
            }
            Some(keys) => {
                if keys != self.last_keys {
                    self.last_layout = self.layout(&keys);
                    self.last_keys = keys;
                }
                Some(&self.last_layout)
            }
        };
        if let Some(layout) = layout.filter(|l| !l.in_order) {
            // A repeated name: its last value wins, in the place of its first (as a map did).
            let mut values = vec![Value::Null; self.names.len()];
            for (&c, value) in layout.columns.iter().zip(feature.values.drain(..)) {
                values[c] = value;
            }
            feature.values = values;
        }
        // A feature id becomes the field "id" unless a property has that name (as GDAL does).
        if let Some(id) = id
            && (!self.columns.contains_key("id") || self.has_id)
        {
            self.has_id = true;
            let c = self.column("id");
            let values = &mut feature.values;
            if c >= values.len() {
                values.resize(c + 1, Value::Null);
            }
            if values[c].is_null() {
                values[c] = id;
            }
        }
        for (t, value) in self.types.iter_mut().zip(&feature.values) {
            if let Some(v) = value.field_type() {
                *t = Some(t.map_or(v, |t| t.unify(v)));
            }
        }
        feature
    }

    fn finish(self, mut features: Vec<Feature>) -> (Vec<Field>, Vec<Feature>) {
        let width = self.names.len();
        for f in &mut features {
            f.values.resize(width, Value::Null);
        }
        (fields_of(&self.names, &self.types), features)
    }
}
