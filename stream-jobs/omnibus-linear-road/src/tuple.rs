//! Linear Road input tuples and their text format: 15 comma-separated
//! integers `Type,Time,VID,Spd,XWay,Lane,Dir,Seg,Pos,QID,S_init,S_end,DOW,TOD,Day`.

use serde::{Deserialize, Serialize};

/// The exit lane: a car there is leaving the expressway and is not tolled.
pub const EXIT_LANE: u8 = 4;

/// A type-0 position report, emitted by every car every 30 s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PositionReport {
    /// Seconds since the start of the run (the benchmark runs 0–10,799;
    /// up to 86,400 is accepted).
    pub time: u32,
    /// Vehicle id.
    pub vid: u32,
    /// Speed, miles per hour (the benchmark's 0–100; up to 200 is accepted).
    pub speed: u32,
    /// Expressway (0–L−1).
    pub xway: u32,
    /// Lane: 0 entrance, 1–3 travel, 4 exit.
    pub lane: u8,
    /// Direction: 0 eastbound, 1 westbound.
    pub dir: u8,
    /// Segment (0–99), a mile each.
    pub seg: u32,
    /// Position in feet from the western end (0–527,999).
    pub pos: u32,
}

impl PositionReport {
    /// The benchmark's minute of this report: `Time / 60 + 1`.
    pub fn minute(&self) -> u32 {
        self.time / 60 + 1
    }
}

/// One input tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tuple {
    /// Type 0.
    Position(PositionReport),
    /// Type 2: a car asks for its account balance.
    Balance {
        /// When asked.
        time: u32,
        /// Who asks.
        vid: u32,
        /// Query id.
        qid: u32,
    },
    /// Type 3: a car asks what it spent on one expressway on one earlier day.
    DailyExpenditure {
        /// When asked.
        time: u32,
        /// Who asks.
        vid: u32,
        /// Expressway.
        xway: u32,
        /// Query id.
        qid: u32,
        /// Day (1 = yesterday … 69).
        day: u32,
    },
    /// Type 4: a travel-time estimate request.
    TravelTime {
        /// When asked.
        time: u32,
        /// Who asks.
        vid: u32,
        /// Expressway.
        xway: u32,
        /// Query id.
        qid: u32,
        /// From segment.
        s_init: u32,
        /// To segment.
        s_end: u32,
        /// Day of week.
        dow: u32,
        /// Minute of day.
        tod: u32,
    },
}

impl Tuple {
    /// The tuple's time, seconds.
    pub fn time(&self) -> u32 {
        match self {
            Tuple::Position(p) => p.time,
            Tuple::Balance { time, .. }
            | Tuple::DailyExpenditure { time, .. }
            | Tuple::TravelTime { time, .. } => *time,
        }
    }
}

/// A malformed line, with where it is and which field is at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {field}: {reason}")]
pub struct ParseError {
    /// The file (or other source) name.
    pub source_name: String,
    /// 1-based line number.
    pub line: usize,
    /// The field at fault.
    pub field: &'static str,
    /// Why.
    pub reason: String,
}

/// Names of the 15 fields of an input tuple, in order.
pub const FIELDS: [&str; 15] = [
    "Type", "Time", "VID", "Spd", "XWay", "Lane", "Dir", "Seg", "Pos", "QID", "S_init", "S_end", "DOW",
    "TOD", "Day",
];

/// Builds a tuple from its 15 fields (unused ones are ignored), checking each
/// field the tuple's type uses; an error names the field and why.
pub fn from_fields(v: &[i64; 15]) -> Result<Tuple, (&'static str, String)> {
    let get = |i: usize, max: i64| -> Result<u32, (&'static str, String)> {
        if (0..=max).contains(&v[i]) {
            Ok(v[i] as u32)
        } else {
            Err((FIELDS[i], format!("{} is outside 0..={max}", v[i])))
        }
    };
    let time = get(1, 86_400)?;
    let vid = get(2, i64::from(u32::MAX))?;
    match v[0] {
        0 => {
            let p = PositionReport {
                time,
                vid,
                speed: get(3, 200)?,
                xway: get(4, 1_024)?,
                lane: get(5, 4)? as u8,
                dir: get(6, 1)? as u8,
                seg: get(7, 99)?,
                pos: get(8, 527_999)?,
            };
            Ok(Tuple::Position(p))
        }
        2 => Ok(Tuple::Balance { time, vid, qid: get(9, i64::from(u32::MAX))? }),
        3 => Ok(Tuple::DailyExpenditure {
            time,
            vid,
            xway: get(4, 1_024)?,
            qid: get(9, i64::from(u32::MAX))?,
            day: get(14, 69)?,
        }),
        4 => Ok(Tuple::TravelTime {
            time,
            vid,
            xway: get(4, 1_024)?,
            qid: get(9, i64::from(u32::MAX))?,
            s_init: get(10, 99)?,
            s_end: get(11, 99)?,
            dow: match get(12, 7)? {
                0 => return Err(("DOW", "0 is not a day of the week (1–7)".into())),
                d => d,
            },
            tod: get(13, 1_440)?,
        }),
        t => Err(("Type", format!("{t} is not a tuple type (0, 2, 3 or 4)"))),
    }
}

/// Parses one line; `source_name` and `line` only label errors.
pub fn parse_line(text: &str, source_name: &str, line: usize) -> Result<Tuple, ParseError> {
    let err = |field: &'static str, reason: String| ParseError {
        source_name: source_name.to_owned(),
        line,
        field,
        reason,
    };
    let parts: Vec<&str> = text.trim().split(',').collect();
    if parts.len() != FIELDS.len() {
        return Err(err("line", format!("{} fields; expected 15 ({})", parts.len(), FIELDS.join(","))));
    }
    let mut v = [0i64; 15];
    for (i, p) in parts.iter().enumerate() {
        v[i] = p.trim().parse().map_err(|_| err(FIELDS[i], format!("{p:?} is not an integer")))?;
    }
    from_fields(&v).map_err(|(field, reason)| err(field, reason))
}

/// Parses a whole input; blank lines are skipped.
pub fn parse(text: &str, source_name: &str) -> Result<Vec<Tuple>, ParseError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| parse_line(l, source_name, i + 1))
        .collect()
}

/// One row of the historical-tolls table: VID, Day, XWay, Toll.
pub type HistoryRow = (u32, u32, u32, u32);

/// The historical-tolls table for type-3 queries: `VID,Day,XWay,Toll` lines.
pub fn parse_history(text: &str, source_name: &str) -> Result<Vec<HistoryRow>, ParseError> {
    let all = 0..=u32::MAX;
    let rows = parse_rows(text, source_name, ["VID", "Day", "XWay", "Toll"], [(); 4].map(|_| all.clone()))?;
    Ok(rows.into_iter().map(|v| (v[0], v[1], v[2], v[3])).collect())
}

/// Lines of `N` comma-separated whole numbers named `names`, each within its
/// range; blank lines are skipped. Errors name the source, line and field.
pub(crate) fn parse_rows<const N: usize>(
    text: &str,
    source_name: &str,
    names: [&'static str; N],
    ranges: [std::ops::RangeInclusive<u32>; N],
) -> Result<Vec<[u32; N]>, ParseError> {
    let mut rows = Vec::new();
    for (i, l) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let err = |field: &'static str, reason: String| ParseError {
            source_name: source_name.to_owned(),
            line: i + 1,
            field,
            reason,
        };
        let parts: Vec<&str> = l.trim().split(',').collect();
        if parts.len() != N {
            return Err(err("line", format!("{} fields; expected {N} ({})", parts.len(), names.join(","))));
        }
        let mut v = [0u32; N];
        for (k, p) in parts.iter().enumerate() {
            v[k] = p
                .trim()
                .parse()
                .map_err(|_| err(names[k], format!("{p:?} is not a non-negative integer")))?;
            if !ranges[k].contains(&v[k]) {
                return Err(err(names[k], format!("{} is out of range", v[k])));
            }
        }
        rows.push(v);
    }
    Ok(rows)
}

impl Tuple {
    /// The tuple's 15 fields, in the benchmark's order (unused ones −1): the
    /// inverse of [`from_fields`].
    pub fn to_fields(&self) -> [i64; 15] {
        let mut f = [-1i64; 15];
        match *self {
            Tuple::Position(p) => {
                f[0] = 0;
                f[1] = i64::from(p.time);
                f[2] = i64::from(p.vid);
                f[3] = i64::from(p.speed);
                f[4] = i64::from(p.xway);
                f[5] = i64::from(p.lane);
                f[6] = i64::from(p.dir);
                f[7] = i64::from(p.seg);
                f[8] = i64::from(p.pos);
            }
            Tuple::Balance { time, vid, qid } => {
                f[0] = 2;
                f[1] = i64::from(time);
                f[2] = i64::from(vid);
                f[9] = i64::from(qid);
            }
            Tuple::DailyExpenditure { time, vid, xway, qid, day } => {
                f[0] = 3;
                f[1] = i64::from(time);
                f[2] = i64::from(vid);
                f[4] = i64::from(xway);
                f[9] = i64::from(qid);
                f[14] = i64::from(day);
            }
            Tuple::TravelTime { time, vid, xway, qid, s_init, s_end, dow, tod } => {
                f[0] = 4;
                f[1] = i64::from(time);
                f[2] = i64::from(vid);
                f[4] = i64::from(xway);
                f[9] = i64::from(qid);
                f[10] = i64::from(s_init);
                f[11] = i64::from(s_end);
                f[12] = i64::from(dow);
                f[13] = i64::from(tod);
            }
        }
        f
    }
}

/// Writes a tuple in the benchmark's 15-field format (unused fields are −1).
pub fn format_tuple(t: &Tuple) -> String {
    t.to_fields().iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_name_file_line_and_field() {
        let e = parse(
            "0,0,1,30,0,1,0,10,52800,-1,-1,-1,-1,-1,-1\n0,0,1,x,0,1,0,10,52800,-1,-1,-1,-1,-1,-1\n",
            "in.dat",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "in.dat:2: Spd: \"x\" is not an integer");
        let e = parse_line("0,0,1,30,0,1,0,100,100,-1,-1,-1,-1,-1,-1", "in.dat", 7).unwrap_err();
        assert_eq!((e.line, e.field), (7, "Seg"));
        let e = parse_line("0,0,1", "in.dat", 1).unwrap_err();
        assert_eq!(e.field, "line");
        let e = parse_line("9,0,1,30,0,1,0,10,100,-1,-1,-1,-1,-1,-1", "in.dat", 1).unwrap_err();
        assert_eq!(e.field, "Type");
    }
}
