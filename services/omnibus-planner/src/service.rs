//! The `omnibus.v1.Planner` gRPC service over a [`CarPlanner`].

use crate::car::{CarItinerary, CarPlanner};
use crate::error::PlanError;
use omnibus_core::{EventTime, LatLon};
use omnibus_proto::v1::planner_server::Planner;
use omnibus_proto::v1::{self as pb, Itinerary, Leg, Mode, Money, PlanRequest, PlanResponse};
use std::fmt;
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

/// Serves `omnibus.v1.Planner`: car itineraries on live speeds and tolls.
#[derive(Clone)]
pub struct PlannerService {
    planner: CarPlanner,
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
        PlannerService { planner, clock }
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
        };
        PlanResponse {
            itineraries: vec![Itinerary {
                depart_ms: itinerary.depart.0,
                arrive_ms: itinerary.arrive.0,
                duration_s: itinerary.duration.0,
                distance_m: itinerary.distance.0,
                toll: Some(toll),
                legs: vec![leg],
            }],
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
        }
    }

    #[test]
    fn modes_other_than_car_are_refused_by_name() {
        let s = service();
        let mut r = request();
        r.modes = vec![Mode::Car.into(), Mode::Transit.into()];
        let e = s.car_query(&r).unwrap_err();
        assert_eq!(e.to_string(), "modes: MODE_TRANSIT is not supported yet; only MODE_CAR");
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
