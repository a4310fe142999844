//! The Linear Road benchmark's variable-tolling job as the gRPC service
//! `omnibus.v1.LinearRoad`: each `Run` call opens a fresh run of the timely
//! dataflow ([`omnibus_linear_road::live::LiveRun`]), validates every input
//! tuple on its own (a refused tuple is acknowledged with its index, field and
//! reason), and streams toll and accident notifications and query answers
//! back as each benchmark second completes, stamped with their emit time.
//! [`run`] serves it, with health checking and reflection, on a listener.

mod error;
mod service;

pub use error::RunError;
pub use service::{LinearRoadService, MAX_CONCURRENT_RUNS, MAX_RESULTS_PER_MESSAGE, MAX_TUPLES_PER_MESSAGE};

use omnibus_proto::serving;
use omnibus_proto::v1::linear_road_server::LinearRoadServer;
use std::future::Future;
use tokio::net::TcpListener;
use tracing::info;

/// Serves `service` (plus gRPC health and reflection) on `listener` until
/// `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    service: LinearRoadService,
) -> Result<(), tonic::transport::Error> {
    let (health, router) = serving::router();
    health.set_serving::<LinearRoadServer<LinearRoadService>>().await;
    let router = router
        .add_service(LinearRoadServer::new(service).max_decoding_message_size(serving::MAX_MESSAGE_BYTES));
    match listener.local_addr() {
        Ok(addr) => info!(%addr, "Linear Road serving."),
        Err(error) => info!(%error, "Linear Road serving on a listener without a local address."),
    }
    let result = serving::serve(router, listener, shutdown).await;
    info!("Linear Road stopped.");
    result
}
