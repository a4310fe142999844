//! The live state of the city as the stream job publishes it: per-segment speed,
//! volume and price, parking occupancy and bike availability. Services read it;
//! price watchers subscribe to its change feed.

use crate::policy::PolicyStore;
use crate::units::{Cents, EventTime, MetersPerSecond, Minute, SegmentId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use tokio::sync::broadcast;

/// What the stream job knows of one segment after the last closed minute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SegmentLive {
    /// The minute the figures are for.
    pub minute: Minute,
    /// Distinct vehicles seen in that minute.
    pub vehicles: u32,
    /// Vehicles counted by loop detectors in that minute.
    pub loop_count: u32,
    /// Average speed over the policy window (`None`: no vehicle in the window).
    pub window_speed: Option<MetersPerSecond>,
    /// The current price.
    pub price: Cents,
    /// The policy version that set the price.
    pub policy_version: u64,
}

/// A change of one segment's price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceChange {
    /// The segment.
    pub segment: SegmentId,
    /// Price before.
    pub old: Cents,
    /// Price after.
    pub new: Cents,
    /// The minute whose traffic set it.
    pub minute: Minute,
    /// The policy version that set it.
    pub policy_version: u64,
}

/// Latest occupancy of a parking facility.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParkingLive {
    /// When it was last reported.
    pub time: EventTime,
    /// The minute the stream job last updated it.
    pub minute: Minute,
    /// Spaces taken.
    pub occupied: u32,
    /// Spaces in all.
    pub capacity: u32,
    /// Demand-responsive price, cents per hour.
    pub price_per_hour: Cents,
}

/// Latest status of a bike-share station.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BikeLive {
    /// When it was reported.
    pub time: EventTime,
    /// Bikes ready to rent.
    pub bikes: u32,
    /// Free docks.
    pub docks: u32,
}

/// Counters of what the stream job did with the telemetry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobCounters {
    /// Probe reports processed.
    pub probes: u64,
    /// Probes matched to a segment.
    pub matched: u64,
    /// Probes no road was close enough to (kept in the log, not counted on a segment).
    pub unmatched: u64,
}

/// Cordon passages since start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CordonLive {
    /// Vehicles that crossed into the zone (passages).
    pub passages: u64,
    /// Passages that owed something.
    pub charged: u64,
    /// Money owed.
    pub revenue: Cents,
}

/// An express-lane zone's latest price update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpressLive {
    /// The review minute that set it.
    pub minute: Minute,
    /// Highest downstream density, thousandths of a vehicle per lane-mile.
    pub density_milli: u64,
    /// The price.
    pub price: Cents,
    /// The policy version that set it.
    pub policy_version: u64,
}

/// The mutable part of [`LiveCity`].
#[derive(Debug, Default)]
pub struct LiveState {
    /// Per-segment figures; segments never observed nor priced are absent.
    pub segments: HashMap<SegmentId, SegmentLive>,
    /// Parking facilities by id.
    pub parking: HashMap<String, ParkingLive>,
    /// Bike-share stations by id.
    pub bikes: HashMap<String, BikeLive>,
    /// Cordon passages and revenue.
    pub cordon: CordonLive,
    /// Express-lane zones by name.
    pub express: HashMap<String, ExpressLive>,
    /// Latest minute the stream job has closed.
    pub latest_minute: Option<Minute>,
    /// Counters.
    pub counters: JobCounters,
}

/// Shared live state plus the price change feed. Cheap to clone.
#[derive(Clone, Debug)]
pub struct LiveCity {
    state: Arc<RwLock<LiveState>>,
    policies: Arc<RwLock<PolicyStore>>,
    changes: broadcast::Sender<PriceChange>,
    segment_feed: broadcast::Sender<(SegmentId, SegmentLive)>,
    /// Bumped by every write, so readers can tell whether the state changed.
    generation: Arc<AtomicU64>,
}

/// Capacity of the price change feed; a watcher that falls further behind is told so.
pub const PRICE_FEED_CAPACITY: usize = 16_384;

/// Capacity of the feed of every segment update (what replicas mirror).
pub const SEGMENT_FEED_CAPACITY: usize = 131_072;

impl LiveCity {
    /// An empty city state under `policies`.
    pub fn new(policies: PolicyStore) -> LiveCity {
        let (changes, _) = broadcast::channel(PRICE_FEED_CAPACITY);
        let (segment_feed, _) = broadcast::channel(SEGMENT_FEED_CAPACITY);
        LiveCity {
            state: Arc::new(RwLock::new(LiveState::default())),
            policies: Arc::new(RwLock::new(policies)),
            changes,
            segment_feed,
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Reads the state.
    pub fn read<R>(&self, f: impl FnOnce(&LiveState) -> R) -> R {
        f(&self.state.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Changes the state.
    pub fn write<R>(&self, f: impl FnOnce(&mut LiveState) -> R) -> R {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let result = f(&mut state);
        // Bumped under the lock: a reader that sees generation `g` and then reads
        // the state sees at least the writes counted in `g`.
        self.generation.fetch_add(1, Ordering::Release);
        result
    }

    /// How many writes the state has had: equal values mean an unchanged state.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Reads the policy store.
    pub fn policies<R>(&self, f: impl FnOnce(&PolicyStore) -> R) -> R {
        f(&self.policies.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Changes the policy store.
    pub fn policies_mut<R>(&self, f: impl FnOnce(&mut PolicyStore) -> R) -> R {
        f(&mut self.policies.write().unwrap_or_else(|e| e.into_inner()))
    }

    /// The first minute the stream job has not closed yet: the earliest a new
    /// policy may take effect.
    pub fn first_open_minute(&self) -> Minute {
        self.read(|s| s.latest_minute.map_or(Minute(i64::MIN), |m| Minute(m.0 + 1)))
    }

    /// Current price of a segment (zero if it was never priced).
    pub fn price(&self, segment: SegmentId) -> Cents {
        self.read(|s| s.segments.get(&segment).map_or(Cents::ZERO, |l| l.price))
    }

    /// Subscribes to price changes.
    pub fn subscribe(&self) -> broadcast::Receiver<PriceChange> {
        self.changes.subscribe()
    }

    /// Publishes price changes (called by the stream job's sink).
    pub fn publish(&self, change: PriceChange) {
        // No receiver is not an error: nobody is watching.
        let _ = self.changes.send(change);
    }

    /// Subscribes to every segment update (not only price changes).
    pub fn subscribe_segments(&self) -> broadcast::Receiver<(SegmentId, SegmentLive)> {
        self.segment_feed.subscribe()
    }

    /// Stores a segment's new figures, announcing them and any price change.
    /// Used by the stream job's sink and by replicas mirroring another node.
    pub fn update_segments(&self, updates: impl IntoIterator<Item = (SegmentId, SegmentLive)>) {
        let mut changes = Vec::new();
        let mut fed = Vec::new();
        self.write(|state| {
            for (segment, live) in updates {
                let old = state.segments.insert(segment, live).map_or(Cents::ZERO, |o| o.price);
                if old != live.price {
                    changes.push(PriceChange {
                        segment,
                        old,
                        new: live.price,
                        minute: live.minute,
                        policy_version: live.policy_version,
                    });
                }
                if state.latest_minute.is_none_or(|l| l < live.minute) {
                    state.latest_minute = Some(live.minute);
                }
                fed.push((segment, live));
            }
        });
        for c in changes {
            self.publish(c);
        }
        for f in fed {
            let _ = self.segment_feed.send(f);
        }
    }
}
