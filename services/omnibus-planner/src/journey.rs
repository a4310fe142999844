//! Multimodal journeys: walking, cycling, bike-share, the car with live
//! congestion, tolls and parking, public transport reached on foot, by bike
//! or by car (park-and-ride), all in one answer: the itineraries no other
//! beats on arrival time, money and transfers together.
//!
//! One query runs a handful of bounded street searches (on foot from the
//! origin and to the destination, by bike, by bike-share), the car search
//! for the direct drive and for each park-and-ride facility tried, and one
//! McRAPTOR over every way in to the network (each with its time and its
//! money) and every way out.

use crate::car::{CarItinerary, CarPlanner, value_of_time};
use crate::co2;
use crate::error::PlanError;
use crate::transit::{Day, TransitNetwork};
use omnibus_core::geo_util::encode_polyline;
use omnibus_core::streets::{BIKE_MPS, StreetGraph, StreetMode, StreetSearch, WALK_MPS};
use omnibus_core::{Cents, EventTime, LatLon, SegmentId};
use omnibus_transit::gtfs;
use omnibus_transit::mcraptor::{Access, Egress, Options, Step};
use std::cell::RefCell;
use std::sync::Arc;

/// Farthest the origin or destination may be from a street, metres.
pub const MAX_STREET_SNAP_M: f64 = 1_000.0;
/// Longest walk offered as a journey of its own, metres.
pub const MAX_DIRECT_WALK_M: f64 = 3_000.0;
/// Seconds to take a shared bike from its dock, and to return it.
pub const BIKE_SHARE_DOCK_S: f64 = 60.0;
/// Seconds to lock one's own bike at a stop.
pub const BIKE_PARK_S: f64 = 120.0;
/// Seconds from parking the car to walking off.
pub const CAR_PARK_S: f64 = 180.0;
/// A parking facility at most this far from the destination is used, metres.
pub const MAX_PARKING_WALK_M: f64 = 600.0;
/// Park-and-ride facilities tried per query.
pub const PARK_AND_RIDE_TRIED: usize = 3;

/// What the traveller wants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preferences {
    /// Longest walk to, from or between stops and stations, metres.
    pub max_walk_m: f64,
    /// Longest ride on one's own or a shared bike, metres.
    pub max_bike_m: f64,
    /// Value of time, cents per hour (0: the default).
    pub value_of_time_cents_per_hour: i64,
    /// Only stops and trips not marked inaccessible by wheelchair, and no
    /// bike or car legs.
    pub wheelchair: bool,
    /// Most transfers between trips.
    pub max_transfers: u32,
    /// Hours the car stays parked, for the parking price.
    pub parking_hours: f64,
}

impl Default for Preferences {
    fn default() -> Preferences {
        Preferences {
            max_walk_m: 1_000.0,
            max_bike_m: 8_000.0,
            value_of_time_cents_per_hour: 0,
            wheelchair: false,
            max_transfers: 3,
            parking_hours: 2.0,
        }
    }
}

/// The ways of travelling a query may combine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Modes {
    /// Walking all the way.
    pub walk: bool,
    /// Cycling all the way on one's own bike.
    pub bike: bool,
    /// A shared bike between two stations, walking to and from them.
    pub bike_share: bool,
    /// Public transport, walking to, from and between stops.
    pub transit: bool,
    /// Driving all the way, parking at the destination.
    pub car: bool,
    /// Driving to a parking facility near a stop, then public transport.
    pub park_and_ride: bool,
    /// Cycling to a stop and leaving the bike there, then public transport.
    pub bike_and_ride: bool,
}

impl Modes {
    /// Every combination.
    pub fn all() -> Modes {
        Modes {
            walk: true,
            bike: true,
            bike_share: true,
            transit: true,
            car: true,
            park_and_ride: true,
            bike_and_ride: true,
        }
    }
}

/// A journey to plan.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JourneyRequest {
    /// Start.
    pub origin: LatLon,
    /// End.
    pub destination: LatLon,
    /// Departure.
    pub depart: EventTime,
    /// Allowed ways of travelling.
    pub modes: Modes,
    /// Preferences.
    pub preferences: Preferences,
}

/// How a leg is travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LegMode {
    /// On foot.
    Walk,
    /// One's own bike.
    Bike,
    /// A shared bike.
    BikeShare,
    /// A car.
    Car,
    /// A public-transport vehicle.
    Transit,
}

impl LegMode {
    /// A short lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            LegMode::Walk => "walk",
            LegMode::Bike => "bike",
            LegMode::BikeShare => "bike-share",
            LegMode::Car => "car",
            LegMode::Transit => "transit",
        }
    }
}

/// What a leg's money pays for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charge {
    /// Nothing.
    None,
    /// A public-transport fare.
    Fare,
    /// Road tolls.
    Toll,
    /// Parking.
    Parking,
    /// Bike-share use.
    BikeShare,
}

/// One leg.
#[derive(Clone, Debug, PartialEq)]
pub struct Leg {
    /// How.
    pub mode: LegMode,
    /// Leaves.
    pub depart: EventTime,
    /// Arrives.
    pub arrive: EventTime,
    /// Length, metres.
    pub distance_m: f64,
    /// Where it starts (a stop, a station, a car park, "origin").
    pub from: String,
    /// Where it ends.
    pub to: String,
    /// Transit: the route's name.
    pub route: String,
    /// Transit: GTFS `route_type`.
    pub route_type: Option<u16>,
    /// Transit: the trip's id.
    pub trip: String,
    /// Transit: the stops called at, boarding and alighting included.
    pub stops: Vec<String>,
    /// Geometry, encoded polyline (precision 5).
    pub polyline: String,
    /// Money paid for the leg.
    pub money: Cents,
    /// What for.
    pub charge: Charge,
    /// Grams of CO2-equivalent.
    pub co2_g: i64,
    /// Car: the road segments driven.
    pub segments: Vec<SegmentId>,
    /// Car: seconds at free-flow speeds.
    pub free_flow_s: f64,
}

impl Leg {
    fn new(mode: LegMode, depart: EventTime, arrive: EventTime, from: &str, to: &str) -> Leg {
        Leg {
            mode,
            depart,
            arrive,
            distance_m: 0.0,
            from: from.to_owned(),
            to: to.to_owned(),
            route: String::new(),
            route_type: None,
            trip: String::new(),
            stops: Vec::new(),
            polyline: String::new(),
            money: Cents::ZERO,
            charge: Charge::None,
            co2_g: 0,
            segments: Vec::new(),
            free_flow_s: 0.0,
        }
    }

    fn with_geometry(mut self, points: &[LatLon]) -> Leg {
        self.distance_m = points.windows(2).map(|w| w[0].distance_m(w[1])).sum();
        self.polyline = encode_polyline(points);
        self
    }
}

/// A whole journey.
#[derive(Clone, Debug, PartialEq)]
pub struct Itinerary {
    /// Legs in order.
    pub legs: Vec<Leg>,
    /// Fares.
    pub fare: Cents,
    /// Tolls.
    pub toll: Cents,
    /// Parking.
    pub parking: Cents,
    /// Bike-share use.
    pub bike_share: Cents,
    /// Transfers between public-transport trips.
    pub transfers: u32,
    /// Grams of CO2-equivalent.
    pub co2_g: i64,
    /// Metres walked.
    pub walk_m: f64,
    /// No itinerary of any way of travelling beats it on arrival, money and
    /// transfers together.
    pub pareto_optimal: bool,
}

impl Itinerary {
    fn from_legs(legs: Vec<Leg>) -> Itinerary {
        let sum = |c: Charge| legs.iter().filter(|l| l.charge == c).map(|l| l.money).sum();
        let rides = legs.iter().filter(|l| l.mode == LegMode::Transit).count() as u32;
        Itinerary {
            fare: sum(Charge::Fare),
            toll: sum(Charge::Toll),
            parking: sum(Charge::Parking),
            bike_share: sum(Charge::BikeShare),
            transfers: rides.saturating_sub(1),
            co2_g: legs.iter().map(|l| l.co2_g).sum(),
            walk_m: legs.iter().filter(|l| l.mode == LegMode::Walk).map(|l| l.distance_m).sum(),
            pareto_optimal: false,
            legs,
        }
    }

    /// The way of travelling: `walk`, `bike`, `bike-share`, `car`,
    /// `transit`, `park-and-ride` or `bike-and-ride`.
    pub fn family(&self) -> &'static str {
        let has = |m: LegMode| self.legs.iter().any(|l| l.mode == m);
        match (has(LegMode::Transit), self.legs.first().map(|l| l.mode)) {
            (true, Some(LegMode::Car)) => "park-and-ride",
            (true, Some(LegMode::Bike)) => "bike-and-ride",
            (true, _) => "transit",
            _ if has(LegMode::Car) => "car",
            _ if has(LegMode::BikeShare) => "bike-share",
            _ if has(LegMode::Bike) => "bike",
            _ => "walk",
        }
    }

    /// Departure.
    pub fn depart(&self) -> EventTime {
        self.legs.first().map_or(EventTime(0), |l| l.depart)
    }

    /// Arrival.
    pub fn arrive(&self) -> EventTime {
        self.legs.last().map_or(EventTime(0), |l| l.arrive)
    }

    /// Money in all.
    pub fn money(&self) -> Cents {
        self.fare + self.toll + self.parking + self.bike_share
    }

    /// Metres travelled.
    pub fn distance_m(&self) -> f64 {
        self.legs.iter().map(|l| l.distance_m).sum()
    }

    /// The modes in order, as `walk + transit 343 + walk`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for l in &self.legs {
            let p = match l.mode {
                LegMode::Transit => format!("transit {}", l.route),
                m => m.as_str().to_owned(),
            };
            if parts.last() != Some(&p) {
                parts.push(p);
            }
        }
        parts.join(" + ")
    }

    /// Whether `self` is at least as good as `other` on arrival, money and
    /// transfers.
    fn covers(&self, other: &Itinerary) -> bool {
        self.arrive() <= other.arrive() && self.money() <= other.money() && self.transfers <= other.transfers
    }
}

/// A planned journey: per way of travelling its Pareto-optimal itineraries,
/// earliest arrival first, those on the overall front marked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Itineraries.
    pub itineraries: Vec<Itinerary>,
    /// The timetable's date where it differs from the travel date.
    pub timetable_date: Option<u32>,
    /// Remarks for the traveller (substituted timetables, assumed prices).
    pub notes: Vec<String>,
}

/// Bike-share prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BikeSharePrices {
    /// To unlock a bike.
    pub unlock: Cents,
    /// Per started half hour.
    pub per_half_hour: Cents,
}

impl Default for BikeSharePrices {
    /// BikePoA's single-ride price in 2019 (R$ 5,00 for an hour), as one unlock.
    fn default() -> BikeSharePrices {
        BikeSharePrices { unlock: Cents(500), per_half_hour: Cents(0) }
    }
}

/// A place on the streets: its name and its walk and bike nodes.
#[derive(Clone, Debug)]
struct Place {
    id: String,
    name: String,
    pos: LatLon,
    walk: Option<(u32, f64)>,
    bike: Option<(u32, f64)>,
}

/// Plans multimodal journeys on a city. Cheap to clone.
#[derive(Clone, Debug)]
pub struct JourneyPlanner {
    /// Car routes on live speeds and tolls.
    pub car: CarPlanner,
    /// Public transport, where the city has it.
    pub transit: Option<Arc<TransitNetwork>>,
    /// Bike-share prices.
    pub bike_share: BikeSharePrices,
    stations: Arc<Vec<Place>>,
    parking: Arc<Vec<Place>>,
}

/// Street search state reused by every query on a thread.
#[derive(Default)]
struct Searches {
    from_origin: StreetSearch,
    to_destination: StreetSearch,
    bike: StreetSearch,
    shared: StreetSearch,
    park: StreetSearch,
}

thread_local! {
    static SEARCHES: RefCell<Searches> = RefCell::new(Searches::default());
}

/// Local time of an instant: `(date, seconds after midnight, midnight as an instant)`.
fn local(t: EventTime, utc_offset_s: i32) -> (u32, u32, EventTime) {
    let secs = t.0.div_euclid(1_000) + i64::from(utc_offset_s);
    let day = secs.div_euclid(86_400);
    let midnight = EventTime((day * 86_400 - i64::from(utc_offset_s)) * 1_000);
    (gtfs::add_days(19_700_101, day), secs.rem_euclid(86_400) as u32, midnight)
}

fn after(t: EventTime, secs: f64) -> EventTime {
    t.plus_ms((secs * 1_000.0).round() as i64)
}

impl JourneyPlanner {
    /// A planner over `car`'s city with its bike-share stations and parking
    /// facilities, and `transit` where given.
    pub fn new(car: CarPlanner, transit: Option<Arc<TransitNetwork>>) -> JourneyPlanner {
        let streets = &car.city.streets;
        let place = |id: &String, site: &omnibus_core::registry::Site| Place {
            id: id.clone(),
            name: site.name.clone().unwrap_or_else(|| id.clone()),
            pos: site.pos,
            walk: streets.nearest(site.pos, StreetMode::Walk, MAX_STREET_SNAP_M),
            bike: streets.nearest(site.pos, StreetMode::Bike, MAX_STREET_SNAP_M),
        };
        let stations = car.city.registry.bike_stations.iter().map(|(id, s)| place(id, s)).collect();
        let parking = car.city.registry.parking.iter().map(|(id, s)| place(id, s)).collect();
        JourneyPlanner {
            car,
            transit,
            bike_share: BikeSharePrices::default(),
            stations: Arc::new(stations),
            parking: Arc::new(parking),
        }
    }

    fn streets(&self) -> &StreetGraph {
        &self.car.city.streets
    }

    fn snap(&self, field: &'static str, pos: LatLon, mode: StreetMode) -> Result<(u32, f64), PlanError> {
        // The car planner's checks: a real position, inside the city, near a road.
        self.car.snap(field, pos)?;
        self.streets().nearest(pos, mode, MAX_STREET_SNAP_M).ok_or(PlanError::TooFarFromRoad {
            field,
            distance_m: MAX_STREET_SNAP_M,
            max_m: MAX_STREET_SNAP_M,
        })
    }

    /// The points of a street path, with the true ends added.
    fn path_points(&self, start: LatLon, nodes: &[u32], end: LatLon) -> Vec<LatLon> {
        let mut pts = vec![start];
        pts.extend(nodes.iter().map(|n| self.streets().pos(*n)));
        pts.push(end);
        pts
    }

    /// The Pareto-optimal itineraries of `request`.
    pub fn plan(&self, request: &JourneyRequest) -> Result<Plan, PlanError> {
        let prefs = request.preferences;
        let vot = value_of_time(prefs.value_of_time_cents_per_hour)?;
        if !(prefs.max_walk_m.is_finite() && prefs.max_walk_m >= 0.0) {
            return Err(PlanError::invalid(
                "preferences.max_walk_m",
                "must be a distance in metres, 0 or more",
            ));
        }
        if !(prefs.parking_hours.is_finite() && (0.0..=72.0).contains(&prefs.parking_hours)) {
            return Err(PlanError::invalid("preferences.parking_hours", "must lie within 0 to 72 hours"));
        }
        let mut modes = request.modes;
        if prefs.wheelchair {
            (modes.bike, modes.bike_share, modes.bike_and_ride) = (false, false, false);
        }
        let (o, o_m) = self.snap("origin", request.origin, StreetMode::Walk)?;
        let (d, d_m) = self.snap("destination", request.destination, StreetMode::Walk)?;
        let mut plan = Plan::default();
        let mut found: Vec<Itinerary> = Vec::new();
        SEARCHES.with_borrow_mut(|s| -> Result<(), PlanError> {
            let walk_bound = prefs.max_walk_m.max(MAX_DIRECT_WALK_M) / WALK_MPS;
            s.from_origin.run(self.streets(), &[(o, o_m / WALK_MPS)], StreetMode::Walk, walk_bound);
            s.to_destination.run(self.streets(), &[(d, d_m / WALK_MPS)], StreetMode::Walk, walk_bound);
            let t0 = request.depart;
            // Walking all the way.
            if modes.walk
                && let Some(secs) = s.from_origin.secs(d)
                && secs * WALK_MPS <= MAX_DIRECT_WALK_M
            {
                let secs = secs + d_m / WALK_MPS;
                let pts = self.path_points(request.origin, &s.from_origin.path(d), request.destination);
                found.push(Itinerary::from_legs(vec![
                    Leg::new(LegMode::Walk, t0, after(t0, secs), "origin", "destination").with_geometry(&pts),
                ]));
            }
            // One's own bike all the way (and, for bike-and-ride, to the stops).
            let bike_from = self.streets().nearest(request.origin, StreetMode::Bike, MAX_STREET_SNAP_M);
            let bike_bound = prefs.max_bike_m / BIKE_MPS;
            if (modes.bike || modes.bike_and_ride)
                && let Some((b, b_m)) = bike_from
            {
                s.bike.run(self.streets(), &[(b, b_m / WALK_MPS)], StreetMode::Bike, bike_bound);
                if modes.bike
                    && let Some((bd, bd_m)) =
                        self.streets().nearest(request.destination, StreetMode::Bike, MAX_STREET_SNAP_M)
                    && let Some(secs) = s.bike.secs(bd)
                {
                    let secs = secs + bd_m / WALK_MPS;
                    let pts = self.path_points(request.origin, &s.bike.path(bd), request.destination);
                    found.push(Itinerary::from_legs(vec![
                        Leg::new(LegMode::Bike, t0, after(t0, secs), "origin", "destination")
                            .with_geometry(&pts),
                    ]));
                }
            }
            if modes.bike_share {
                found.extend(self.bike_share_itinerary(s, request));
            }
            if modes.car {
                let drive = self.car.plan_car(request.origin, request.destination, t0, vot)?;
                found.push(self.car_itinerary(s, request, drive, &mut plan.notes));
            }
            if (modes.transit || modes.park_and_ride || modes.bike_and_ride)
                && let Some(transit) = &self.transit
            {
                found.extend(self.transit_itineraries(
                    s,
                    request,
                    transit,
                    &modes,
                    &mut plan,
                    bike_from.is_some(),
                )?);
            }
            Ok(())
        })?;
        // Per way of travelling, the itineraries no other of that way beats on
        // arrival, money and transfers; marked where none at all beats them.
        found.sort_by_key(|i| (i.arrive(), i.money(), i.transfers, i.family()));
        let mut kept: Vec<Itinerary> = Vec::new();
        for i in found {
            if !kept.iter().any(|k| k.family() == i.family() && k.covers(&i)) {
                kept.push(i);
            }
        }
        for k in 0..kept.len() {
            kept[k].pareto_optimal =
                !kept.iter().enumerate().any(|(j, o)| j != k && o.covers(&kept[k]) && !kept[k].covers(o));
        }
        plan.itineraries = kept;
        Ok(plan)
    }

    fn bike_share_itinerary(&self, s: &mut Searches, request: &JourneyRequest) -> Option<Itinerary> {
        let prefs = request.preferences;
        let live = self.car.live.read(|state| {
            self.stations
                .iter()
                .map(|st| state.bikes.get(&st.id).map(|b| (b.bikes, b.docks)))
                .collect::<Vec<_>>()
        });
        // Stations without a live status are assumed usable.
        let has_bike = |i: usize| live[i].is_none_or(|(b, _)| b > 0);
        let has_dock = |i: usize| live[i].is_none_or(|(_, d)| d > 0);
        let walk_limit = prefs.max_walk_m / WALK_MPS;
        let mut sources = Vec::new();
        for (i, st) in self.stations.iter().enumerate() {
            if let (Some((w, w_m)), Some((b, b_m))) = (st.walk, st.bike)
                && has_bike(i)
                && let Some(secs) = s.from_origin.secs(w)
                && secs <= walk_limit
            {
                sources.push((b, secs + (w_m + b_m) / WALK_MPS + BIKE_SHARE_DOCK_S));
            }
        }
        if sources.is_empty() {
            return None;
        }
        s.shared.run(self.streets(), &sources, StreetMode::Bike, prefs.max_bike_m / BIKE_MPS + walk_limit);
        let mut ends: Vec<(f64, usize)> = Vec::new();
        for (i, st) in self.stations.iter().enumerate() {
            if let (Some((w, w_m)), Some((b, b_m))) = (st.walk, st.bike)
                && has_dock(i)
                && let (Some(ride), Some(walk)) = (s.shared.secs(b), s.to_destination.secs(w))
                && walk <= walk_limit
            {
                ends.push((ride + BIKE_SHARE_DOCK_S + (w_m + b_m) / WALK_MPS + walk, i));
            }
        }
        ends.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        // The best end reached from another station: returning a bike where it
        // was taken is no ride.
        let (end, start, ride_nodes) = ends.iter().find_map(|&(_, end)| {
            let ride_nodes = s.shared.path(self.stations[end].bike?.0);
            let start =
                self.stations.iter().position(|st| st.bike.map(|b| b.0) == ride_nodes.first().copied())?;
            (start != end && ride_nodes.len() > 1).then_some((end, start, ride_nodes))
        })?;
        let end_st = &self.stations[end];
        let start_st = &self.stations[start];
        let t0 = request.depart;
        let walk1 = s.from_origin.secs(start_st.walk?.0)? + start_st.walk?.1 / WALK_MPS;
        let pts1 = self.path_points(request.origin, &s.from_origin.path(start_st.walk?.0), start_st.pos);
        let leg1 =
            Leg::new(LegMode::Walk, t0, after(t0, walk1), "origin", &start_st.name).with_geometry(&pts1);
        let ride_start = after(leg1.arrive, BIKE_SHARE_DOCK_S);
        let ride_secs = s.shared.secs(end_st.bike?.0)? - sources.iter().find(|x| x.0 == ride_nodes[0])?.1;
        let ride_end = after(ride_start, ride_secs);
        let mut leg2 = Leg::new(LegMode::BikeShare, ride_start, ride_end, &start_st.name, &end_st.name)
            .with_geometry(&self.path_points(start_st.pos, &ride_nodes, end_st.pos));
        let half_hours = ((ride_secs / 1_800.0).ceil() as i64).max(1);
        leg2.money = self.bike_share.unlock + Cents(self.bike_share.per_half_hour.0 * (half_hours - 1));
        leg2.charge = Charge::BikeShare;
        let walk_start = after(ride_end, BIKE_SHARE_DOCK_S);
        let mut back = s.to_destination.path(end_st.walk?.0);
        back.reverse();
        let walk3 = s.to_destination.secs(end_st.walk?.0)? + end_st.walk?.1 / WALK_MPS;
        let leg3 = Leg::new(LegMode::Walk, walk_start, after(walk_start, walk3), &end_st.name, "destination")
            .with_geometry(&self.path_points(end_st.pos, &back, request.destination));
        Some(Itinerary::from_legs(vec![leg1, leg2, leg3]))
    }

    /// The hourly parking price at a facility: its live price, else the
    /// policy's starting price.
    fn parking_price(&self, id: &str) -> Cents {
        self.car
            .live
            .read(|state| state.parking.get(id).map(|p| p.price_per_hour))
            .unwrap_or_else(|| self.car.live.policies(|p| p.latest().policy.parking.initial_per_hour))
    }

    fn parking_cost(&self, id: &str, hours: f64) -> Cents {
        Cents((self.parking_price(id).0 as f64 * hours).round() as i64)
    }

    fn car_leg(drive: &CarItinerary, from: &str, to: &str) -> Leg {
        let mut leg = Leg::new(LegMode::Car, drive.depart, drive.arrive, from, to);
        leg.distance_m = drive.distance.0;
        leg.polyline = drive.polyline.clone();
        leg.money = drive.toll;
        leg.charge = Charge::Toll;
        leg.co2_g = co2::grams(co2::CAR_G_PER_KM, drive.distance.0);
        leg.segments = drive.segments.clone();
        leg.free_flow_s = drive.free_flow_duration.0;
        leg
    }

    fn car_itinerary(
        &self,
        s: &mut Searches,
        request: &JourneyRequest,
        drive: CarItinerary,
        notes: &mut Vec<String>,
    ) -> Itinerary {
        let prefs = request.preferences;
        // The nearest facility within walking distance of the destination.
        let facility = self
            .parking
            .iter()
            .filter_map(|p| {
                let (w, w_m) = p.walk?;
                let secs = s.to_destination.secs(w)? + w_m / WALK_MPS;
                (secs * WALK_MPS <= MAX_PARKING_WALK_M).then_some((secs, p))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let mut legs = Vec::new();
        match facility {
            Some((_, p)) => {
                // Drive to the destination's junction, park at the facility, walk.
                let mut car = Self::car_leg(&drive, "origin", &p.name);
                let parked = after(car.arrive, CAR_PARK_S);
                let mut back = s.to_destination.path(p.walk.map_or(0, |w| w.0));
                back.reverse();
                let walk_s = s.to_destination.secs(p.walk.map_or(0, |w| w.0)).unwrap_or(0.0);
                let mut park = Leg::new(LegMode::Walk, parked, after(parked, walk_s), &p.name, "destination")
                    .with_geometry(&self.path_points(p.pos, &back, request.destination));
                park.money = self.parking_cost(&p.id, prefs.parking_hours);
                park.charge = Charge::Parking;
                car.to.clone_from(&p.name);
                legs.push(car);
                legs.push(park);
            }
            None => {
                let car = Self::car_leg(&drive, "origin", "destination");
                let price = self.car.live.policies(|p| p.latest().policy.parking.initial_per_hour);
                notes.push(format!(
                    "No car park within {MAX_PARKING_WALK_M:.0} m of the destination: street parking at {price} an hour assumed."
                ));
                let arrive = car.arrive;
                legs.push(car);
                let mut park = Leg::new(
                    LegMode::Walk,
                    after(arrive, CAR_PARK_S),
                    after(arrive, CAR_PARK_S),
                    "destination",
                    "destination",
                );
                park.money = Cents((price.0 as f64 * prefs.parking_hours).round() as i64);
                park.charge = Charge::Parking;
                legs.push(park);
            }
        }
        Itinerary::from_legs(legs)
    }

    fn transit_itineraries(
        &self,
        s: &mut Searches,
        request: &JourneyRequest,
        transit: &TransitNetwork,
        modes: &Modes,
        plan: &mut Plan,
        can_bike: bool,
    ) -> Result<Vec<Itinerary>, PlanError> {
        let prefs = request.preferences;
        let (date, sod, midnight) = local(request.depart, transit.utc_offset_s);
        let day = transit.day(date);
        if day.timetable_date != date {
            plan.timetable_date = Some(day.timetable_date);
            plan.notes.push(format!(
                "The feeds do not cover {date}; the timetable of {} (the same weekday) is used.",
                day.timetable_date
            ));
        }
        let tt = &day.timetable;
        let walk_limit = prefs.max_walk_m / WALK_MPS;
        // Ways in: tag 0 walk, 1 own bike, 2 + k park-and-ride at facility k.
        let mut access: Vec<Access> = Vec::new();
        let mut egress: Vec<Egress> = Vec::new();
        for (stop, n) in transit.stop_nodes.iter().enumerate() {
            let Some((node, c)) = *n else { continue };
            if modes.transit
                && let Some(secs) = s.from_origin.secs(node)
                && secs + c / WALK_MPS <= walk_limit
            {
                access.push(Access {
                    stop: stop as u32,
                    arrival: sod + (secs + c / WALK_MPS).ceil() as u32,
                    money: 0,
                    tag: 0,
                });
            }
            if let Some(secs) = s.to_destination.secs(node)
                && secs + c / WALK_MPS <= walk_limit
            {
                egress.push(Egress {
                    stop: stop as u32,
                    secs: (secs + c / WALK_MPS).ceil() as u32,
                    money: 0,
                    tag: 0,
                });
            }
        }
        if modes.bike_and_ride && can_bike {
            for (stop, n) in transit.stop_bike_nodes.iter().enumerate() {
                if let Some((node, c)) = *n
                    && let Some(secs) = s.bike.secs(node)
                {
                    let arrival = sod + (secs + c / WALK_MPS + BIKE_PARK_S).ceil() as u32;
                    access.push(Access { stop: stop as u32, arrival, money: 0, tag: 1 });
                }
            }
        }
        // Park-and-ride: the facilities near stops that lie most on the way.
        let mut drives: Vec<(usize, CarItinerary)> = Vec::new();
        if modes.park_and_ride {
            let vot = value_of_time(prefs.value_of_time_cents_per_hour)?;
            let direct = request.origin.distance_m(request.destination);
            let mut candidates: Vec<(f64, usize)> = self
                .parking
                .iter()
                .enumerate()
                .filter(|(_, p)| p.walk.is_some() && p.pos.distance_m(request.origin) > 1_000.0)
                .map(|(i, p)| (p.pos.distance_m(request.origin) + p.pos.distance_m(request.destination), i))
                .filter(|(via, _)| *via <= direct * 1.3)
                .collect();
            candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
            for &(_, k) in candidates.iter().take(PARK_AND_RIDE_TRIED) {
                let p = &self.parking[k];
                let Ok(drive) = self.car.plan_car(request.origin, p.pos, request.depart, vot) else {
                    continue;
                };
                let Some((w, w_m)) = p.walk else { continue };
                s.park.run(self.streets(), &[(w, w_m / WALK_MPS)], StreetMode::Walk, walk_limit);
                let (_, drive_sod, _) = local(drive.arrive, transit.utc_offset_s);
                let money = (drive.toll + self.parking_cost(&p.id, prefs.parking_hours)).0.max(0) as u32;
                for (stop, n) in transit.stop_nodes.iter().enumerate() {
                    if let Some((node, c)) = *n
                        && let Some(secs) = s.park.secs(node)
                    {
                        let arrival = drive_sod + (CAR_PARK_S + secs + c / WALK_MPS).ceil() as u32;
                        access.push(Access {
                            stop: stop as u32,
                            arrival,
                            money,
                            tag: 2 + drives.len() as u32,
                        });
                    }
                }
                drives.push((k, drive));
            }
        }
        if access.is_empty() || egress.is_empty() {
            return Ok(Vec::new());
        }
        let options = Options {
            max_trips: prefs.max_transfers as usize + 1,
            wheelchair: prefs.wheelchair,
            bike_on_board: false,
        };
        // One search per way in, so that each keeps its own trade-offs.
        let mut out = Vec::new();
        let mut search = day.search.lock().unwrap_or_else(|e| e.into_inner());
        for family in [0, 1, 2] {
            let ways: Vec<Access> = access.iter().copied().filter(|a| a.tag.min(2) == family).collect();
            if ways.is_empty() {
                continue;
            }
            for j in search.run(tt, &ways, &egress, &options) {
                out.push(self.journey_legs(s, request, &day, midnight, &ways, &egress, &drives, &j));
            }
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn journey_legs(
        &self,
        s: &mut Searches,
        request: &JourneyRequest,
        day: &Day,
        midnight: EventTime,
        access: &[Access],
        egress: &[Egress],
        drives: &[(usize, CarItinerary)],
        j: &omnibus_transit::Journey,
    ) -> Itinerary {
        let tt = &day.timetable;
        let at = |secs: u32| midnight.plus_ms(i64::from(secs) * 1_000);
        let stop_name = |s: u32| tt.stops[s as usize].name.clone();
        let stop_pos = |s: u32| tt.stops[s as usize].pos;
        let a = access[j.access as usize];
        let transit = self.transit.as_ref();
        let node_of = |stop: u32| transit.and_then(|t| t.stop_nodes[stop as usize]).map_or(0, |n| n.0);
        let mut legs = Vec::new();
        let first = stop_name(a.stop);
        match a.tag {
            0 => {
                let pts =
                    self.path_points(request.origin, &s.from_origin.path(node_of(a.stop)), stop_pos(a.stop));
                legs.push(
                    Leg::new(LegMode::Walk, request.depart, at(a.arrival), "origin", &first)
                        .with_geometry(&pts),
                );
            }
            1 => {
                let node = transit.and_then(|t| t.stop_bike_nodes[a.stop as usize]).map_or(0, |n| n.0);
                let pts = self.path_points(request.origin, &s.bike.path(node), stop_pos(a.stop));
                legs.push(
                    Leg::new(LegMode::Bike, request.depart, at(a.arrival), "origin", &first)
                        .with_geometry(&pts),
                );
            }
            tag => {
                let (k, drive) = &drives[(tag - 2) as usize];
                let p = &self.parking[*k];
                legs.push(Self::car_leg(drive, "origin", &p.name));
                // Walk from the car park to the stop (searched again from the facility).
                if let Some((w, w_m)) = p.walk {
                    s.park.run(
                        self.streets(),
                        &[(w, w_m / WALK_MPS)],
                        StreetMode::Walk,
                        request.preferences.max_walk_m / WALK_MPS,
                    );
                }
                let parked = after(drive.arrive, CAR_PARK_S);
                let pts = self.path_points(p.pos, &s.park.path(node_of(a.stop)), stop_pos(a.stop));
                let mut walk =
                    Leg::new(LegMode::Walk, parked, at(a.arrival), &p.name, &first).with_geometry(&pts);
                walk.money = self.parking_cost(&p.id, request.preferences.parking_hours);
                walk.charge = Charge::Parking;
                legs.push(walk);
            }
        }
        let mut here = a.stop;
        let mut time = a.arrival;
        for &(step, stop, arrival) in &j.steps {
            match step {
                Step::Ride { pattern, trip, board, alight } => {
                    let p = &tt.patterns[pattern as usize];
                    let calls: Vec<u32> = p.stops[board as usize..=alight as usize].to_vec();
                    let pts: Vec<LatLon> = calls.iter().map(|s| stop_pos(*s)).collect();
                    let depart = at(p.at(trip as usize, board as usize).1);
                    let mut leg =
                        Leg::new(LegMode::Transit, depart, at(arrival), &stop_name(here), &stop_name(stop))
                            .with_geometry(&pts);
                    leg.route.clone_from(&p.route);
                    leg.route_type = Some(p.route_type);
                    leg.trip.clone_from(&p.trips[trip as usize]);
                    leg.stops = calls.iter().map(|s| stop_name(*s)).collect();
                    leg.money = Cents(i64::from(p.fare.unwrap_or(0)));
                    leg.charge = Charge::Fare;
                    leg.co2_g = co2::grams(co2::transit_g_per_km(p.route_type), leg.distance_m);
                    legs.push(leg);
                }
                Step::Walk { from, secs } => {
                    let mut leg = Leg::new(
                        LegMode::Walk,
                        at(time),
                        at(time + secs),
                        &stop_name(from),
                        &stop_name(stop),
                    )
                    .with_geometry(&[stop_pos(from), stop_pos(stop)]);
                    leg.distance_m = f64::from(secs) * WALK_MPS;
                    legs.push(leg);
                }
                Step::Access(_) => {}
            }
            here = stop;
            time = arrival;
        }
        let e = egress[j.egress as usize];
        let mut back = s.to_destination.path(node_of(e.stop));
        back.reverse();
        let pts = self.path_points(stop_pos(e.stop), &back, request.destination);
        legs.push(
            Leg::new(LegMode::Walk, at(time), at(time + e.secs), &stop_name(e.stop), "destination")
                .with_geometry(&pts),
        );
        Itinerary::from_legs(legs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_by_hand() {
        // 2019-05-07 08:00 in Porto Alegre (UTC−3) is 11:00 UTC.
        let t = EventTime(1_557_226_800_000);
        let (date, sod, midnight) = local(t, -3 * 3_600);
        assert_eq!((date, sod), (20_190_507, 8 * 3_600));
        assert_eq!(midnight.plus_ms(i64::from(sod) * 1_000), t);
    }
}

#[cfg(test)]
mod porto_alegre {
    use super::*;
    use crate::transit::TransitNetwork;
    use omnibus_core::City;
    use omnibus_core::live::LiveCity;
    use omnibus_core::policy::{Policy, PolicyStore};

    /// Central Porto Alegre: the Mercado Público to the east of the centre,
    /// on a Tuesday at 13:00 (the bundled bus feed runs 11:00–16:00).
    #[test]
    fn every_way_of_travelling_plans_on_the_bundled_city() {
        let city = Arc::new(City::porto_alegre());
        let transit = Arc::new(TransitNetwork::porto_alegre(&city).unwrap());
        let live = LiveCity::new(PolicyStore::new(Policy::default(), "test").unwrap());
        let planner = JourneyPlanner::new(CarPlanner::new(city.clone(), live), Some(transit));
        let req = JourneyRequest {
            origin: LatLon::new(-30.0277, -51.2287),
            destination: LatLon::new(-30.0600, -51.1750),
            depart: EventTime(1_557_244_800_000),
            modes: Modes::all(),
            preferences: Preferences::default(),
        };
        let plan = planner.plan(&req).unwrap();
        let families: Vec<&str> = plan.itineraries.iter().map(Itinerary::family).collect();
        for f in ["car", "transit", "park-and-ride", "bike-and-ride"] {
            assert!(families.contains(&f), "{f} missing from {families:?}");
        }
        assert!(plan.itineraries.iter().any(|i| i.pareto_optimal));
        for i in &plan.itineraries {
            assert_eq!(i.depart(), req.depart);
            for w in i.legs.windows(2) {
                assert!(w[0].arrive <= w[1].depart, "{}: legs overlap", i.summary());
            }
            for l in &i.legs {
                assert!(l.depart <= l.arrive);
                if l.mode == LegMode::Transit {
                    assert!(l.stops.len() >= 2 && !l.trip.is_empty());
                    assert!(l.money == Cents(470) || l.money == Cents(450), "{}", l.money);
                    assert!(l.co2_g > 0);
                }
            }
            let money: Cents = i.legs.iter().map(|l| l.money).sum();
            assert_eq!(money, i.money());
        }
        // Transit within the walking limit: each walk to or from a stop is at most 1 km.
        let t = plan.itineraries.iter().find(|i| i.family() == "transit").unwrap();
        assert!(t.legs.first().unwrap().distance_m <= 1_000.0 * 1.01);
        assert!(t.legs.last().unwrap().distance_m <= 1_000.0 * 1.01);
        // Without the car, bike and park-and-ride, only walking and transit remain.
        let modes = Modes { walk: true, transit: true, ..Modes::default() };
        let plan = planner.plan(&JourneyRequest { modes, ..req }).unwrap();
        assert!(plan.itineraries.iter().all(|i| i.family() == "transit" || i.family() == "walk"));
        // A wheelchair user gets no bike legs.
        let prefs = Preferences { wheelchair: true, ..Preferences::default() };
        let plan = planner.plan(&JourneyRequest { preferences: prefs, ..req }).unwrap();
        assert!(plan.itineraries.iter().all(|i| i.legs.iter().all(|l| l.mode != LegMode::Bike)));
    }
}
