//! A replica's link to the stream node: mirrors every segment's live figures
//! from the node's `Pricing/WatchSegments` into this process's [`LiveCity`],
//! reconnecting with backoff until shutdown.

use omnibus_core::live::LiveCity;
use omnibus_core::{City, SegmentId};
use omnibus_proto::v1::WatchSegmentsRequest;
use omnibus_proto::v1::pricing_client::PricingClient;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_stream::StreamExt;
use tracing::{info, warn};

/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Mirrors `upstream` into `live` until `shutdown` turns true.
pub async fn run(city: Arc<City>, live: LiveCity, upstream: String, mut shutdown: watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let session = mirror_once(&city, &live, &upstream);
        tokio::select! {
            result = session => match result {
                Ok(()) => info!(%upstream, "Upstream closed the segment feed; reconnecting."),
                Err(error) => warn!(%upstream, %error, "Segment feed failed; reconnecting."),
            },
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn mirror_once(city: &City, live: &LiveCity, upstream: &str) -> Result<(), tonic::Status> {
    let mut client = PricingClient::connect(upstream.to_owned())
        .await
        .map_err(|e| tonic::Status::unavailable(format!("connect {upstream}: {e}")))?;
    let mut feed = client.watch_segments(WatchSegmentsRequest { snapshot: true }).await?.into_inner();
    info!(%upstream, "Mirroring live segment state.");
    while let Some(price) = feed.next().await {
        let price = price?;
        let Some(id) = u32::try_from(price.segment_id)
            .ok()
            .map(SegmentId)
            .filter(|s| city.network.segment(*s).is_some())
        else {
            warn!(
                segment = price.segment_id,
                "Upstream named a segment this city does not have; is it the same city?"
            );
            continue;
        };
        live.update_segments([(id, omnibus_pricing::segment_live(&price))]);
    }
    Ok(())
}
