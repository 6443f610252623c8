//! The distribution of a numeric field, for the filter panel's range condition: its values
//! sorted (a range is counted exactly) and binned (the bars drawn).

use crate::model::Layer;

/// The distribution of a numeric field: its values sorted (to count a range exactly) and binned.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub sorted: Vec<f64>,
    pub min: f64,
    pub max: f64,
    pub bins: Vec<usize>,
}

impl Histogram {
    /// The field's finite numeric values in `bins` equal bins; `None` when it has none.
    pub fn of(layer: &Layer, field: usize, bins: usize) -> Option<Histogram> {
        let mut sorted: Vec<f64> = layer
            .features
            .iter()
            .filter_map(|f| f.values.get(field)?.as_f64())
            .filter(|x| x.is_finite())
            .collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_unstable_by(f64::total_cmp);
        let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
        let n = bins.max(1);
        let mut counts = vec![0; n];
        for &x in &sorted {
            counts[Self::bin_of(x, min, max, n)] += 1;
        }
        Some(Histogram {
            sorted,
            min,
            max,
            bins: counts,
        })
    }

    fn bin_of(x: f64, min: f64, max: f64, n: usize) -> usize {
        if max <= min {
            return 0;
        }
        (((x - min) / (max - min) * n as f64) as usize).min(n - 1)
    }

    /// Width of one bin.
    pub fn bin_width(&self) -> f64 {
        ((self.max - self.min) / self.bins.len() as f64).max(f64::MIN_POSITIVE)
    }

    /// Values from `lo` to `hi`, both included.
    pub fn count_in(&self, lo: f64, hi: f64) -> usize {
        let from = self.sorted.partition_point(|&x| x < lo);
        let to = self.sorted.partition_point(|&x| x <= hi);
        to.saturating_sub(from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Feature, Field, FieldType, Value};

    #[test]
    fn histogram_bins_every_value_and_counts_ranges_exactly() {
        let fields = vec![Field {
            name: "year".into(),
            field_type: FieldType::Int,
        }];
        let years = [1950, 1960, 1960, 1975, 1990, 2000, 2020];
        let features = years
            .iter()
            .enumerate()
            .map(|(i, &y)| Feature {
                record: i as u64,
                geometry: None,
                z: None,
                values: vec![Value::Int(y)],
            })
            .chain(std::iter::once(Feature {
                record: 99,
                geometry: None,
                z: None,
                values: vec![Value::Null],
            }))
            .collect();
        let layer = super::super::filter_panel::tests::test_layer(fields, features);
        let h = Histogram::of(&layer, 0, 7).unwrap();
        assert_eq!((h.min, h.max), (1950.0, 2020.0));
        assert_eq!(h.bins.iter().sum::<usize>(), 7, "the null is left out");
        assert_eq!(h.bins[0], 1);
        assert_eq!(h.bins[1], 2, "1960 twice");
        assert_eq!(h.bins[6], 1, "the maximum falls in the last bin");
        assert_eq!(h.count_in(1960.0, 1990.0), 4);
        assert_eq!(h.count_in(1961.0, 1974.0), 0);
        assert_eq!(h.count_in(0.0, 3000.0), 7);
    }
}
