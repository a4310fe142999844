//! The Omnibus journey planner: car routes on the live city.
//!
//! [`CarPlanner`] snaps a trip's ends to the road network and finds the route
//! with the lowest generalized cost: live travel time (from the stream job's
//! window speeds, free flow where none) plus tolls (the segments' current
//! prices) converted to time at the traveller's value of time.
//! [`PlannerService`] serves it as `omnibus.v1.Planner` over gRPC, and [`run`]
//! serves that, with health checking and reflection, on a listener.

mod car;
pub mod co2;
mod error;
mod hierarchy;
pub mod journey;
mod service;
pub mod transit;

pub use car::{
    CarItinerary, CarPlanner, DEFAULT_VALUE_OF_TIME_CENTS_PER_HOUR, MAX_SNAP_DISTANCE_M, MIN_SPEED_MPS,
    live_travel_time, value_of_time,
};
pub use error::PlanError;
pub use hierarchy::{CarHierarchy, LazyHierarchy, METRICS_KEPT};
pub use service::{CarQuery, Clock, PlannerService, system_clock};

use omnibus_proto::serving;
use omnibus_proto::v1::planner_server::PlannerServer;
use std::future::Future;
use tokio::net::TcpListener;
use tracing::info;

/// Serves `service` (plus gRPC health and reflection) on `listener` until
/// `shutdown` resolves. The health service reports `omnibus.v1.Planner` as
/// serving from the start.
pub async fn run(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    service: PlannerService,
) -> Result<(), tonic::transport::Error> {
    let (health, router) = serving::router();
    health.set_serving::<PlannerServer<PlannerService>>().await;
    let router =
        router.add_service(PlannerServer::new(service).max_decoding_message_size(serving::MAX_MESSAGE_BYTES));
    match listener.local_addr() {
        Ok(addr) => info!(%addr, "Planner serving."),
        Err(error) => info!(%error, "Planner serving on a listener without a local address."),
    }
    let result = serving::serve(router, listener, shutdown).await;
    info!("Planner stopped.");
    result
}
