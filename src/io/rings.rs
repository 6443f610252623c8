//! Grouping a flat list of rings into polygons with holes, as Shapefile (and MultiPatch) store
//! them: outer rings clockwise, holes counter-clockwise, each hole inside one outer ring.

use geo::{Area, BoundingRect, Contains};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};

/// Polygons from rings. Each hole goes to the smallest outer ring that contains it. Real files
/// break the winding rule: when no ring is clockwise, rings are classified by how many other
/// rings contain them (even depth = outer). Rings with fewer than 3 distinct points are dropped;
/// unclosed rings are closed. Notes say what was repaired.
pub fn assemble(rings: Vec<Vec<Coord<f64>>>, notes: &mut Vec<String>) -> Option<Geometry<f64>> {
    // NaN or infinite coordinates: nothing can be grouped (NaN never equals itself, so such a
    // ring cannot even be closed). Keep the rings as they are; the layer's geometry checks drop
    // the geometry with a warning.
    if rings
        .iter()
        .flatten()
        .any(|c| !(c.x.is_finite() && c.y.is_finite()))
    {
        let polygons = rings
            .into_iter()
            .map(|r| Polygon::new(LineString::new(r), vec![]))
            .collect();
        return Some(MultiPolygon::new(polygons).into());
    }
    let mut clean: Vec<LineString<f64>> = Vec::with_capacity(rings.len());
    for (i, mut ring) in rings.into_iter().enumerate() {
        ring.dedup();
        if ring.first() != ring.last()
            && let Some(&first) = ring.first()
        {
            ring.push(first);
            notes.push(format!("ring {i} was not closed; closed it"));
        }
        if ring.len() < 4 {
            notes.push(format!(
                "ring {i} has fewer than 3 distinct points; dropped"
            ));
            continue;
        }
        clean.push(LineString::new(ring));
    }
    if clean.is_empty() {
        return None;
    }
    if clean.len() == 1 {
        let exterior = clean.pop()?;
        return Some(Polygon::new(exterior, vec![]).into());
    }

    let signed: Vec<f64> = clean
        .iter()
        .map(|r| Polygon::new(r.clone(), vec![]).signed_area())
        .collect();
    let any_clockwise = signed.iter().any(|a| *a < 0.0);
    let is_outer: Vec<bool> = if any_clockwise {
        signed.iter().map(|a| *a < 0.0).collect()
    } else {
        // Containment depth: a ring inside an odd number of others is a hole.
        let shells: Vec<Polygon<f64>> = clean
            .iter()
            .map(|r| Polygon::new(r.clone(), vec![]))
            .collect();
        (0..clean.len())
            .map(|i| {
                let probe = Point::from(clean[i].0[0]);
                let depth = (0..clean.len())
                    .filter(|&j| j != i && shells[j].contains(&probe))
                    .count();
                depth % 2 == 0
            })
            .collect()
    };

    let mut outers: Vec<(Polygon<f64>, f64)> = Vec::new();
    let mut holes: Vec<LineString<f64>> = Vec::new();
    for ((ring, outer), area) in clean.into_iter().zip(is_outer).zip(signed) {
        if outer {
            outers.push((Polygon::new(ring, vec![]), area.abs()));
        } else {
            holes.push(ring);
        }
    }
    let mut interiors: Vec<Vec<LineString<f64>>> = vec![Vec::new(); outers.len()];
    for hole in holes {
        let container = hole.0.iter().find_map(|c| {
            let p = Point::from(*c);
            outers
                .iter()
                .enumerate()
                .filter(|(_, (o, _))| {
                    o.bounding_rect().is_some_and(|r| r.contains(&p)) && o.contains(&p)
                })
                .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
                .map(|(k, _)| k)
        });
        match container {
            Some(k) => interiors[k].push(hole),
            None => {
                notes.push("a hole lies in no outer ring; kept as a polygon of its own".into());
                let area = Polygon::new(hole.clone(), vec![]).unsigned_area();
                outers.push((Polygon::new(hole, vec![]), area));
                interiors.push(Vec::new());
            }
        }
    }
    let mut polygons: Vec<Polygon<f64>> = outers
        .into_iter()
        .zip(interiors)
        .map(|((outer, _), inner)| Polygon::new(outer.into_inner().0, inner))
        .collect();
    if polygons.len() == 1 {
        polygons.pop().map(Geometry::Polygon)
    } else {
        Some(MultiPolygon::new(polygons).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, size: f64, clockwise: bool) -> Vec<Coord<f64>> {
        let mut ring = vec![
            Coord { x: x0, y: y0 },
            Coord {
                x: x0 + size,
                y: y0,
            },
            Coord {
                x: x0 + size,
                y: y0 + size,
            },
            Coord {
                x: x0,
                y: y0 + size,
            },
            Coord { x: x0, y: y0 },
        ];
        if clockwise {
            ring.reverse();
        }
        ring
    }

    #[test]
    fn holes_go_to_the_outer_ring_that_contains_them() {
        let mut notes = Vec::new();
        // Two outers (clockwise); the hole (counter-clockwise) listed first lies in the second.
        let rings = vec![
            square(21.0, 1.0, 2.0, false),
            square(0.0, 0.0, 10.0, true),
            square(20.0, 0.0, 10.0, true),
        ];
        let Some(Geometry::MultiPolygon(mp)) = assemble(rings, &mut notes) else {
            panic!()
        };
        assert_eq!(mp.0.len(), 2);
        assert_eq!(mp.0[0].interiors().len(), 0);
        assert_eq!(mp.0[1].interiors().len(), 1);
        assert!(notes.is_empty());
    }

    #[test]
    fn wrong_winding_falls_back_to_containment() {
        let mut notes = Vec::new();
        let rings = vec![square(0.0, 0.0, 10.0, false), square(2.0, 2.0, 2.0, false)];
        let Some(Geometry::Polygon(p)) = assemble(rings, &mut notes) else {
            panic!()
        };
        assert_eq!(p.interiors().len(), 1);
    }

    #[test]
    fn degenerate_and_unclosed_rings_are_repaired_or_dropped() {
        let mut notes = Vec::new();
        let mut open = square(0.0, 0.0, 1.0, true);
        open.pop();
        let degenerate = vec![
            Coord { x: 5.0, y: 5.0 },
            Coord { x: 6.0, y: 6.0 },
            Coord { x: 5.0, y: 5.0 },
        ];
        let Some(Geometry::Polygon(_)) = assemble(vec![open, degenerate], &mut notes) else {
            panic!()
        };
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}
