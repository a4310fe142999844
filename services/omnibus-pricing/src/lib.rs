//! The pricing service: gRPC `omnibus.v1.Pricing`. It serves the live road
//! prices the traffic stream job publishes into [`LiveCity`], quotes routes,
//! streams price changes, and is where the transport authority reads and sets
//! the pricing policy (validated, versioned, kept in an audit log; the stream
//! job switches to a new version at the minute it takes effect).

use omnibus_core::cordon::{ChargePeriod, CordonPolicy};
use omnibus_core::express::{ExpressLanePolicy, ExpressZone};
use omnibus_core::live::{LiveCity, PriceChange as LivePriceChange, SegmentLive};
use omnibus_core::network::RoadClass;
use omnibus_core::policy::{
    ClassBandPolicy, MarginalCostPolicy, ParkingPolicy, Policy, PolicyError, PolicyVersion, PricingRule,
    SpeedBandPolicy,
};
use omnibus_core::{Cents, City, Minute, SegmentId};
use omnibus_proto::v1::pricing_client::PricingClient;
use omnibus_proto::v1::pricing_server::{Pricing, PricingServer};
use omnibus_proto::v1::{
    self as pb, CordonState, GetCordonRequest, GetParkingRequest, GetPolicyRequest, GetPriceRequest, Money,
    ParkingState, PolicyHistoryResponse, PolicyRecord, Price, PriceChange, QuoteRouteRequest, RouteQuote,
    SetPolicyRequest, WatchPricesRequest, WatchSegmentsRequest, get_price_request::Target,
};
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tokio_stream::Stream;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use tracing::{info, warn};

/// Most segments one route quote may name.
pub const MAX_QUOTE_SEGMENTS: usize = 10_000;

/// Failures the pricing service reports to clients.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    /// A request field is missing or wrong.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field.
        field: String,
        /// Why.
        reason: String,
    },
    /// A policy was refused.
    #[error("{0}")]
    Policy(#[from] PolicyError),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A watcher fell too far behind the change feed.
    #[error("the watch fell {0} price changes behind; read the prices again and watch anew")]
    Lagged(u64),
}

impl From<PricingError> for Status {
    fn from(e: PricingError) -> Status {
        match e {
            PricingError::Invalid { .. } | PricingError::Policy(_) => Status::invalid_argument(e.to_string()),
            PricingError::NotFound(_) => Status::not_found(e.to_string()),
            PricingError::Lagged(_) => Status::data_loss(e.to_string()),
        }
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> PricingError {
    PricingError::Invalid { field: field.to_owned(), reason: reason.into() }
}

/// The pricing service (cheap to clone).
#[derive(Clone, Debug)]
pub struct PricingService {
    city: Arc<City>,
    live: LiveCity,
    shutdown: Option<tokio::sync::watch::Receiver<bool>>,
    upstream: Option<PricingClient<Channel>>,
}

impl PricingService {
    /// A service over the live state of `city`.
    pub fn new(city: Arc<City>, live: LiveCity) -> Self {
        PricingService { city, live, shutdown: None, upstream: None }
    }

    /// A replica: prices come from `live`, which a mirror keeps in step with the
    /// stream node, and policy reads and changes go to the stream node's pricing
    /// service at `upstream`, which owns the policy store.
    pub fn with_upstream(mut self, upstream: PricingClient<Channel>) -> Self {
        self.upstream = Some(upstream);
        self
    }

    /// Ends every open watch stream when `shutdown` turns true, so that a
    /// graceful server shutdown does not wait for watchers forever.
    pub fn with_shutdown(mut self, shutdown: tokio::sync::watch::Receiver<bool>) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    fn currency(&self) -> String {
        self.live.policies(|p| p.latest().policy.currency.clone())
    }

    fn money(&self, cents: Cents) -> Money {
        Money { cents: cents.0, currency: self.currency() }
    }

    fn segment(&self, field: &str, id: u64) -> Result<SegmentId, PricingError> {
        u32::try_from(id)
            .ok()
            .map(SegmentId)
            .filter(|s| self.city.network.segment(*s).is_some())
            .ok_or_else(|| invalid(field, format!("{id} is not a road segment of {}", self.city.name)))
    }

    /// The price of one segment, with the figures that set it.
    pub fn price(&self, segment: SegmentId) -> Price {
        let seg = &self.city.network.segments()[segment.index()];
        let currency = self.currency();
        let floor = self.live.policies(|p| p.latest().policy.rule.floor());
        self.live.read(|s| match s.segments.get(&segment) {
            Some(l) => live_price(segment, l, seg.free_flow.0, currency),
            // Never observed: the floor of the current policy.
            None => Price {
                segment_id: u64::from(segment.0),
                price: Some(Money { cents: floor.0, currency }),
                minute_start_ms: 0,
                avg_speed_mps: 0.0,
                free_flow_speed_mps: seg.free_flow.0,
                vehicles: 0,
                policy_version: 0,
                ..Price::default()
            },
        })
    }

    /// An express-lane zone's price: its latest review, or the minimum before any.
    fn zone_price(&self, zone: &str) -> Result<Price, PricingError> {
        let minute = self.live.first_open_minute();
        let express = self.live.policies(|p| p.active_at(minute).policy.express_lanes.clone());
        let Some((express, z)) =
            express.and_then(|e| e.zones.iter().find(|z| z.name == zone).cloned().map(|z| (e, z)))
        else {
            return Err(PricingError::NotFound(format!(
                "zone_id: {zone:?} is not an express-lane zone of the active policy"
            )));
        };
        let first = z.segments[0];
        let currency = self.currency();
        let live = self.live.read(|s| s.express.get(zone).copied());
        Ok(Price {
            segment_id: u64::from(first.0),
            price: Some(Money { cents: live.map_or(express.min.0, |l| l.price.0), currency }),
            minute_start_ms: live.map_or(0, |l| l.minute.start().0),
            avg_speed_mps: 0.0,
            free_flow_speed_mps: self.city.network.segments()[first.index()].free_flow.0,
            vehicles: 0,
            policy_version: live.map_or(0, |l| l.policy_version),
            zone_id: zone.to_owned(),
            density_veh_per_lane_mile: live.map_or(0.0, |l| l.density_milli as f64 / 1_000.0),
        })
    }

    fn get_price_inner(&self, req: GetPriceRequest) -> Result<Price, PricingError> {
        match req.target {
            None => Err(invalid("target", "name a segment_id or a zone_id")),
            Some(Target::SegmentId(id)) => Ok(self.price(self.segment("segment_id", id)?)),
            Some(Target::ZoneId(zone)) => self.zone_price(&zone),
        }
    }

    fn quote_inner(&self, req: QuoteRouteRequest) -> Result<RouteQuote, PricingError> {
        if req.segment_ids.is_empty() {
            return Err(invalid("segment_ids", "name at least one segment"));
        }
        if req.segment_ids.len() > MAX_QUOTE_SEGMENTS {
            return Err(invalid(
                "segment_ids",
                format!("{} segments; at most {MAX_QUOTE_SEGMENTS}", req.segment_ids.len()),
            ));
        }
        let mut segments = Vec::with_capacity(req.segment_ids.len());
        let mut total = Cents::ZERO;
        for (i, id) in req.segment_ids.iter().enumerate() {
            let p = self.price(self.segment(&format!("segment_ids[{i}]"), *id)?);
            total = total + Cents(p.price.as_ref().map_or(0, |m| m.cents));
            segments.push(p);
        }
        Ok(RouteQuote { total: Some(self.money(total)), segments })
    }

    fn set_policy_inner(&self, req: SetPolicyRequest) -> Result<PolicyRecord, PricingError> {
        let policy = policy_from_proto(req.policy.ok_or_else(|| invalid("policy", "is required"))?)?;
        if let Some(cordon) = &policy.cordon
            && let Some(i) = cordon.zone.iter().position(|p| !self.city.area.contains(*p))
        {
            let p = cordon.zone[i];
            return Err(invalid(
                &format!("cordon.zone[{i}]"),
                format!(
                    "({}, {}) lies outside {}; a cordon zone must lie in the city",
                    p.lat, p.lon, self.city.name
                ),
            ));
        }
        if let Some(express) = &policy.express_lanes {
            express.validate(Some(&self.city.network))?;
        }
        let earliest = self.live.first_open_minute();
        let from = if req.effective_from_ms == 0 {
            earliest
        } else if req.effective_from_ms < 0 {
            return Err(invalid("effective_from_ms", "must not be negative"));
        } else {
            // A policy takes effect at a minute boundary: round up.
            Minute(req.effective_from_ms.div_euclid(60_000) + i64::from(req.effective_from_ms % 60_000 != 0))
        };
        let version =
            self.live.policies_mut(|store| store.set(policy, &req.author, from, earliest).cloned())?;
        info!(version = version.version, author = %version.author, from_minute = version.effective_from.0, "Pricing policy set.");
        Ok(record(&version))
    }
}

impl PricingService {
    /// A response stream: `first`, then each item of the broadcast `rx` that
    /// `map` keeps. It ends with `DATA_LOSS` when the receiver falls behind the
    /// bounded feed, and with `UNAVAILABLE` when the service shuts down (after
    /// the items published before the shutdown).
    fn feed<T, U>(
        &self,
        mut rx: tokio::sync::broadcast::Receiver<T>,
        first: Vec<U>,
        mut map: impl FnMut(T) -> Option<U> + Send + 'static,
    ) -> ResultStream<U>
    where
        T: Clone + Send + 'static,
        U: Send + 'static,
    {
        let mut shutdown = self.shutdown.clone();
        async_stream(move |tx| async move {
            for item in first {
                if tx.send(Ok(item)).await.is_err() {
                    return;
                }
            }
            loop {
                let next = tokio::select! {
                    biased;
                    next = rx.recv() => next,
                    _ = stopped(shutdown.as_mut()) => {
                        // Deliver what was published before the shutdown, then say why the stream ends.
                        while let Ok(item) = rx.try_recv() {
                            if let Some(out) = map(item)
                                && tx.send(Ok(out)).await.is_err()
                            {
                                return;
                            }
                        }
                        let _ = tx.send(Err(Status::unavailable("the pricing service is shutting down"))).await;
                        return;
                    }
                };
                let item = match next {
                    Ok(item) => item,
                    Err(RecvError::Closed) => return,
                    Err(RecvError::Lagged(n)) => {
                        warn!(lagged = n, "Watcher fell behind the live feed.");
                        let _ = tx.send(Err(PricingError::Lagged(n).into())).await;
                        return;
                    }
                };
                if let Some(out) = map(item)
                    && tx.send(Ok(out)).await.is_err()
                {
                    return;
                }
            }
        })
    }
}

/// Converts a wire policy, naming the field at fault.
pub fn policy_from_proto(p: pb::Policy) -> Result<Policy, PricingError> {
    let rule = match p.rule {
        None => return Err(invalid("policy.rule", "name a rule (speed_band, class_bands or marginal_cost)")),
        Some(pb::policy::Rule::SpeedBand(b)) => PricingRule::SpeedBand(SpeedBandPolicy {
            target_speed_fraction: b.target_speed_fraction,
            step: Cents(b.step_cents),
            floor: Cents(b.floor_cents),
            cap: Cents(b.cap_cents),
            window_minutes: if b.window_minutes == 0 { 5 } else { b.window_minutes },
        }),
        Some(pb::policy::Rule::ClassBands(b)) => {
            let mut bands = std::collections::BTreeMap::new();
            for (i, band) in b.bands.iter().enumerate() {
                let class = RoadClass::from_osm(&band.road_class)
                    .filter(|c| c.as_str() == band.road_class)
                    .ok_or_else(|| {
                    invalid(
                        &format!("class_bands.bands[{i}].road_class"),
                        format!("{:?} is not a road class (motorway … service)", band.road_class),
                    )
                })?;
                if bands.insert(class, (band.min_kmh, band.max_kmh)).is_some() {
                    return Err(invalid(
                        &format!("class_bands.bands[{i}].road_class"),
                        format!("{class} has two bands; give each class one"),
                    ));
                }
            }
            PricingRule::ClassBands(ClassBandPolicy {
                bands,
                step: Cents(b.step_cents),
                floor: Cents(b.floor_cents),
                cap: Cents(b.cap_cents),
                review_minutes: b.review_minutes,
            })
        }
        Some(pb::policy::Rule::MarginalCost(m)) => PricingRule::MarginalCost(MarginalCostPolicy {
            value_of_time_cents_per_hour: m.value_of_time_cents_per_hour,
            cap: Cents(m.cap_cents),
            flow_window_minutes: if m.flow_window_minutes == 0 { 5 } else { m.flow_window_minutes },
        }),
    };
    let parking = match p.parking {
        None => ParkingPolicy::default(),
        Some(k) => ParkingPolicy {
            high_occupancy: k.high_occupancy,
            low_occupancy: k.low_occupancy,
            step_per_hour: Cents(k.step_cents_per_hour),
            min_per_hour: Cents(k.min_cents_per_hour),
            max_per_hour: Cents(k.max_cents_per_hour),
            initial_per_hour: Cents(k.initial_cents_per_hour),
            review_minutes: k.review_minutes,
        },
    };
    let cordon = p.cordon.map(|c| CordonPolicy {
        name: c.name,
        zone: c.zone.iter().map(|p| omnibus_core::LatLon::new(p.lat, p.lon)).collect(),
        schedule: c
            .schedule
            .iter()
            .map(|p| ChargePeriod {
                from_minute: p.from_minute,
                to_minute: p.to_minute,
                charge: Cents(p.charge_cents),
            })
            .collect(),
        daily_cap: Cents(c.daily_cap_cents),
        single_charge_minutes: c.single_charge_minutes,
        utc_offset_minutes: c.utc_offset_minutes,
    });
    let express_lanes = p.express_lanes.map(|e| {
        let d = ExpressLanePolicy::mnpass(Vec::new());
        let or = |v: f64, default: f64| if v == 0.0 { default } else { v };
        let or_u = |v: u32, default: u32| if v == 0 { default } else { v };
        let or_c = |v: i64, default: Cents| if v == 0 { default } else { Cents(v) };
        ExpressLanePolicy {
            zones: e
                .zones
                .into_iter()
                .map(|z| ExpressZone {
                    name: z.name,
                    segments: z
                        .segment_ids
                        .iter()
                        .map(|id| SegmentId(u32::try_from(*id).unwrap_or(u32::MAX)))
                        .collect(),
                })
                .collect(),
            coefficient: or(e.coefficient, d.coefficient),
            exponent: or(e.exponent, d.exponent),
            review_minutes: or_u(e.review_minutes, d.review_minutes),
            window_minutes: or_u(e.window_minutes, d.window_minutes),
            rounding: or_c(e.rounding_cents, d.rounding),
            min: or_c(e.min_cents, d.min),
            max: or_c(e.max_cents, d.max),
        }
    });
    let policy = Policy { rule, parking, cordon, express_lanes, currency: p.currency };
    policy.validate()?;
    Ok(policy)
}

/// Converts a policy version to the wire.
pub fn record(v: &PolicyVersion) -> PolicyRecord {
    let rule = match &v.policy.rule {
        PricingRule::SpeedBand(b) => pb::policy::Rule::SpeedBand(pb::SpeedBandPolicy {
            target_speed_fraction: b.target_speed_fraction,
            step_cents: b.step.0,
            floor_cents: b.floor.0,
            cap_cents: b.cap.0,
            window_minutes: b.window_minutes,
        }),
        PricingRule::ClassBands(b) => pb::policy::Rule::ClassBands(pb::ClassBandPolicy {
            bands: b
                .bands
                .iter()
                .map(|(class, (lo, hi))| pb::ClassBand {
                    road_class: class.as_str().to_owned(),
                    min_kmh: *lo,
                    max_kmh: *hi,
                })
                .collect(),
            step_cents: b.step.0,
            floor_cents: b.floor.0,
            cap_cents: b.cap.0,
            review_minutes: b.review_minutes,
        }),
        PricingRule::MarginalCost(m) => pb::policy::Rule::MarginalCost(pb::MarginalCostPolicy {
            value_of_time_cents_per_hour: m.value_of_time_cents_per_hour,
            cap_cents: m.cap.0,
            flow_window_minutes: m.flow_window_minutes,
        }),
    };
    PolicyRecord {
        version: v.version,
        policy: Some(pb::Policy {
            rule: Some(rule),
            parking: Some(pb::ParkingPolicy {
                high_occupancy: v.policy.parking.high_occupancy,
                low_occupancy: v.policy.parking.low_occupancy,
                step_cents_per_hour: v.policy.parking.step_per_hour.0,
                min_cents_per_hour: v.policy.parking.min_per_hour.0,
                max_cents_per_hour: v.policy.parking.max_per_hour.0,
                initial_cents_per_hour: v.policy.parking.initial_per_hour.0,
                review_minutes: v.policy.parking.review_minutes,
            }),
            express_lanes: v.policy.express_lanes.as_ref().map(|e| pb::ExpressLanePolicy {
                zones: e
                    .zones
                    .iter()
                    .map(|z| pb::ExpressZone {
                        name: z.name.clone(),
                        segment_ids: z.segments.iter().map(|s| u64::from(s.0)).collect(),
                    })
                    .collect(),
                coefficient: e.coefficient,
                exponent: e.exponent,
                review_minutes: e.review_minutes,
                window_minutes: e.window_minutes,
                rounding_cents: e.rounding.0,
                min_cents: e.min.0,
                max_cents: e.max.0,
            }),
            cordon: v.policy.cordon.as_ref().map(|c| pb::CordonPolicy {
                name: c.name.clone(),
                zone: c.zone.iter().map(|p| pb::LatLon { lat: p.lat, lon: p.lon }).collect(),
                schedule: c
                    .schedule
                    .iter()
                    .map(|p| pb::ChargePeriod {
                        from_minute: p.from_minute,
                        to_minute: p.to_minute,
                        charge_cents: p.charge.0,
                    })
                    .collect(),
                daily_cap_cents: c.daily_cap.0,
                single_charge_minutes: c.single_charge_minutes,
                utc_offset_minutes: c.utc_offset_minutes,
            }),
            currency: v.policy.currency.clone(),
        }),
        author: v.author.clone(),
        effective_from_ms: if v.effective_from.0 == i64::MIN { 0 } else { v.effective_from.start().0 },
    }
}

/// The wire form of a segment's live figures.
pub fn live_price(segment: SegmentId, l: &SegmentLive, free_flow_mps: f64, currency: String) -> Price {
    Price {
        segment_id: u64::from(segment.0),
        price: Some(Money { cents: l.price.0, currency }),
        minute_start_ms: l.minute.start().0,
        avg_speed_mps: l.window_speed.map_or(0.0, |v| v.0),
        free_flow_speed_mps: free_flow_mps,
        vehicles: l.vehicles,
        policy_version: l.policy_version,
        ..Price::default()
    }
}

/// The live figures a wire price carries (the inverse of [`live_price`]).
pub fn segment_live(p: &Price) -> SegmentLive {
    SegmentLive {
        minute: omnibus_core::EventTime(p.minute_start_ms).minute(),
        vehicles: p.vehicles,
        loop_count: 0,
        window_speed: (p.avg_speed_mps > 0.0).then_some(omnibus_core::MetersPerSecond(p.avg_speed_mps)),
        price: Cents(p.price.as_ref().map_or(0, |m| m.cents)),
        policy_version: p.policy_version,
    }
}

type ResultStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;
type PriceStream = ResultStream<PriceChange>;

#[tonic::async_trait]
impl Pricing for PricingService {
    async fn get_price(&self, request: Request<GetPriceRequest>) -> Result<Response<Price>, Status> {
        Ok(Response::new(self.get_price_inner(request.into_inner())?))
    }

    async fn quote_route(&self, request: Request<QuoteRouteRequest>) -> Result<Response<RouteQuote>, Status> {
        Ok(Response::new(self.quote_inner(request.into_inner())?))
    }

    type WatchPricesStream = PriceStream;

    async fn watch_prices(
        &self,
        request: Request<WatchPricesRequest>,
    ) -> Result<Response<Self::WatchPricesStream>, Status> {
        let mut wanted = HashSet::new();
        for (i, id) in request.into_inner().segment_ids.into_iter().enumerate() {
            wanted.insert(self.segment(&format!("segment_ids[{i}]"), id)?);
        }
        let currency = self.currency();
        let stream = self.feed(self.live.subscribe(), Vec::new(), move |change: LivePriceChange| {
            (wanted.is_empty() || wanted.contains(&change.segment)).then(|| PriceChange {
                segment_id: u64::from(change.segment.0),
                old_price: Some(Money { cents: change.old.0, currency: currency.clone() }),
                new_price: Some(Money { cents: change.new.0, currency: currency.clone() }),
                minute_start_ms: change.minute.start().0,
                policy_version: change.policy_version,
            })
        });
        Ok(Response::new(stream))
    }

    type WatchSegmentsStream = ResultStream<Price>;

    async fn watch_segments(
        &self,
        request: Request<WatchSegmentsRequest>,
    ) -> Result<Response<Self::WatchSegmentsStream>, Status> {
        // Subscribe before the snapshot so that no update falls between them.
        let rx = self.live.subscribe_segments();
        let snapshot: Vec<Price> = if request.into_inner().snapshot {
            let currency = self.currency();
            let net = &self.city.network;
            self.live.read(|s| {
                let mut all: Vec<_> = s.segments.iter().collect();
                all.sort_by_key(|(id, _)| **id);
                all.into_iter()
                    .map(|(id, l)| {
                        live_price(*id, l, net.segments()[id.index()].free_flow.0, currency.clone())
                    })
                    .collect()
            })
        } else {
            Vec::new()
        };
        let me = self.clone();
        let stream = self.feed(rx, snapshot, move |(id, l): (SegmentId, SegmentLive)| {
            let ff = me.city.network.segments()[id.index()].free_flow.0;
            Some(live_price(id, &l, ff, me.currency()))
        });
        Ok(Response::new(stream))
    }

    async fn get_cordon(&self, _request: Request<GetCordonRequest>) -> Result<Response<CordonState>, Status> {
        let minute = self.live.first_open_minute();
        let Some(cordon) = self.live.policies(|p| p.active_at(minute).policy.cordon.clone()) else {
            return Err(PricingError::NotFound("no cordon is in force".into()).into());
        };
        let (stats, closed) = self.live.read(|s| (s.cordon, s.latest_minute));
        Ok(Response::new(CordonState {
            name: cordon.name.clone(),
            // Unknown until the stream job has closed a minute.
            charge_now: closed.map(|_| self.money(cordon.charge_at(minute.start()))),
            passages: stats.passages,
            charged: stats.charged,
            revenue: Some(self.money(stats.revenue)),
        }))
    }

    async fn get_parking(
        &self,
        request: Request<GetParkingRequest>,
    ) -> Result<Response<ParkingState>, Status> {
        let id = request.into_inner().facility_id;
        let Some(site) = self.city.registry.parking.get(&id) else {
            return Err(invalid(
                "facility_id",
                format!("{id:?} is not a parking facility of {}", self.city.name),
            )
            .into());
        };
        let initial = self.live.policies(|p| p.latest().policy.parking.initial_per_hour);
        let state = self.live.read(|s| s.parking.get(&id).copied());
        Ok(Response::new(match state {
            Some(p) => ParkingState {
                facility_id: id,
                occupied: p.occupied,
                capacity: p.capacity,
                reported_at_ms: p.time.0,
                price_per_hour: Some(self.money(p.price_per_hour)),
            },
            None => ParkingState {
                facility_id: id,
                occupied: 0,
                capacity: site.capacity,
                reported_at_ms: 0,
                price_per_hour: Some(self.money(initial)),
            },
        }))
    }

    async fn get_policy(&self, request: Request<GetPolicyRequest>) -> Result<Response<PolicyRecord>, Status> {
        if let Some(mut upstream) = self.upstream.clone() {
            return upstream.get_policy(request.into_inner()).await;
        }
        Ok(Response::new(self.live.policies(|p| record(p.latest()))))
    }

    async fn policy_history(
        &self,
        request: Request<GetPolicyRequest>,
    ) -> Result<Response<PolicyHistoryResponse>, Status> {
        if let Some(mut upstream) = self.upstream.clone() {
            return upstream.policy_history(request.into_inner()).await;
        }
        let versions = self.live.policies(|p| p.history().iter().map(record).collect());
        Ok(Response::new(PolicyHistoryResponse { versions }))
    }

    async fn set_policy(&self, request: Request<SetPolicyRequest>) -> Result<Response<PolicyRecord>, Status> {
        if let Some(mut upstream) = self.upstream.clone() {
            return upstream.set_policy(request.into_inner()).await;
        }
        Ok(Response::new(self.set_policy_inner(request.into_inner())?))
    }
}

/// Resolves when the shutdown signal turns true (never without one).
async fn stopped(shutdown: Option<&mut tokio::sync::watch::Receiver<bool>>) {
    match shutdown {
        Some(s) => {
            let _ = s.wait_for(|stop| *stop).await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// A stream fed by a task through a bounded channel.
fn async_stream<T, F, Fut>(body: F) -> ResultStream<T>
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<Result<T, Status>>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    tokio::spawn(body(tx));
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
}

/// Serves `service` on `listener` (with health and reflection) until `shutdown`.
pub async fn run(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    service: PricingService,
) -> Result<(), tonic::transport::Error> {
    let (reporter, router) = omnibus_proto::serving::router();
    reporter.set_serving::<PricingServer<PricingService>>().await;
    let router = router.add_service(
        PricingServer::new(service).max_decoding_message_size(omnibus_proto::serving::MAX_MESSAGE_BYTES),
    );
    omnibus_proto::serving::serve(router, listener, shutdown).await
}
