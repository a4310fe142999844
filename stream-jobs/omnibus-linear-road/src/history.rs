//! What the benchmark's historical queries read: the tolls each car paid on
//! earlier days (type 3, daily expenditure) and per-segment statistics of
//! earlier weeks (type 4, travel-time estimates).

use crate::tuple::{HistoryRow, ParseError};
use std::collections::HashMap;

/// Speed assumed on a segment with no statistics, mph.
pub const UNKNOWN_SEGMENT_MPH: u32 = 60;

/// Average speed and toll per expressway, direction, segment, day of week and
/// quarter-hour of the day, as recorded before the run. Each expressway with
/// any statistics holds a dense block: four bytes a cell, 134,400 cells.
#[derive(Clone, Default)]
pub struct SegmentHistory {
    xways: u32,
    /// Per expressway, `(LAV + 1, toll)` per cell; LAV + 1 = 0 marks a cell
    /// with no statistics.
    blocks: std::collections::HashMap<u32, Vec<(u8, u16)>>,
}

impl std::fmt::Debug for SegmentHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentHistory").field("xways", &self.xways).finish()
    }
}

impl SegmentHistory {
    /// Quarter-hours in a day.
    pub const QUARTERS: u32 = 96;

    /// Cells per expressway.
    const CELLS: usize = 2 * 100 * 7 * Self::QUARTERS as usize;

    /// No statistics yet, for expressways `0..xways`.
    pub fn new(xways: u32) -> SegmentHistory {
        SegmentHistory { xways, blocks: std::collections::HashMap::new() }
    }

    fn index(&self, xway: u32, dir: u8, seg: u32, dow: u32, quarter: u32) -> Option<usize> {
        let ok =
            xway < self.xways && dir < 2 && seg < 100 && (1..=7).contains(&dow) && quarter < Self::QUARTERS;
        ok.then(|| (((u32::from(dir) * 100 + seg) * 7 + (dow - 1)) * Self::QUARTERS + quarter) as usize)
    }

    /// Records a cell (out-of-range keys are ignored); LAV is capped at 254
    /// mph, the toll at 65,535.
    #[allow(clippy::too_many_arguments)]
    pub fn set(&mut self, xway: u32, dir: u8, seg: u32, dow: u32, quarter: u32, lav: u32, toll: u32) {
        if let Some(i) = self.index(xway, dir, seg, dow, quarter) {
            let block = self.blocks.entry(xway).or_insert_with(|| vec![(0, 0); Self::CELLS]);
            block[i] = (lav.min(254) as u8 + 1, toll.min(u32::from(u16::MAX)) as u16);
        }
    }

    /// `(LAV, toll)` of a cell, if it has statistics.
    pub fn get(&self, xway: u32, dir: u8, seg: u32, dow: u32, quarter: u32) -> Option<(u32, u32)> {
        let (lav, toll) = self.blocks.get(&xway)?[self.index(xway, dir, seg, dow, quarter)?];
        (lav > 0).then(|| (u32::from(lav - 1), u32::from(toll)))
    }

    /// Travel-time estimate (type 4): the seconds and tolls of a trip on
    /// `xway` from the start of segment `s_init` through the end of `s_end`,
    /// leaving at minute `tod` of day `dow` (1–7). Each segment is crossed at
    /// the average speed recorded for the quarter-hour the car is in it
    /// (a mile at LAV mph), and costs the toll recorded there; the clock runs
    /// on across quarter-hours and midnight. Segments with no statistics are
    /// crossed at [`UNKNOWN_SEGMENT_MPH`] and are free.
    pub fn estimate(&self, xway: u32, s_init: u32, s_end: u32, dow: u32, tod: u32) -> (u32, u32) {
        let dir = u8::from(s_end < s_init);
        let path: Box<dyn Iterator<Item = u32>> =
            if dir == 0 { Box::new(s_init..=s_end) } else { Box::new((s_end..=s_init).rev()) };
        let (mut elapsed, mut tolls) = (0u32, 0u32);
        for seg in path {
            let minute = tod + elapsed / 60;
            let day = (dow.max(1) - 1 + minute / 1_440) % 7 + 1;
            let quarter = (minute % 1_440) / 15;
            let (lav, toll) = self.get(xway, dir, seg, day, quarter).unwrap_or((UNKNOWN_SEGMENT_MPH, 0));
            elapsed += 3_600 / lav.max(1);
            tolls += toll;
        }
        (elapsed, tolls)
    }

    /// Writes the history as `XWay,Dir,Seg,DOW,Quarter,LAV,Toll` lines.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for xway in 0..self.xways {
            for dir in 0..2u8 {
                for seg in 0..100 {
                    for dow in 1..=7 {
                        for q in 0..Self::QUARTERS {
                            if let Some((lav, toll)) = self.get(xway, dir, seg, dow, q) {
                                out += &format!("{xway},{dir},{seg},{dow},{q},{lav},{toll}\n");
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Reads `XWay,Dir,Seg,DOW,Quarter,LAV,Toll` lines; errors name the
    /// source, line and field.
    pub fn parse(text: &str, source_name: &str) -> Result<SegmentHistory, ParseError> {
        let rows = crate::tuple::parse_rows(
            text,
            source_name,
            ["XWay", "Dir", "Seg", "DOW", "Quarter", "LAV", "Toll"],
            [0..=1_024, 0..=1, 0..=99, 1..=7, 0..=95, 0..=254, 0..=65_535],
        )?;
        let xways = rows.iter().map(|v| v[0] + 1).max().unwrap_or(0);
        let mut history = SegmentHistory::new(xways);
        for v in rows {
            history.set(v[0], v[1] as u8, v[2], v[3], v[4], v[5], v[6]);
        }
        Ok(history)
    }
}

/// Everything the historical queries read.
#[derive(Clone, Debug, Default)]
pub struct History {
    daily: HashMap<(u32, u32, u32), u64>,
    segments: SegmentHistory,
}

impl History {
    /// History from the historical-tolls table `(VID, Day, XWay, Toll)` and
    /// the segment statistics.
    pub fn new(tolls: &[HistoryRow], segments: SegmentHistory) -> History {
        let mut daily: HashMap<(u32, u32, u32), u64> = HashMap::new();
        for (vid, day, xway, toll) in tolls {
            *daily.entry((*vid, *day, *xway)).or_default() += u64::from(*toll);
        }
        History { daily, segments }
    }

    /// Only the historical tolls.
    pub fn from_tolls(tolls: &[HistoryRow]) -> History {
        History::new(tolls, SegmentHistory::default())
    }

    /// Tolls car `vid` paid on `xway` on `day`.
    pub fn daily(&self, vid: u32, day: u32, xway: u32) -> u64 {
        self.daily.get(&(vid, day, xway)).copied().unwrap_or(0)
    }

    /// The segment statistics.
    pub fn segments(&self) -> &SegmentHistory {
        &self.segments
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trip_is_timed_and_tolled_segment_by_segment_by_hand() {
        let mut h = SegmentHistory::new(1);
        // Eastbound, Tuesday 08:00–08:15: segment 10 at 30 mph toll 8, segment 11 at 20 mph toll 50.
        h.set(0, 0, 10, 2, 32, 30, 8);
        h.set(0, 0, 11, 2, 32, 20, 50);
        // Leaving at 08:00: 120 s + 180 s, 58 in tolls.
        assert_eq!(h.estimate(0, 10, 11, 2, 480), (300, 58));
        // Segment 12 has no statistics: 60 s at 60 mph, free.
        assert_eq!(h.estimate(0, 10, 12, 2, 480), (360, 58));
        // Westbound from 11 to 10 reads direction 1, which is empty.
        assert_eq!(h.estimate(0, 11, 10, 2, 480), (120, 0));
        // Leaving at 08:14: segment 10 in quarter 32 (120 s), then 08:16 is quarter 33 (no data).
        assert_eq!(h.estimate(0, 10, 11, 2, 494), (180, 8));
        // Sunday 23:59 rolls over into Monday.
        h.set(0, 0, 5, 1, 0, 10, 7);
        assert_eq!(h.estimate(0, 4, 5, 7, 1_439), (60 + 360, 7));
    }

    #[test]
    fn text_round_trips_and_errors_name_the_line_and_field() {
        let mut h = SegmentHistory::new(2);
        h.set(1, 1, 99, 7, 95, 44, 1_234);
        h.set(0, 0, 0, 1, 0, 0, 0);
        let text = h.to_text();
        let back = SegmentHistory::parse(&text, "seg.dat").unwrap();
        assert_eq!(back.to_text(), text);
        assert_eq!(back.get(1, 1, 99, 7, 95), Some((44, 1_234)));
        let e = SegmentHistory::parse("0,0,0,1,0,40,0\n0,2,0,1,0,40,0\n", "seg.dat").unwrap_err();
        assert_eq!(e.to_string(), "seg.dat:2: Dir: 2 is out of range");
        let e = SegmentHistory::parse("0,0,0,0,0,40,0\n", "seg.dat").unwrap_err();
        assert_eq!(e.field, "DOW");
    }
}
