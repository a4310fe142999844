//! The `omnibus.v1.Planner` gRPC service over a [`CarPlanner`].

use crate::car::{CarItinerary, CarPlanner};
use crate::co2;
use crate::error::PlanError;
use crate::journey::{Charge, JourneyPlanner, JourneyRequest, LegMode, Modes, Plan, Preferences};
use omnibus_core::{Cents, EventTime, LatLon};
use omnibus_proto::v1::planner_server::Planner;
use omnibus_proto::v1::{
    self as pb, Itinerary, Leg, Mode, Money, PlanRequest, PlanResponse, TripUpdatesRequest,
    TripUpdatesResponse,
};
use omnibus_transit::{gtfs, realtime};
use std::fmt;
use std::sync::{Arc, OnceLock};
use tonic::{Request, Response, Status};
use tracing::{debug, error, info, warn};

pub use omnibus_core::clock::{Clock, system_clock};

/// A car trip request, checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CarQuery {
    /// Where the trip starts.
    pub origin: LatLon,
    /// Where it ends.
    pub destination: LatLon,
    /// When it leaves.
    pub depart: EventTime,
    /// Value of the traveller's time, cents per hour, as asked (0: the default).
    pub value_of_time_cents_per_hour: i64,
}

/// Serves `omnibus.v1.Planner`: car itineraries on live speeds and tolls,
/// and, with a [`JourneyPlanner`], every other way of travelling.
#[derive(Clone)]
pub struct PlannerService {
    planner: CarPlanner,
    /// Set once the multimodal planner is ready (it loads in the background).
    journeys: Arc<OnceLock<JourneyPlanner>>,
    /// Whether one is coming.
    multimodal: bool,
    clock: Clock,
}

impl fmt::Debug for PlannerService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlannerService").field("planner", &self.planner).finish_non_exhaustive()
    }
}

impl PlannerService {
    /// A service planning with `planner`; `clock` gives the departure time of
    /// requests that leave it at 0 (now).
    pub fn new(planner: CarPlanner, clock: Clock) -> PlannerService {
        PlannerService { planner, journeys: Arc::new(OnceLock::new()), multimodal: false, clock }
    }

    /// A service that also plans walking, cycling, bike-share, transit and
    /// their combinations with `journeys`.
    pub fn with_journeys(journeys: JourneyPlanner, clock: Clock) -> PlannerService {
        let service = PlannerService::new(journeys.car.clone(), clock);
        let _ = service.journeys.set(journeys);
        PlannerService { multimodal: true, ..service }
    }

    /// A car planner at once, and the multimodal planner `load` builds on a
    /// background thread (importing feeds takes a few seconds); requests for
    /// other modes meanwhile get `UNAVAILABLE`.
    pub fn with_journeys_loading(
        planner: CarPlanner,
        clock: Clock,
        load: impl FnOnce() -> JourneyPlanner + Send + 'static,
    ) -> PlannerService {
        let service = PlannerService { multimodal: true, ..PlannerService::new(planner, clock) };
        let slot = service.journeys.clone();
        std::thread::spawn(move || {
            let _ = slot.set(load());
            info!("Multimodal planner ready.");
        });
        service
    }

    /// The multimodal planner, once loaded.
    pub fn journeys(&self) -> Option<&JourneyPlanner> {
        self.journeys.get()
    }

    /// Checks a multimodal request: modes, preferences, ends and time.
    pub fn journey_query(&self, request: &PlanRequest) -> Result<JourneyRequest, PlanError> {
        let mut modes = Modes::default();
        let prefs = request.preferences.clone().unwrap_or_default();
        let mut avoid = Modes::default();
        for (field, list, set) in
            [("modes", &request.modes, &mut modes), ("preferences.avoid", &prefs.avoid, &mut avoid)]
        {
            for &m in list {
                match Mode::try_from(m) {
                    Ok(Mode::Car) => set.car = true,
                    Ok(Mode::Walk) => set.walk = true,
                    Ok(Mode::Bike) => set.bike = true,
                    Ok(Mode::Transit) => set.transit = true,
                    Ok(Mode::BikeShare) => set.bike_share = true,
                    Ok(Mode::ParkAndRide) => set.park_and_ride = true,
                    Ok(Mode::BikeAndRide) => set.bike_and_ride = true,
                    Ok(Mode::Unspecified) => {
                        return Err(PlanError::invalid(field, "MODE_UNSPECIFIED is not a mode"));
                    }
                    Err(_) => return Err(PlanError::invalid(field, format!("{m} is not a known mode"))),
                }
            }
        }
        // Avoiding the car rules out park-and-ride; avoiding bikes, bike-and-ride.
        modes.car &= !avoid.car;
        modes.walk &= !avoid.walk;
        modes.bike &= !avoid.bike;
        modes.transit &= !avoid.transit;
        modes.bike_share &= !avoid.bike_share && !avoid.bike;
        modes.park_and_ride &= !avoid.park_and_ride && !avoid.car && !avoid.transit;
        modes.bike_and_ride &= !avoid.bike_and_ride && !avoid.bike && !avoid.transit;
        let defaults = Preferences::default();
        let positive = |field: &'static str, v: f64, default: f64| -> Result<f64, PlanError> {
            match v {
                0.0 => Ok(default),
                v if v.is_finite() && v > 0.0 => Ok(v),
                v => {
                    Err(PlanError::invalid(field, format!("must be a positive number (0: default), got {v}")))
                }
            }
        };
        let car = self.car_query(&PlanRequest { modes: Vec::new(), ..request.clone() })?;
        Ok(JourneyRequest {
            origin: car.origin,
            destination: car.destination,
            depart: car.depart,
            modes,
            preferences: Preferences {
                max_walk_m: positive("preferences.max_walk_m", prefs.max_walk_m, defaults.max_walk_m)?,
                max_bike_m: positive("preferences.max_bike_m", prefs.max_bike_m, defaults.max_bike_m)?,
                value_of_time_cents_per_hour: request.value_of_time_cents_per_hour,
                wheelchair: prefs.wheelchair,
                max_transfers: if prefs.max_transfers == 0 {
                    defaults.max_transfers
                } else {
                    prefs.max_transfers.min(8)
                },
                parking_hours: positive(
                    "preferences.parking_hours",
                    prefs.parking_hours,
                    defaults.parking_hours,
                )?,
            },
        })
    }

    /// The wire form of a multimodal plan, money in the city's currency.
    pub fn plan_response(&self, plan: &Plan) -> PlanResponse {
        let currency = self.planner.live.policies(|p| p.latest().policy.currency.clone());
        let money = |c: Cents| Some(Money { cents: c.0, currency: currency.clone() });
        let mode = |m: LegMode| match m {
            LegMode::Walk => Mode::Walk,
            LegMode::Bike => Mode::Bike,
            LegMode::BikeShare => Mode::BikeShare,
            LegMode::Car => Mode::Car,
            LegMode::Transit => Mode::Transit,
        };
        let itineraries = plan
            .itineraries
            .iter()
            .map(|i| Itinerary {
                depart_ms: i.depart().0,
                arrive_ms: i.arrive().0,
                duration_s: (i.arrive().0 - i.depart().0) as f64 / 1_000.0,
                distance_m: i.distance_m(),
                toll: money(i.toll),
                legs: i
                    .legs
                    .iter()
                    .map(|l| Leg {
                        mode: mode(l.mode).into(),
                        depart_ms: l.depart.0,
                        arrive_ms: l.arrive.0,
                        distance_m: l.distance_m,
                        toll: money(if l.charge == Charge::Toll { l.money } else { Cents::ZERO }),
                        segment_ids: l.segments.iter().map(|s| u64::from(s.0)).collect(),
                        polyline: l.polyline.clone(),
                        free_flow_duration_s: l.free_flow_s,
                        from_name: l.from.clone(),
                        to_name: l.to.clone(),
                        route: l.route.clone(),
                        trip_id: l.trip.clone(),
                        stops: l.stops.clone(),
                        money: money(l.money),
                        charge: match l.charge {
                            Charge::None => "",
                            Charge::Fare => "fare",
                            Charge::Toll => "toll",
                            Charge::Parking => "parking",
                            Charge::BikeShare => "bike_share",
                        }
                        .to_owned(),
                        co2_grams: l.co2_g,
                    })
                    .collect(),
                fare: money(i.fare),
                parking: money(i.parking),
                bike_share: money(i.bike_share),
                total: money(i.money()),
                transfers: i.transfers,
                co2_grams: i.co2_g,
                walk_m: i.walk_m,
                family: i.family().to_owned(),
                pareto_optimal: i.pareto_optimal,
            })
            .collect();
        PlanResponse {
            itineraries,
            timetable_date: plan.timetable_date.unwrap_or(0),
            notes: plan.notes.clone(),
        }
    }

    /// The planner behind the service.
    pub fn planner(&self) -> &CarPlanner {
        &self.planner
    }

    /// Checks a request: its modes (empty or only `MODE_CAR`), both ends and the
    /// departure time (0: now on the injected clock).
    pub fn car_query(&self, request: &PlanRequest) -> Result<CarQuery, PlanError> {
        for &mode in &request.modes {
            match Mode::try_from(mode) {
                Ok(Mode::Car) => {}
                Ok(Mode::Unspecified) => {
                    return Err(PlanError::invalid(
                        "modes",
                        "MODE_UNSPECIFIED is not a mode; ask for MODE_CAR or leave modes empty",
                    ));
                }
                Ok(other) => return Err(PlanError::UnsupportedMode { mode: other.as_str_name() }),
                Err(_) => return Err(PlanError::invalid("modes", format!("{mode} is not a known mode"))),
            }
        }
        let origin = required("origin", request.origin.as_ref())?;
        let destination = required("destination", request.destination.as_ref())?;
        let depart = match request.depart_at_ms {
            0 => (self.clock)(),
            ms if ms < 0 => {
                return Err(PlanError::invalid(
                    "depart_at_ms",
                    format!("must be ms since the epoch (0: now), got {ms}"),
                ));
            }
            ms => EventTime(ms),
        };
        Ok(CarQuery {
            origin,
            destination,
            depart,
            value_of_time_cents_per_hour: request.value_of_time_cents_per_hour,
        })
    }

    /// The wire form of a car itinerary: one itinerary with one car leg, its toll
    /// in the city's current currency.
    pub fn response(&self, itinerary: &CarItinerary) -> PlanResponse {
        let currency = self.planner.live.policies(|p| p.latest().policy.currency.clone());
        let toll = Money { cents: itinerary.toll.0, currency };
        let leg = Leg {
            mode: Mode::Car.into(),
            depart_ms: itinerary.depart.0,
            arrive_ms: itinerary.arrive.0,
            distance_m: itinerary.distance.0,
            toll: Some(toll.clone()),
            segment_ids: itinerary.segments.iter().map(|s| u64::from(s.0)).collect(),
            polyline: itinerary.polyline.clone(),
            free_flow_duration_s: itinerary.free_flow_duration.0,
            from_name: "origin".to_owned(),
            to_name: "destination".to_owned(),
            money: Some(toll.clone()),
            charge: "toll".to_owned(),
            co2_grams: co2::grams(co2::CAR_G_PER_KM, itinerary.distance.0),
            ..Leg::default()
        };
        PlanResponse {
            itineraries: vec![Itinerary {
                depart_ms: itinerary.depart.0,
                arrive_ms: itinerary.arrive.0,
                duration_s: itinerary.duration.0,
                distance_m: itinerary.distance.0,
                toll: Some(toll.clone()),
                total: Some(toll),
                co2_grams: leg.co2_grams,
                legs: vec![leg],
                family: "car".to_owned(),
                pareto_optimal: true,
                ..Itinerary::default()
            }],
            ..PlanResponse::default()
        }
    }
}

fn required(field: &'static str, pos: Option<&pb::LatLon>) -> Result<LatLon, PlanError> {
    pos.map(|p| LatLon::new(p.lat, p.lon)).ok_or_else(|| PlanError::invalid(field, "is required"))
}

#[tonic::async_trait]
impl Planner for PlannerService {
    async fn plan(&self, request: Request<PlanRequest>) -> Result<Response<PlanResponse>, Status> {
        let request = request.into_inner();
        let car_only = request.modes.iter().all(|m| *m == Mode::Car as i32);
        if self.multimodal && !car_only && self.journeys.get().is_none() {
            return Err(Status::unavailable(
                "the transit network is still loading; try again in a few seconds",
            ));
        }
        if let (Some(journeys), false) = (self.journeys.get(), car_only) {
            let planned = match self.journey_query(&request) {
                Ok(query) => {
                    let journeys = journeys.clone();
                    tokio::task::spawn_blocking(move || journeys.plan(&query)).await.map_err(|error| {
                        error!(%error, "Plan task failed.");
                        Status::internal("planning failed unexpectedly")
                    })?
                }
                Err(error) => Err(error),
            };
            return match planned {
                Ok(plan) => {
                    debug!(itineraries = plan.itineraries.len(), "Plan served.");
                    Ok(Response::new(self.plan_response(&plan)))
                }
                Err(error) => {
                    info!(%error, "Plan refused.");
                    Err(error.into())
                }
            };
        }
        let planned = match self.car_query(&request) {
            Ok(query) => {
                let planner = self.planner.clone();
                // Routing is CPU work: keep it off the async workers.
                tokio::task::spawn_blocking(move || {
                    planner.plan_car(
                        query.origin,
                        query.destination,
                        query.depart,
                        query.value_of_time_cents_per_hour,
                    )
                })
                .await
                .map_err(|error| {
                    error!(%error, "Plan task failed.");
                    Status::internal("planning failed unexpectedly")
                })?
            }
            Err(error) => Err(error),
        };
        match planned {
            Ok(itinerary) => {
                debug!(
                    segments = itinerary.segments.len(),
                    distance_m = itinerary.distance.0,
                    duration_s = itinerary.duration.0,
                    toll = %itinerary.toll,
                    "Plan served."
                );
                Ok(Response::new(self.response(&itinerary)))
            }
            Err(error) => {
                if error.field().is_some() {
                    info!(%error, "Plan refused.");
                } else {
                    warn!(%error, "Plan failed.");
                }
                Err(error.into())
            }
        }
    }

    async fn apply_trip_updates(
        &self,
        request: Request<TripUpdatesRequest>,
    ) -> Result<Response<TripUpdatesResponse>, Status> {
        let request = request.into_inner();
        let Some(transit) = self.journeys.get().and_then(|j| j.transit.clone()) else {
            return Err(PlanError::invalid("feed", "this planner has no transit feeds").into());
        };
        if gtfs::parse_date(&request.service_date.to_string()) != Some(request.service_date) {
            return Err(PlanError::invalid(
                "service_date",
                format!("{} is not YYYYMMDD", request.service_date),
            )
            .into());
        }
        let message = realtime::decode(&request.feed_message)
            .map_err(|e| Status::from(PlanError::invalid("feed_message", e.to_string())))?;
        let report = tokio::task::spawn_blocking(move || {
            transit.apply_realtime(&request.feed, request.service_date, &message)
        })
        .await
        .map_err(|error| {
            error!(%error, "Trip-update task failed.");
            Status::internal("applying the trip updates failed unexpectedly")
        })?
        .ok_or_else(|| Status::from(PlanError::invalid("feed", "no feed of that name")))?;
        Ok(Response::new(TripUpdatesResponse {
            trip_updates: report.trip_updates as u32,
            matched: report.matched as u32,
            cancelled: report.cancelled as u32,
            stop_updates: report.stop_updates as u32,
            unmatched: report.unmatched_count as u32,
            unmatched_sample: report.unmatched.into_iter().take(20).collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnibus_core::City;
    use omnibus_core::live::LiveCity;
    use omnibus_core::policy::{Policy, PolicyStore};
    use std::sync::{Arc, OnceLock};
    use tonic::Code;

    fn service() -> PlannerService {
        static CITY: OnceLock<Arc<City>> = OnceLock::new();
        let city = CITY.get_or_init(|| Arc::new(City::porto_alegre())).clone();
        let live = LiveCity::new(PolicyStore::new(Policy::default(), "test").unwrap());
        PlannerService::new(CarPlanner::new(city, live), Arc::new(|| EventTime(1_700_000_000_000)))
    }

    fn point(f: f64) -> pb::LatLon {
        let b = service().planner().city.network.bounds();
        pb::LatLon {
            lat: b.min_lat + (b.max_lat - b.min_lat) * f,
            lon: b.min_lon + (b.max_lon - b.min_lon) * f,
        }
    }

    fn request() -> PlanRequest {
        PlanRequest {
            origin: Some(point(0.35)),
            destination: Some(point(0.65)),
            depart_at_ms: 0,
            modes: vec![],
            value_of_time_cents_per_hour: 0,
            ..PlanRequest::default()
        }
    }

    #[test]
    fn modes_other_than_car_are_refused_by_name() {
        let s = service();
        let mut r = request();
        r.modes = vec![Mode::Car.into(), Mode::Transit.into()];
        let e = s.car_query(&r).unwrap_err();
        assert!(e.to_string().starts_with("modes: MODE_TRANSIT is not served here"), "{e}");
        r.modes = vec![99];
        assert_eq!(s.car_query(&r).unwrap_err().field(), Some("modes"));
        r.modes = vec![Mode::Unspecified.into()];
        assert_eq!(s.car_query(&r).unwrap_err().field(), Some("modes"));
        r.modes = vec![Mode::Car.into()];
        assert!(s.car_query(&r).is_ok());
    }

    #[test]
    fn missing_ends_and_bad_times_name_their_field() {
        let s = service();
        let mut r = request();
        r.destination = None;
        assert_eq!(s.car_query(&r).unwrap_err().to_string(), "destination: is required");
        r.origin = None;
        assert_eq!(s.car_query(&r).unwrap_err().field(), Some("origin"));
        let mut r = request();
        r.depart_at_ms = -1;
        assert_eq!(s.car_query(&r).unwrap_err().field(), Some("depart_at_ms"));
    }

    #[test]
    fn departure_defaults_to_the_injected_clock() {
        let s = service();
        assert_eq!(s.car_query(&request()).unwrap().depart, EventTime(1_700_000_000_000));
        let mut r = request();
        r.depart_at_ms = 42;
        assert_eq!(s.car_query(&r).unwrap().depart, EventTime(42));
    }

    #[tokio::test]
    async fn plan_answers_one_car_leg_in_the_city_currency() {
        let s = service();
        let response = s.plan(Request::new(request())).await.unwrap().into_inner();
        assert_eq!(response.itineraries.len(), 1);
        let it = &response.itineraries[0];
        assert_eq!(it.depart_ms, 1_700_000_000_000);
        assert!(it.arrive_ms > it.depart_ms && it.distance_m > 0.0);
        assert_eq!(it.toll.as_ref().unwrap().currency, "BRL");
        assert_eq!(it.legs.len(), 1);
        let leg = &it.legs[0];
        assert_eq!(leg.mode, i32::from(Mode::Car));
        assert!(!leg.segment_ids.is_empty() && !leg.polyline.is_empty());
        assert!(leg.free_flow_duration_s > 0.0 && leg.free_flow_duration_s <= it.duration_s + 1e-9);
    }

    #[tokio::test]
    async fn plan_errors_become_statuses() {
        let s = service();
        let mut r = request();
        r.value_of_time_cents_per_hour = -1;
        let status = s.plan(Request::new(r)).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().starts_with("value_of_time_cents_per_hour: "), "{}", status.message());
    }
}
