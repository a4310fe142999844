//! The event-driven queue engine: one FIFO queue per link, a binary heap of timed events keyed by
//! `(time_ms, sequence number)`, and per-link lists of waiters woken when room appears.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::error::MesoError;
use crate::network::{DEFAULT_VEHICLE_LENGTH_M, LinkId, Network, Signal, storage_of};
use crate::plans::{Plans, TripId, check_route};

/// Settings of one simulation run.
#[derive(Clone, Debug, PartialEq)]
pub struct MesoConfig {
    /// Road length one queued vehicle takes, in metres (> 0): it sets each link's storage,
    /// `max(1, floor(length * lanes / vehicle_length_m))`. Default 7.5 m, SUMO's default car
    /// (5 m) plus its minimum gap (2.5 m).
    pub vehicle_length_m: f64,
    /// A head vehicle blocked this long (its next link full, or a turn that never has green) moves
    /// on anyway, ignoring storage and signal; counted in [`MesoOutcome::teleports`]. Default
    /// 300 000 ms, SUMO's `--time-to-teleport 300`. Zero or negative disables it.
    pub stuck_ms: i64,
    /// Stop after the events at this time; vehicles still on the road (or waiting to be inserted)
    /// then have no arrival. `None`: run until nothing is left to happen.
    pub end_ms: Option<i64>,
}

impl Default for MesoConfig {
    fn default() -> Self {
        MesoConfig { vehicle_length_m: DEFAULT_VEHICLE_LENGTH_M, stuck_ms: 300_000, end_ms: None }
    }
}

/// Called by the engine as things happen, in nondecreasing time order.
///
/// For one move the order is `left` (old link), then `entered` (new link); for an arrival `left`,
/// then `arrived`.
pub trait Observer {
    /// A vehicle entered a link (the first link at insertion).
    fn entered(&mut self, trip: TripId, link: LinkId, t_ms: i64) {
        let _ = (trip, link, t_ms);
    }
    /// A vehicle left a link (into the next one, or arriving).
    fn left(&mut self, trip: TripId, link: LinkId, t_ms: i64) {
        let _ = (trip, link, t_ms);
    }
    /// A vehicle reached the end of its route.
    fn arrived(&mut self, trip: TripId, t_ms: i64) {
        let _ = (trip, t_ms);
    }
}

impl Observer for () {}

/// What a run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct MesoOutcome {
    /// When each trip entered its first link (indexed by [`TripId`]); `None` if it never did.
    pub inserted_ms: Vec<Option<i64>>,
    /// When each trip left its last link; `None` if it had not by the end.
    pub arrived_ms: Vec<Option<i64>>,
    /// Head vehicles moved on after being blocked for [`MesoConfig::stuck_ms`].
    pub teleports: u64,
    /// Sum over trips departed by the end of `(arrival or end) - depart`, in seconds; the time
    /// waiting for insertion counts, as in SUMO.
    pub vehicle_seconds: f64,
    /// The end time: [`MesoConfig::end_ms`] if set, otherwise the time of the last event that
    /// did something (0 without any).
    pub end_ms: i64,
    /// Events processed (departures included; superseded timers and attempts are not counted).
    pub events: u64,
}

const NONE: u32 = u32::MAX;
const NO_TIME: i64 = i64::MIN;

const EV_ATTEMPT: u64 = 0;
const EV_WAKE: u64 = 1;
const EV_STUCK: u64 = 2;

// Waiter states (of a link's head vehicle, or of a link's origin buffer).
const IDLE: u8 = 0;
const LISTED: u8 = 1;
const WOKEN: u8 = 2;

/// A timed event. The heap pops the smallest `(time, seq)`; `seq` is unique and increasing, so ties
/// resolve in scheduling order. The low two bits of `seq_kind` hold the kind.
#[derive(Clone, Copy, Debug)]
struct Event {
    time: i64,
    seq_kind: u64,
    a: u32,
    b: u32,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq_kind == other.seq_kind
    }
}

impl Eq for Event {}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap.
        other.time.cmp(&self.time).then(other.seq_kind.cmp(&self.seq_kind))
    }
}

/// A controlled turn out of a link.
#[derive(Clone, Copy, Debug)]
struct Turn {
    to: u32,
    signal: u32,
    green: u64,
}

#[derive(Clone, Debug)]
struct LinkState {
    /// FIFO queue of vehicles on the link (intrusive list through `Veh::next`).
    head: u32,
    tail: u32,
    /// Vehicles on the link.
    occ: u32,
    storage: u32,
    free_flow_ms: i64,
    headway_ms: i64,
    /// Earliest time the next vehicle may leave (outflow capacity).
    next_out_ms: i64,
    /// Only the attempt event carrying the current token is live.
    token: u32,
    /// Controlled turns out of this link: `turns[turn_lo..turn_hi]`.
    turn_lo: u32,
    turn_hi: u32,
    /// Waiters for room on this link (intrusive doubly linked list through `wprev`/`wnext`):
    /// upstream links whose head wants to enter, and this link's own origin buffer.
    w_head: u32,
    w_tail: u32,
    /// Waiters popped and woken whose wake event has not run yet: each holds a claim on one slot.
    wakes_in_flight: u32,
    /// Whether this link's head vehicle is waiting for room downstream.
    head_wait: u8,
    /// Whether this link's origin buffer is waiting for room on this link.
    buf_wait: u8,
    /// Vehicles that have departed but not yet been inserted (FIFO through `Veh::next`).
    buf_head: u32,
    buf_tail: u32,
}

#[derive(Clone, Copy, Debug)]
struct Veh {
    /// Index of the current link in the flat route array.
    cur: usize,
    /// One past the last link of the route in the flat route array.
    end: usize,
    /// Next vehicle in the link queue or origin buffer.
    next: u32,
    /// Earliest exit time from the current link.
    ee_ms: i64,
    /// When this head vehicle first found itself blocked on the current link (`NO_TIME`: not).
    blocked_since: i64,
}

struct Engine<'a, O: Observer> {
    links: Vec<LinkState>,
    turns: Vec<Turn>,
    signals: Vec<&'a Signal>,
    route: &'a [LinkId],
    veh: Vec<Veh>,
    /// Waiter list pointers; waiter `l` is link `l`'s head, waiter `n + l` is link `l`'s buffer.
    wprev: Vec<u32>,
    wnext: Vec<u32>,
    n_links: u32,
    heap: BinaryHeap<Event>,
    seq: u64,
    now: i64,
    stuck_ms: i64,
    inserted: Vec<Option<i64>>,
    arrived: Vec<Option<i64>>,
    teleports: u64,
    obs: &'a mut O,
}

/// Runs the trips of `plans` through `network` and reports when each was inserted and arrived.
///
/// Deterministic: the same inputs give the same outcome and the same observer calls. Errors when
/// the configuration is invalid or a route does not fit `network` (plans built for another network).
pub fn simulate(
    network: &Network,
    plans: &Plans,
    config: &MesoConfig,
    observer: &mut impl Observer,
) -> Result<MesoOutcome, MesoError> {
    if !(config.vehicle_length_m.is_finite() && config.vehicle_length_m > 0.0) {
        return Err(MesoError::InvalidConfig {
            field: "vehicle_length_m",
            reason: format!("{} is not a positive finite length", config.vehicle_length_m),
        });
    }
    for trip in plans.trips() {
        check_route(network, trip.0, plans.route(trip))?;
    }
    let mut engine = Engine::new(network, plans, config, observer);
    engine.run(plans, config.end_ms)
}

impl<'a, O: Observer> Engine<'a, O> {
    fn new(network: &'a Network, plans: &'a Plans, config: &MesoConfig, obs: &'a mut O) -> Self {
        let specs = network.links();
        let n = specs.len();
        // Controlled turns, grouped by incoming link.
        let mut signals = Vec::new();
        let mut turns: Vec<(u32, Turn)> = Vec::new();
        for signal in network.signals().iter().flatten() {
            let idx = signals.len() as u32;
            signals.push(signal);
            for m in &signal.plan.movements {
                turns.push((m.from.0, Turn { to: m.to.0, signal: idx, green: m.green }));
            }
        }
        turns.sort_by_key(|&(from, t)| (from, t.to));
        let mut links: Vec<LinkState> = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| LinkState {
                head: NONE,
                tail: NONE,
                occ: 0,
                storage: storage_of(spec, config.vehicle_length_m),
                free_flow_ms: network.free_flow_ms(LinkId(i as u32)),
                headway_ms: network.headway_ms(LinkId(i as u32)),
                next_out_ms: i64::MIN,
                token: 0,
                turn_lo: 0,
                turn_hi: 0,
                w_head: NONE,
                w_tail: NONE,
                wakes_in_flight: 0,
                head_wait: IDLE,
                buf_wait: IDLE,
                buf_head: NONE,
                buf_tail: NONE,
            })
            .collect();
        let mut i = 0;
        while i < turns.len() {
            let from = turns[i].0;
            let mut j = i;
            while j < turns.len() && turns[j].0 == from {
                j += 1;
            }
            links[from as usize].turn_lo = i as u32;
            links[from as usize].turn_hi = j as u32;
            i = j;
        }
        let trips = plans.len();
        let flat = plans.flat_links();
        let veh = (0..trips as u32)
            .map(|v| {
                let start = plans.route_start(v);
                let end = if (v as usize) + 1 < trips { plans.route_start(v + 1) } else { flat.len() };
                Veh { cur: start, end, next: NONE, ee_ms: 0, blocked_since: NO_TIME }
            })
            .collect();
        Engine {
            links,
            turns: turns.into_iter().map(|(_, t)| t).collect(),
            signals,
            route: flat,
            veh,
            wprev: vec![NONE; 2 * n],
            wnext: vec![NONE; 2 * n],
            n_links: n as u32,
            heap: BinaryHeap::with_capacity(n.min(1 << 20) + 64),
            seq: 0,
            now: i64::MIN,
            stuck_ms: config.stuck_ms,
            inserted: vec![None; trips],
            arrived: vec![None; trips],
            teleports: 0,
            obs,
        }
    }

    fn run(&mut self, plans: &Plans, end_ms: Option<i64>) -> Result<MesoOutcome, MesoError> {
        let departs = plans.departures();
        let mut order: Vec<u32> = (0..departs.len() as u32).collect();
        order.sort_unstable_by_key(|&v| (departs[v as usize], v));
        let mut next_dep = 0usize;
        let mut events: u64 = 0;
        let mut last_ms: Option<i64> = None;
        loop {
            let dep = order.get(next_dep).map(|&v| departs[v as usize]);
            let ev = self.heap.peek().map(|e| e.time);
            let (t, is_departure) = match (dep, ev) {
                (None, None) => break,
                (Some(d), None) => (d, true),
                (None, Some(e)) => (e, false),
                (Some(d), Some(e)) => {
                    if d <= e {
                        (d, true)
                    } else {
                        (e, false)
                    }
                }
            };
            if end_ms.is_some_and(|end| t > end) {
                break;
            }
            self.now = t;
            let live = if is_departure {
                let v = order[next_dep];
                next_dep += 1;
                self.depart(v, t);
                true
            } else if let Some(e) = self.heap.pop() {
                match e.seq_kind & 3 {
                    EV_ATTEMPT => {
                        let live = self.links[e.a as usize].token == e.b;
                        if live {
                            self.attempt(e.a, t, false);
                        }
                        live
                    }
                    EV_WAKE => {
                        self.wake(e.a, e.b, t);
                        true
                    }
                    _ => self.stuck(e.a, t),
                }
            } else {
                false
            };
            if live {
                events += 1;
                last_ms = Some(t);
            }
        }
        let end = end_ms.unwrap_or(last_ms.unwrap_or(0));
        let mut total_ms: i128 = 0;
        for (v, &depart) in departs.iter().enumerate() {
            if depart > end {
                continue;
            }
            total_ms += i128::from(self.arrived[v].unwrap_or(end)) - i128::from(depart);
        }
        Ok(MesoOutcome {
            inserted_ms: std::mem::take(&mut self.inserted),
            arrived_ms: std::mem::take(&mut self.arrived),
            teleports: self.teleports,
            vehicle_seconds: total_ms as f64 / 1000.0,
            end_ms: end,
            events,
        })
    }

    #[inline]
    fn push(&mut self, time: i64, kind: u64, a: u32, b: u32) {
        self.seq += 1;
        self.heap.push(Event { time: time.max(self.now), seq_kind: self.seq << 2 | kind, a, b });
    }

    #[inline]
    fn schedule_attempt(&mut self, l: u32, time: i64) {
        let ls = &mut self.links[l as usize];
        ls.token = ls.token.wrapping_add(1);
        let token = ls.token;
        self.push(time, EV_ATTEMPT, l, token);
    }

    /// Whether `l` can take one more vehicle that holds no claim from a wake-up.
    #[inline]
    fn has_room(&self, l: u32) -> bool {
        let ls = &self.links[l as usize];
        u64::from(ls.occ) + u64::from(ls.wakes_in_flight) < u64::from(ls.storage)
    }

    fn depart(&mut self, v: u32, t: i64) {
        let l = self.route[self.veh[v as usize].cur].0;
        if self.links[l as usize].buf_head == NONE && self.has_room(l) {
            self.insert(v, l, t);
            return;
        }
        self.veh[v as usize].next = NONE;
        let ls = &mut self.links[l as usize];
        if ls.buf_head == NONE {
            ls.buf_head = v;
            ls.buf_tail = v;
            ls.buf_wait = LISTED;
            self.list_push_back(l, self.n_links + l);
        } else {
            let tail = ls.buf_tail;
            ls.buf_tail = v;
            self.veh[tail as usize].next = v;
        }
    }

    fn insert(&mut self, v: u32, l: u32, t: i64) {
        self.inserted[v as usize] = Some(t);
        self.enter(v, l, t);
    }

    fn enter(&mut self, v: u32, l: u32, t: i64) {
        let ls = &mut self.links[l as usize];
        let ee = t.saturating_add(ls.free_flow_ms);
        let vh = &mut self.veh[v as usize];
        vh.ee_ms = ee;
        vh.blocked_since = NO_TIME;
        vh.next = NONE;
        ls.occ += 1;
        let became_head = ls.tail == NONE;
        if became_head {
            ls.head = v;
        } else {
            self.veh[ls.tail as usize].next = v;
        }
        ls.tail = v;
        let ready = ee.max(ls.next_out_ms);
        self.obs.entered(TripId(v), LinkId(l), t);
        if became_head {
            self.schedule_attempt(l, ready);
        }
    }

    /// The head of `l` tries to leave at `t`. `woken`: it was waiting for room and has just been
    /// woken (it keeps its place at the front of the waiters if it has to wait again).
    fn attempt(&mut self, l: u32, t: i64, woken: bool) {
        let ls = &self.links[l as usize];
        let v = ls.head;
        if v == NONE {
            return;
        }
        let vh = self.veh[v as usize];
        let ready = vh.ee_ms.max(ls.next_out_ms);
        if ready > t {
            self.schedule_attempt(l, ready);
            return;
        }
        if vh.cur + 1 == vh.end {
            self.leave(v, l, t);
            self.arrived[v as usize] = Some(t);
            self.obs.arrived(TripId(v), t);
            return;
        }
        let d = self.route[vh.cur + 1].0;
        if ls.turn_lo != ls.turn_hi {
            let turns = &self.turns[ls.turn_lo as usize..ls.turn_hi as usize];
            if let Some(turn) = turns.iter().find(|turn| turn.to == d) {
                match self.signals[turn.signal as usize].next_green(turn.green, t) {
                    Some(green) if green > t => {
                        self.schedule_attempt(l, green);
                        return;
                    }
                    Some(_) => {}
                    None => {
                        // Never green: only the stuck timeout moves it on.
                        self.block(v, t);
                        return;
                    }
                }
            }
        }
        // A self-loop frees its own place, so it never waits for room on itself.
        if d != l && !self.has_room(d) {
            let ls = &mut self.links[l as usize];
            ls.head_wait = LISTED;
            ls.token = ls.token.wrapping_add(1);
            if woken {
                self.list_push_front(d, l);
            } else {
                self.list_push_back(d, l);
            }
            self.block(v, t);
            return;
        }
        self.advance(v, l, d, t);
    }

    /// Marks head `v` as blocked from `t` (if not already) and arms its stuck timer.
    fn block(&mut self, v: u32, t: i64) {
        let vh = &mut self.veh[v as usize];
        if vh.blocked_since == NO_TIME {
            vh.blocked_since = t;
            if self.stuck_ms > 0 {
                self.push(t.saturating_add(self.stuck_ms), EV_STUCK, v, 0);
            }
        }
    }

    /// Moves head `v` from `l` into `d`.
    fn advance(&mut self, v: u32, l: u32, d: u32, t: i64) {
        self.leave(v, l, t);
        self.veh[v as usize].cur += 1;
        self.enter(v, d, t);
    }

    /// Removes head `v` from `l`, wakes whoever waits for the room, and schedules the next head.
    fn leave(&mut self, v: u32, l: u32, t: i64) {
        let next = self.veh[v as usize].next;
        let ls = &mut self.links[l as usize];
        ls.head = next;
        if next == NONE {
            ls.tail = NONE;
        }
        ls.occ -= 1;
        ls.next_out_ms = t.saturating_add(ls.headway_ms);
        let next_out = ls.next_out_ms;
        self.obs.left(TripId(v), LinkId(l), t);
        self.kick(l, t);
        if next != NONE {
            let ready = self.veh[next as usize].ee_ms.max(next_out);
            self.schedule_attempt(l, ready);
        }
    }

    /// Wakes waiters of `l`, one per free slot not already claimed.
    fn kick(&mut self, l: u32, t: i64) {
        while self.links[l as usize].w_head != NONE && self.has_room(l) {
            let w = self.list_pop_front(l);
            self.links[l as usize].wakes_in_flight += 1;
            if w < self.n_links {
                self.links[w as usize].head_wait = WOKEN;
            } else {
                self.links[(w - self.n_links) as usize].buf_wait = WOKEN;
            }
            self.push(t, EV_WAKE, w, l);
        }
    }

    /// Waiter `w` woken for room on `d`.
    fn wake(&mut self, w: u32, d: u32, t: i64) {
        self.links[d as usize].wakes_in_flight -= 1;
        if w < self.n_links {
            let ls = &mut self.links[w as usize];
            if ls.head_wait == WOKEN {
                ls.head_wait = IDLE;
                self.attempt(w, t, true);
            }
        } else {
            let l = w - self.n_links;
            if self.links[l as usize].buf_wait == WOKEN {
                self.links[l as usize].buf_wait = IDLE;
                self.drain_buffer(l, t);
            }
        }
        // Pass the room on if this waiter did not use it.
        self.kick(d, t);
    }

    fn drain_buffer(&mut self, l: u32, t: i64) {
        while self.links[l as usize].buf_head != NONE && self.has_room(l) {
            let v = self.links[l as usize].buf_head;
            let next = self.veh[v as usize].next;
            let ls = &mut self.links[l as usize];
            ls.buf_head = next;
            if next == NONE {
                ls.buf_tail = NONE;
            }
            self.insert(v, l, t);
        }
        if self.links[l as usize].buf_head != NONE {
            self.links[l as usize].buf_wait = LISTED;
            self.list_push_front(l, self.n_links + l);
        }
    }

    /// The stuck timer of `v` fired: if it is still blocked since then, it moves on regardless.
    /// Returns whether the timer was still live.
    fn stuck(&mut self, v: u32, t: i64) -> bool {
        let vh = self.veh[v as usize];
        if vh.blocked_since == NO_TIME || vh.blocked_since.saturating_add(self.stuck_ms) != t {
            return false;
        }
        let l = self.route[vh.cur].0;
        let d = self.route[vh.cur + 1].0;
        let ls = &mut self.links[l as usize];
        debug_assert_eq!(ls.head, v);
        let state = ls.head_wait;
        ls.head_wait = IDLE;
        ls.token = ls.token.wrapping_add(1);
        if state == LISTED {
            self.list_unlink(d, l);
        }
        self.teleports += 1;
        self.advance(v, l, d, t);
        true
    }

    fn list_push_back(&mut self, l: u32, w: u32) {
        let ls = &mut self.links[l as usize];
        self.wnext[w as usize] = NONE;
        self.wprev[w as usize] = ls.w_tail;
        if ls.w_tail == NONE {
            ls.w_head = w;
        } else {
            self.wnext[ls.w_tail as usize] = w;
        }
        ls.w_tail = w;
    }

    fn list_push_front(&mut self, l: u32, w: u32) {
        let ls = &mut self.links[l as usize];
        self.wprev[w as usize] = NONE;
        self.wnext[w as usize] = ls.w_head;
        if ls.w_head == NONE {
            ls.w_tail = w;
        } else {
            self.wprev[ls.w_head as usize] = w;
        }
        ls.w_head = w;
    }

    fn list_pop_front(&mut self, l: u32) -> u32 {
        let w = self.links[l as usize].w_head;
        self.list_unlink(l, w);
        w
    }

    fn list_unlink(&mut self, l: u32, w: u32) {
        let (prev, next) = (self.wprev[w as usize], self.wnext[w as usize]);
        let ls = &mut self.links[l as usize];
        if prev == NONE {
            ls.w_head = next;
        } else {
            self.wnext[prev as usize] = next;
        }
        if next == NONE {
            ls.w_tail = prev;
        } else {
            self.wprev[next as usize] = prev;
        }
        self.wprev[w as usize] = NONE;
        self.wnext[w as usize] = NONE;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{LinkSpec, Movement, SignalPlan};

    fn spec(from: u32, to: u32, length_m: f64, speed: f64, capacity_vph: f64) -> LinkSpec {
        LinkSpec { from, to, length_m, free_speed_mps: speed, lanes: 1, capacity_vph }
    }

    /// Records every observer call and the occupancy of each link.
    #[derive(Debug, Default)]
    struct Log {
        calls: Vec<(char, u32, u32, i64)>,
        occupancy: Vec<i64>,
        max_occupancy: Vec<i64>,
    }

    impl Log {
        fn new(links: usize) -> Self {
            Log { calls: Vec::new(), occupancy: vec![0; links], max_occupancy: vec![0; links] }
        }
        fn entries(&self, link: u32) -> Vec<(u32, i64)> {
            self.calls.iter().filter(|c| c.0 == 'e' && c.2 == link).map(|c| (c.1, c.3)).collect()
        }
        fn exits(&self, link: u32) -> Vec<(u32, i64)> {
            self.calls.iter().filter(|c| c.0 == 'l' && c.2 == link).map(|c| (c.1, c.3)).collect()
        }
    }

    impl Observer for Log {
        fn entered(&mut self, trip: TripId, link: LinkId, t_ms: i64) {
            self.calls.push(('e', trip.0, link.0, t_ms));
            let o = &mut self.occupancy[link.index()];
            *o += 1;
            self.max_occupancy[link.index()] = self.max_occupancy[link.index()].max(*o);
        }
        fn left(&mut self, trip: TripId, link: LinkId, t_ms: i64) {
            self.calls.push(('l', trip.0, link.0, t_ms));
            self.occupancy[link.index()] -= 1;
        }
        fn arrived(&mut self, trip: TripId, t_ms: i64) {
            self.calls.push(('a', trip.0, u32::MAX, t_ms));
        }
    }

    fn run(net: &Network, plans: &Plans, config: &MesoConfig) -> (MesoOutcome, Log) {
        let mut log = Log::new(net.links().len());
        let out = simulate(net, plans, config, &mut log).unwrap();
        assert!(log.calls.windows(2).all(|w| w[0].3 <= w[1].3), "observer calls out of time order");
        (out, log)
    }

    #[test]
    fn single_link_free_flow() {
        let net = Network::new(2, vec![spec(0, 1, 183.2, 13.89, 1800.0)]).unwrap();
        let mut plans = Plans::new();
        plans.push(&net, 7_000, &[LinkId(0)]).unwrap();
        let (out, log) = run(&net, &plans, &MesoConfig::default());
        assert_eq!(net.free_flow_ms(LinkId(0)), 13_189);
        assert_eq!(out.inserted_ms, vec![Some(7_000)]);
        assert_eq!(out.arrived_ms, vec![Some(20_189)]);
        assert_eq!(out.vehicle_seconds, 13.189);
        assert_eq!(out.end_ms, 20_189);
        assert_eq!(out.teleports, 0);
        assert_eq!(log.calls, vec![('e', 0, 0, 7_000), ('l', 0, 0, 20_189), ('a', 0, u32::MAX, 20_189)]);
    }

    #[test]
    fn route_free_flow_is_sum_of_links() {
        let net = Network::new(
            4,
            vec![spec(0, 1, 100.0, 10.0, 900.0), spec(1, 2, 55.5, 11.1, 900.0), spec(2, 3, 1.0, 3.0, 900.0)],
        )
        .unwrap();
        let mut plans = Plans::new();
        plans.push(&net, 0, &[LinkId(0), LinkId(1), LinkId(2)]).unwrap();
        let (out, log) = run(&net, &plans, &MesoConfig::default());
        assert_eq!(out.arrived_ms, vec![Some(10_000 + 5_000 + 333)]);
        assert_eq!(log.entries(1), vec![(0, 10_000)]);
        assert_eq!(log.entries(2), vec![(0, 15_000)]);
    }

    #[test]
    fn outflow_capacity_spaces_departures() {
        // 1800 veh/h: one departure every 2 s. Storage 13, so all ten fit at once.
        let net = Network::new(2, vec![spec(0, 1, 100.0, 10.0, 1800.0)]).unwrap();
        let mut plans = Plans::new();
        for _ in 0..10 {
            plans.push(&net, 0, &[LinkId(0)]).unwrap();
        }
        let (out, _) = run(&net, &plans, &MesoConfig::default());
        let expected: Vec<_> = (0..10).map(|k| Some(10_000 + 2_000 * k)).collect();
        assert_eq!(out.arrived_ms, expected);
        // N vehicles take (N - 1) headways after the first arrival.
        assert_eq!(out.end_ms - 10_000, 9 * 2_000);
    }

    #[test]
    fn insertion_waits_for_storage() {
        // One vehicle fits on the 5 m link: the others wait in the origin buffer, in order.
        let net = Network::new(2, vec![spec(0, 1, 5.0, 5.0, 3600.0)]).unwrap();
        let mut plans = Plans::new();
        for depart in [0, 0, 500] {
            plans.push(&net, depart, &[LinkId(0)]).unwrap();
        }
        let (out, log) = run(&net, &plans, &MesoConfig::default());
        assert_eq!(out.inserted_ms, vec![Some(0), Some(1_000), Some(2_000)]);
        assert_eq!(out.arrived_ms, vec![Some(1_000), Some(2_000), Some(3_000)]);
        // (1 - 0) + (2 - 0) + (3 - 0.5)
        assert_eq!(out.vehicle_seconds, 5.5);
        assert_eq!(log.max_occupancy, vec![1]);
    }

    #[test]
    fn spillback_holds_upstream_vehicles() {
        // Link 0: 1000 m at 10 m/s, 3600 veh/h. Link 1: 15 m (storage 2), 1.5 s, 360 veh/h.
        let net =
            Network::new(3, vec![spec(0, 1, 1000.0, 10.0, 3600.0), spec(1, 2, 15.0, 10.0, 360.0)]).unwrap();
        let mut plans = Plans::new();
        for _ in 0..6 {
            plans.push(&net, 0, &[LinkId(0), LinkId(1)]).unwrap();
        }
        let (out, log) = run(&net, &plans, &MesoConfig::default());
        assert_eq!(net.storage(LinkId(1)), 2);
        assert_eq!(log.max_occupancy, vec![6, 2]);
        // v0 enters link 1 at 100 s and arrives at 101.5 s; v1 enters at 101 s but must wait for
        // the 10 s headway (111.5 s); v2 enters at 102 s; v3 finds link 1 full and enters when v1
        // leaves, and so on.
        let entries: Vec<i64> = log.entries(1).iter().map(|e| e.1).collect();
        assert_eq!(entries, vec![100_000, 101_000, 102_000, 111_500, 121_500, 131_500]);
        let arrivals: Vec<_> = (0..6).map(|k| Some(101_500 + 10_000 * k)).collect();
        assert_eq!(out.arrived_ms, arrivals);
        // Upstream exits are the downstream entries: spillback held vehicles 3 to 5 on link 0.
        assert_eq!(log.exits(0).iter().map(|e| e.1).collect::<Vec<_>>(), entries);
        assert_eq!(out.teleports, 0);
        // The blocked vehicles' stuck timers (due at 403 s and later) are stale and do not count.
        assert_eq!(out.end_ms, 151_500);
    }

    #[test]
    fn red_signal_holds_until_green_start() {
        // Node 1 signal: phase 0 (30 s) green for 0 -> 1, phase 1 (30 s) red; cycle starts at 0.
        let mut net =
            Network::new(3, vec![spec(0, 1, 400.0, 10.0, 3600.0), spec(1, 2, 100.0, 10.0, 3600.0)]).unwrap();
        net.add_signal(
            1,
            SignalPlan {
                offset_ms: 0,
                phases_ms: vec![30_000, 30_000],
                movements: vec![Movement { from: LinkId(0), to: LinkId(1), green: 0b01 }],
            },
        )
        .unwrap();
        let mut plans = Plans::new();
        plans.push(&net, 0, &[LinkId(0), LinkId(1)]).unwrap(); // reaches the signal at 40 s: red
        plans.push(&net, -15_000, &[LinkId(0), LinkId(1)]).unwrap(); // at 25 s: green
        let (out, log) = run(&net, &plans, &MesoConfig::default());
        assert_eq!(log.entries(1), vec![(1, 25_000), (0, 60_000)]);
        assert_eq!(out.arrived_ms, vec![Some(70_000), Some(35_000)]);
    }

    #[test]
    fn signal_throughput_only_in_green() {
        let mut net =
            Network::new(3, vec![spec(0, 1, 800.0, 10.0, 3600.0), spec(1, 2, 100.0, 10.0, 3600.0)]).unwrap();
        net.add_signal(
            1,
            SignalPlan {
                offset_ms: 5_000,
                phases_ms: vec![10_000, 3_000, 20_000],
                movements: vec![Movement { from: LinkId(0), to: LinkId(1), green: 0b001 }],
            },
        )
        .unwrap();
        let mut plans = Plans::new();
        for k in 0..60 {
            plans.push(&net, k * 500, &[LinkId(0), LinkId(1)]).unwrap();
        }
        let (out, log) = run(&net, &plans, &MesoConfig::default());
        assert!(out.arrived_ms.iter().all(Option::is_some));
        let exits = log.exits(0);
        assert_eq!(exits.len(), 60);
        for &(_, t) in &exits {
            let pos = (t - 5_000).rem_euclid(33_000);
            assert!(pos < 10_000, "left at {t} ms, {pos} ms into the cycle: not green");
        }
        // At most 10 departures per 10 s green (1 s headway), first one at the green start.
        let mut per_cycle = std::collections::BTreeMap::new();
        for &(_, t) in &exits {
            *per_cycle.entry((t - 5_000).div_euclid(33_000)).or_insert(0) += 1;
        }
        assert!(per_cycle.values().all(|&n| n <= 10), "{per_cycle:?}");
        assert!(exits.iter().any(|&(_, t)| (t - 5_000).rem_euclid(33_000) == 0));
    }

    #[test]
    fn never_green_turn_is_released_by_stuck_timeout() {
        let mut net =
            Network::new(3, vec![spec(0, 1, 100.0, 10.0, 3600.0), spec(1, 2, 100.0, 10.0, 3600.0)]).unwrap();
        net.add_signal(
            1,
            SignalPlan {
                offset_ms: 0,
                phases_ms: vec![1_000],
                movements: vec![Movement { from: LinkId(0), to: LinkId(1), green: 0 }],
            },
        )
        .unwrap();
        let mut plans = Plans::new();
        plans.push(&net, 0, &[LinkId(0), LinkId(1)]).unwrap();
        let config = MesoConfig { stuck_ms: 50_000, ..MesoConfig::default() };
        let (out, _) = run(&net, &plans, &config);
        assert_eq!(out.teleports, 1);
        assert_eq!(out.arrived_ms, vec![Some(10_000 + 50_000 + 10_000)]);
        // Without the timeout it never arrives; the run ends with the last event.
        let config = MesoConfig { stuck_ms: 0, ..MesoConfig::default() };
        let (out, _) = run(&net, &plans, &config);
        assert_eq!((out.arrived_ms[0], out.teleports, out.end_ms), (None, 0, 10_000));
        assert_eq!(out.vehicle_seconds, 10.0);
    }

    fn ring() -> (Network, Plans) {
        // Three 15 m links (storage 2 each) in a ring, each full with vehicles wanting the next.
        let net = Network::new(
            3,
            vec![spec(0, 1, 15.0, 5.0, 3600.0), spec(1, 2, 15.0, 5.0, 3600.0), spec(2, 0, 15.0, 5.0, 3600.0)],
        )
        .unwrap();
        let mut plans = Plans::new();
        for first in 0..3u32 {
            for _ in 0..2 {
                let route: Vec<LinkId> = (0..3).map(|k| LinkId((first + k) % 3)).collect();
                plans.push(&net, 0, &route).unwrap();
            }
        }
        (net, plans)
    }

    #[test]
    fn deadlocked_ring_teleports() {
        let (net, plans) = ring();
        let config = MesoConfig { stuck_ms: 300_000, ..MesoConfig::default() };
        let (out, log) = run(&net, &plans, &config);
        assert!(out.teleports >= 1);
        assert!(out.arrived_ms.iter().all(Option::is_some), "{out:?}");
        assert!(out.inserted_ms.iter().all(|t| *t == Some(0)));
        // Every head is ready at 3 s; the first releases happen 300 s later.
        let first_exit = log.calls.iter().filter(|c| c.0 == 'l').map(|c| c.3).min().unwrap();
        assert_eq!(first_exit, 303_000);
        // Each timeout shifts the ring by one vehicle per link, which deadlocks again until the
        // heads are on their last link; the run still ends.
        assert!(out.end_ms < 10 * 303_000, "{}", out.end_ms);
        for (link, &max) in log.max_occupancy.iter().enumerate() {
            assert!(max <= i64::from(net.storage(LinkId(link as u32))) + out.teleports as i64);
        }
    }

    #[test]
    fn end_time_cuts_the_run() {
        let (net, plans) = ring();
        let config = MesoConfig { end_ms: Some(100_000), ..MesoConfig::default() };
        let (out, log) = run(&net, &plans, &config);
        assert_eq!(out.end_ms, 100_000);
        assert!(out.arrived_ms.iter().all(Option::is_none));
        assert_eq!(out.vehicle_seconds, 600.0);
        assert!(log.calls.iter().all(|c| c.0 == 'e'));
    }

    #[test]
    fn invalid_config_and_foreign_plans() {
        let net = Network::new(2, vec![spec(0, 1, 100.0, 10.0, 1800.0)]).unwrap();
        let config = MesoConfig { vehicle_length_m: 0.0, ..MesoConfig::default() };
        let err = simulate(&net, &Plans::new(), &config, &mut ()).unwrap_err().to_string();
        assert!(err.contains("vehicle_length_m"), "{err}");
        let (ring_net, ring_plans) = ring();
        assert!(simulate(&ring_net, &ring_plans, &MesoConfig::default(), &mut ()).is_ok());
        let err = simulate(&net, &ring_plans, &MesoConfig::default(), &mut ()).unwrap_err().to_string();
        assert!(err.starts_with("trip 0: route position 1"), "{err}");
    }

    #[test]
    fn self_loop_never_waits_for_itself() {
        // A full one-vehicle self-loop: the head frees its own place when it goes round again.
        let net = Network::new(1, vec![spec(0, 0, 5.0, 5.0, 3600.0)]).unwrap();
        let mut plans = Plans::new();
        plans.push(&net, 0, &[LinkId(0), LinkId(0)]).unwrap();
        plans.push(&net, 0, &[LinkId(0), LinkId(0)]).unwrap();
        let config = MesoConfig { stuck_ms: 0, ..MesoConfig::default() };
        let (out, log) = run(&net, &plans, &config);
        assert_eq!(out.teleports, 0);
        assert_eq!(out.inserted_ms, vec![Some(0), Some(2_000)]);
        assert_eq!(out.arrived_ms, vec![Some(2_000), Some(4_000)]);
        assert_eq!(log.max_occupancy, vec![1]);
    }

    #[test]
    fn extreme_offsets_and_times() {
        let mut net =
            Network::new(3, vec![spec(0, 1, 100.0, 10.0, 3600.0), spec(1, 2, 100.0, 10.0, 3600.0)]).unwrap();
        let movements = vec![Movement { from: LinkId(0), to: LinkId(1), green: 0b10 }];
        net.add_signal(1, SignalPlan { offset_ms: i64::MIN, phases_ms: vec![4_096, 4_096], movements })
            .unwrap();
        let mut plans = Plans::new();
        plans.push(&net, crate::MAX_TIME_MS, &[LinkId(0), LinkId(1)]).unwrap();
        plans.push(&net, -crate::MAX_TIME_MS, &[LinkId(0), LinkId(1)]).unwrap();
        let err = plans.push(&net, i64::MAX, &[LinkId(0)]).unwrap_err().to_string();
        assert!(err.contains("trip 2") && err.contains("depart_ms"), "{err}");
        let (out, _) = run(&net, &plans, &MesoConfig::default());
        assert!(out.arrived_ms.iter().all(Option::is_some));
        // i64::MIN is a multiple of the 8192 ms cycle: phase 1 (green) starts 4096 ms into it.
        let t = 10_000 - crate::MAX_TIME_MS;
        assert_eq!(net.next_green_ms(LinkId(0), LinkId(1), t), Some(t.div_euclid(8192) * 8192 + 4096));
    }

    #[test]
    fn empty_plans() {
        let net = Network::new(2, vec![spec(0, 1, 100.0, 10.0, 1800.0)]).unwrap();
        let out = simulate(&net, &Plans::new(), &MesoConfig::default(), &mut ()).unwrap();
        assert_eq!(
            out,
            MesoOutcome {
                inserted_ms: vec![],
                arrived_ms: vec![],
                teleports: 0,
                vehicle_seconds: 0.0,
                end_ms: 0,
                events: 0
            }
        );
    }
}
