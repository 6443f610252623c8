//! KML positions: the text of `<coordinates>` (tuples `lon,lat[,alt]` in degrees and metres,
//! separated by whitespace) and of `<gx:coord>` (one tuple, `lon lat alt`, separated by spaces).

use geo_types::Coord;

/// Positions read so far, with the altitude of each (NaN where a tuple has none).
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Positions {
    pub xy: Vec<Coord<f64>>,
    pub z: Vec<f64>,
}

impl Positions {
    fn push(&mut self, numbers: &[f64]) {
        self.xy.push(Coord {
            x: numbers[0],
            y: numbers[1],
        });
        self.z.push(numbers.get(2).copied().unwrap_or(f64::NAN));
    }

    /// Appends the first position again when the ring does not end where it starts (KML
    /// requires closed rings; some writers leave the last position out).
    pub fn close_ring(&mut self) -> bool {
        let (Some(&first), Some(&last)) = (self.xy.first(), self.xy.last()) else {
            return false;
        };
        let (z_first, z_last) = (self.z[0], self.z[self.z.len() - 1]);
        let same_z = z_first == z_last || (z_first.is_nan() && z_last.is_nan());
        if self.xy.len() > 1 && (first != last || !same_z) {
            self.xy.push(first);
            self.z.push(z_first);
            return true;
        }
        false
    }
}

/// Appends the positions of a `<coordinates>` text to `out`. Tuples are separated by any XML
/// whitespace; a space beside a comma ("139.4, 35.6", written by hand and by some tools) does not
/// split a tuple. An empty text is no positions. A tuple of one number or more than three, an
/// empty number or one that is not finite is an error naming the tuple; `out` then holds what
/// came before it.
pub(super) fn parse_coordinates(text: &str, out: &mut Positions) -> Result<(), String> {
    let bytes = text.as_bytes();
    let mut numbers = [0.0; 3];
    let mut count = 0;
    // A comma has been read: the tuple goes on with the next number, across whitespace.
    let mut after_comma = false;
    let (mut tuple, mut tuple_start) = (0usize, 0usize);
    let mut at = 0;
    loop {
        while at < bytes.len() && is_xml_space(bytes[at]) {
            at += 1;
        }
        let Some(&b) = bytes.get(at) else { break };
        if b == b',' {
            if count == 0 || after_comma {
                return Err(bad(tuple, &text[tuple_start..=at], "an empty number"));
            }
            after_comma = true;
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && bytes[at] != b',' && !is_xml_space(bytes[at]) {
            at += 1;
        }
        if count > 0 && !after_comma {
            // Only whitespace since the last number: a new tuple.
            finish(&numbers[..count], tuple, &text[tuple_start..start], out)?;
            (tuple, tuple_start, count) = (tuple + 1, start, 0);
        }
        if count == 0 {
            tuple_start = start;
        }
        if count == 3 {
            return Err(bad(
                tuple,
                &text[tuple_start..at],
                "more than three numbers",
            ));
        }
        numbers[count] =
            number(&text[start..at]).map_err(|why| bad(tuple, &text[tuple_start..at], &why))?;
        count += 1;
        after_comma = false;
    }
    if after_comma {
        return Err(bad(
            tuple,
            &text[tuple_start..],
            "the text ends with a comma",
        ));
    }
    if count > 0 {
        finish(&numbers[..count], tuple, &text[tuple_start..], out)?;
    }
    Ok(())
}

/// Appends the position of one `<gx:coord>` ("lon lat alt", separated by whitespace).
pub(super) fn parse_track_coord(text: &str, out: &mut Positions) -> Result<(), String> {
    let mut numbers = [0.0; 3];
    let mut count = 0;
    for piece in text
        .split(|c: char| c.is_ascii() && is_xml_space(c as u8))
        .filter(|t| !t.is_empty())
    {
        if count == 3 {
            return Err(format!(
                "gx:coord '{}' has more than three numbers",
                excerpt(text)
            ));
        }
        numbers[count] = number(piece).map_err(|why| format!("gx:coord: {why}"))?;
        count += 1;
    }
    if count < 2 {
        return Err(format!(
            "gx:coord '{}' is not 'lon lat [alt]'",
            excerpt(text)
        ));
    }
    out.push(&numbers[..count]);
    Ok(())
}

fn finish(
    numbers: &[f64],
    tuple: usize,
    tuple_text: &str,
    out: &mut Positions,
) -> Result<(), String> {
    if numbers.len() < 2 {
        return Err(bad(
            tuple,
            tuple_text,
            "one number; a position is lon,lat[,alt]",
        ));
    }
    out.push(numbers);
    Ok(())
}

/// One finite number.
fn number(piece: &str) -> Result<f64, String> {
    if piece.is_empty() {
        return Err("an empty number".into());
    }
    match piece.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("'{}' is not a finite number", excerpt(piece))),
        Err(_) => Err(format!("'{}' is not a number", excerpt(piece))),
    }
}

fn bad(tuple: usize, tuple_text: &str, why: &str) -> String {
    format!(
        "position {} ('{}'): {why}",
        tuple + 1,
        excerpt(tuple_text.trim_end_matches(|c: char| c.is_ascii() && is_xml_space(c as u8)))
    )
}

/// The start of a text for a message (at most 40 characters).
pub(super) fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// XML's whitespace: space, tab, carriage return, line feed.
fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(f64, f64, Option<f64>)>, String> {
        let mut out = Positions::default();
        parse_coordinates(text, &mut out)?;
        Ok(out
            .xy
            .iter()
            .zip(&out.z)
            .map(|(c, &z)| (c.x, c.y, (!z.is_nan()).then_some(z)))
            .collect())
    }

    #[test]
    fn tuples_split_on_any_whitespace_with_or_without_altitude() {
        assert_eq!(
            parse("139.39,35.67\n\t 139.4,35.7,12.5\r\n139.41,35.71,0  ").unwrap(),
            [
                (139.39, 35.67, None),
                (139.4, 35.7, Some(12.5)),
                (139.41, 35.71, Some(0.0))
            ]
        );
        assert_eq!(parse("-1e-3,+2.5E1").unwrap(), [(-0.001, 25.0, None)]);
    }

    #[test]
    fn empty_and_blank_texts_are_no_positions() {
        assert_eq!(parse("").unwrap(), []);
        assert_eq!(parse(" \n\t ").unwrap(), []);
    }

    #[test]
    fn spaces_beside_commas_do_not_split_a_tuple() {
        let want = [(139.4, 35.6, Some(10.0)), (139.5, 35.7, None)];
        assert_eq!(parse("139.4, 35.6, 10 139.5 ,35.7").unwrap(), want);
        assert_eq!(parse("139.4 , 35.6 ,10\n139.5,\n35.7").unwrap(), want);
        assert_eq!(parse("139.4,35.6 , 10 139.5,35.7").unwrap(), want);
    }

    #[test]
    fn malformed_tuples_are_errors_naming_the_position() {
        for (text, says) in [
            ("139.4,35.6 139.5", "position 2 ('139.5'): one number"),
            (
                "139.4,35.6,1,2",
                "position 1 ('139.4,35.6,1,2'): more than three",
            ),
            ("139.4,,35.6", "position 1 ('139.4,,'): an empty number"),
            ("139.4,35.6 x,35.7", "position 2 ('x'): 'x' is not a number"),
            ("NaN,35.6", "'NaN' is not a finite number"),
            ("139.4,inf", "'inf' is not a finite number"),
            ("139.4,35.6,", "('139.4,35.6,'): the text ends with a comma"),
            (",139.4,35.6", "position 1 (','): an empty number"),
            ("139.4;35.6", "not a number"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn long_bad_tokens_are_cut_in_messages() {
        let long = format!("{},35", "9".repeat(500));
        let e = parse(&format!("139,35 {long}x")).unwrap_err();
        assert!(e.len() < 200 && e.contains('…'), "{e}");
    }

    #[test]
    fn rings_are_closed_once() {
        let mut ring = Positions::default();
        parse_coordinates("0,0,1 1,0,1 1,1,1", &mut ring).unwrap();
        assert!(ring.close_ring());
        assert_eq!(ring.xy.len(), 4);
        assert_eq!(ring.xy[3], ring.xy[0]);
        assert_eq!(ring.z[3], 1.0);
        assert!(!ring.close_ring());
        // Same position, different altitude: not closed.
        let mut ring = Positions::default();
        parse_coordinates("0,0,1 1,0 1,1 0,0,2", &mut ring).unwrap();
        assert!(ring.close_ring());
        assert!(!Positions::default().close_ring());
    }

    #[test]
    fn track_coords_are_space_separated() {
        let mut out = Positions::default();
        parse_track_coord(" 139.4 35.6 120 ", &mut out).unwrap();
        parse_track_coord("139.5\t35.7", &mut out).unwrap();
        assert_eq!(out.xy.len(), 2);
        assert_eq!(out.z[0], 120.0);
        assert!(out.z[1].is_nan());
        assert!(parse_track_coord("139.4", &mut out).is_err());
        assert!(parse_track_coord("1 2 3 4", &mut out).is_err());
        assert!(parse_track_coord("139.4,35.6", &mut out).is_err());
    }
}
