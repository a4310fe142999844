//! Omnibus mesoscopic traffic model: an event-driven queue model in the spirit of MATSim's QSim
//! (Gawron's queue model) with fixed-time signals at junctions, like SUMO's mesoscopic model with
//! `--meso-junction-control`.
//!
//! # Use
//!
//! Build a [`Network`] of [`LinkSpec`]s (and [`SignalPlan`]s with [`Network::add_signal`]), add
//! trips with fixed routes to [`Plans`], and call [`simulate`] with a [`MesoConfig`]. It returns a
//! [`MesoOutcome`] (insertion and arrival time per trip, teleports, vehicle-seconds) and reports
//! every link entry, link exit and arrival to an [`Observer`] as it happens, in time order. The
//! [`sumo`] module reads SUMO `.net.xml` / `.rou.xml` files into these types.
//!
//! # Model
//!
//! - **Time and events.** Integer milliseconds throughout. Events sit in a binary heap keyed by
//!   `(time, sequence number)`, so simultaneous events run in the order they were scheduled;
//!   departures at the same time run first, in trip order. The same inputs give the same outcome
//!   and the same observer calls.
//! - **Links** are FIFO queues. A vehicle entering a link at `t` may leave no earlier than
//!   `t + free_flow_ms` (`length / speed`, rounded to the millisecond, see
//!   [`Network::free_flow_ms`]).
//! - **The head vehicle leaves** when (1) its free-flow time is over; (2) the link's outflow
//!   capacity allows it: departures are at least `3600 / capacity_vph` s apart
//!   ([`Network::headway_ms`]); (3) at a signalized node, its turn has green — on red it waits for
//!   the start of the next phase with green; and (4) the next link has room: a link holds
//!   `max(1, floor(length * lanes / vehicle_length))` vehicles ([`Network::storage`]). A vehicle on
//!   its last link arrives when (1) and (2) hold; arrivals need no room and see no signal.
//! - **Spillback without polling.** A head that finds the next link full registers in that link's
//!   waiter list (at most one entry per upstream link, O(1)); each vehicle leaving a link wakes
//!   one waiter per unclaimed free place, first come first served. A woken waiter that cannot use
//!   the place right away (its signal turned red) passes it on to the next waiter, so no place is
//!   lost and every wake-up costs O(1). Links are not polled and nothing scans all links.
//! - **Insertion.** At its departure time a vehicle joins the origin buffer of its first link
//!   (FIFO per link) and enters the link as soon as it has room, competing with upstream vehicles
//!   in the same waiter list. Time in the buffer counts in [`MesoOutcome::vehicle_seconds`], as in
//!   SUMO.
//! - **Gridlock.** A head vehicle blocked for [`MesoConfig::stuck_ms`] (default 300 s, SUMO's
//!   `--time-to-teleport`) by a full next link (or by a turn that is never green) moves on
//!   regardless, and is counted in [`MesoOutcome::teleports`]; only this can push a link over
//!   its storage.
//! - **Not modelled:** inflow capacity of the downstream link (merging flows are limited by its
//!   storage and outflow capacity, as in MATSim's queue model), lanes as separate queues, turning
//!   conflicts inside junctions (permissive turns go whenever their signal shows green), start-up
//!   lost time, and individual speed factors.
//!
//! Cost: about two heap operations per link traversal and no allocation per event (vehicles and
//! waiter lists are intrusive lists over `Vec`s).
//!
//! # Benchmark against SUMO
//!
//! ```text
//! CARGO_TARGET_DIR=/work/tgt-meso cargo run --release -p omnibus-meso --bin meso-bench
//! CARGO_TARGET_DIR=/work/tgt-meso cargo run --release -p omnibus-meso --bin meso-bench -- --grid 10 --period 1.0
//! ```
//!
//! `meso-bench` builds the scenario of `shared/bench/sumo/run_bench.sh` (netgenerate 30x30 grid,
//! 200 m blocks, 2 lanes, 13.89 m/s, guessed fixed-time signals; randomTrips with duarouter
//! routes, one departure every 0.1 s for an hour: 36 000 trips; seed 42), imports it with
//! [`sumo::parse_net`] / [`sumo::parse_routes`], runs [`simulate`] three times (best wall time),
//! runs `sumo --mesosim` with and without `--meso-junction-control`, and writes
//! `target/meso-bench.json` (see `--help`). Calibration, all physical choices rather than fitted
//! factors:
//!
//! - **Capacity 1800 veh/h per lane** (saturation headway 2 s). SUMO's mesoscopic headways with
//!   its defaults are 1.13 s + 7.5 m / 13.89 m/s = 1.67 s per lane between free queues and
//!   1.73 s + 0.54 s = 2.27 s out of a jammed queue (a queue at a red light); 2 s lies between,
//!   and is the textbook saturation flow. Mean trip time moves by under 2 % between 1586 and
//!   2156 veh/h per lane on the 30x30 grid.
//! - **Storage at 7.5 m per vehicle**: SUMO's default car length 5 m plus minimum gap 2.5 m; SUMO's
//!   mesoscopic queues hold the same `length * lanes / 7.5` vehicles.
//! - **Yellow treated as red** ([`sumo::YellowRule::Red`], the default). The effective green of a
//!   signal is `green + yellow - lost time`, with start-up and clearance lost times of 2 to 4 s
//!   together, which the queue model does not otherwise represent; with a 3 s yellow the
//!   effective green is about the green time. (SUMO's mesoscopic junction control itself lets
//!   vehicles pass on yellow: it stops only at `r`/`u`; turning yellow into red in the SUMO net
//!   raises its 10x10 mean trip from 227.5 s to 239.9 s. `--yellow green` mirrors SUMO instead and
//!   lowers Omnibus' mean trip by about 1.5 %.)
//! - Lengths and speeds are the SUMO lane values (internal junction lanes are skipped, as SUMO's
//!   mesoscopic model skips them); turns merge their lane connections (green if any lane is).
//!
//! Recorded on the 2-core development machine (SUMO 1.15; another build sometimes ran beside it,
//! which slows SUMO's wall times more than the SUMO reference in `shared/bench/sumo/README.md`):
//!
//! | grid | trips | Omnibus wall | Omnibus veh-s/s | SUMO meso+JC wall | SUMO meso+JC veh-s/s | ratio | mean trip Omnibus / SUMO meso+JC |
//! |---|---|---|---|---|---|---|---|
//! | 30x30 | 36 000 | 0.14 s | 132 M | 18.6 s | 1.02 M | 129x | 509.5 s / 529.2 s (-3.7 %) |
//! | 10x10 | 3 600 | 0.004 s | 196 M | 0.70 s | 1.17 M | 168x | 226.0 s / 227.5 s (-0.6 %) |
//!
//! Over five 30x30 runs SUMO meso+JC took 16.6 to 33.8 s of wall time (its own `Duration` 15.4 to
//! 20.3 s) depending on the load beside it and Omnibus 0.14 to 0.23 s: ratios 96x to 141x. Against
//! the README's recorded SUMO meso+JC figure for 30x30 (1.87 M veh-s/s) the ratio is about 60x
//! to 70x. Mean trip is SUMO's `duration`: arrival minus actual insertion (insertion delay is 0 s
//! in Omnibus and 0.45 s in SUMO here). Both models' mean trips are identical from run to run.

mod engine;
mod error;
mod network;
mod plans;
pub mod sumo;

pub use engine::{MesoConfig, MesoOutcome, Observer, simulate};
pub use error::MesoError;
pub use network::{DEFAULT_VEHICLE_LENGTH_M, LinkId, LinkSpec, MAX_TIME_MS, Movement, Network, SignalPlan};
pub use plans::{Plans, TripId};
