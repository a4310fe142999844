//! The city simulator's gRPC price feed: each simulated day goes to a fresh
//! [`Platform`] (ingest with the traffic stream job, and pricing) over gRPC,
//! and its prices come back from the pricing service.

use crate::Platform;
use crate::config::{Config, ServerConfig, Service};
use omnibus_citysim::CitySimError;
use omnibus_citysim::feed::{DayPrices, PriceFeed, PriceTable, batches, count, ingest_config, newest};
use omnibus_core::clock::ManualClock;
use omnibus_core::policy::Policy;
use omnibus_core::{Cents, City, EventTime, SegmentId};
use omnibus_proto::v1::ingest_client::IngestClient;
use omnibus_proto::v1::pricing_client::PricingClient;
use omnibus_proto::v1::{
    GetCordonRequest, GetParkingRequest, TelemetryBatch, TelemetryRecord, WatchPricesRequest,
};
use std::sync::Arc;
use tokio_stream::StreamExt;

/// Sends each simulated day to a fresh platform over gRPC.
#[derive(Debug)]
pub struct GrpcFeed {
    city: Arc<City>,
    workers: usize,
}

impl GrpcFeed {
    /// A feed whose platforms serve `city` with `workers` stream-job workers.
    pub fn new(city: Arc<City>, workers: usize) -> GrpcFeed {
        GrpcFeed { city, workers }
    }
}

fn platform_error(what: &str) -> impl Fn(String) -> CitySimError + '_ {
    move |e| CitySimError::Platform(format!("{what}: {e}"))
}

impl PriceFeed for GrpcFeed {
    async fn day(
        &mut self,
        policy: &Policy,
        records: Vec<TelemetryRecord>,
    ) -> Result<DayPrices, CitySimError> {
        let clock =
            ManualClock::new(records.first().map_or(EventTime(0), |r| newest(std::slice::from_ref(r))));
        let mut config = Config {
            services: vec![Service::Ingest, Service::Pricing],
            server: ServerConfig::ephemeral(),
            policy: policy.clone(),
            ingest: ingest_config(),
            ..Config::default()
        };
        config.stream.workers = self.workers;
        let platform = Platform::start(self.city.clone(), clock.clock(), &config, None)
            .await
            .map_err(|e| CitySimError::Platform(format!("start: {e:#}")))?;
        let mut pricing = PricingClient::connect(platform.endpoint(Service::Pricing))
            .await
            .map_err(|e| platform_error("connect to pricing")(e.to_string()))?;
        let mut ingest = IngestClient::connect(platform.endpoint(Service::Ingest))
            .await
            .map_err(|e| platform_error("connect to ingest")(e.to_string()))?;
        // Every price change of the day, as the pricing service streams it.
        let mut watch = pricing
            .watch_prices(WatchPricesRequest { segment_ids: Vec::new() })
            .await
            .map_err(|e| platform_error("WatchPrices")(e.to_string()))?
            .into_inner();
        let collector = tokio::spawn(async move {
            let mut updates = Vec::new();
            while let Some(item) = watch.next().await {
                match item {
                    Ok(change) => updates.push(change),
                    // The platform stops after the day: every change was delivered first.
                    Err(status) if status.code() == tonic::Code::Unavailable => break,
                    Err(status) => return Err(status),
                }
            }
            Ok::<_, tonic::Status>(updates)
        });
        let floor = policy.rule.floor();
        let mut out =
            DayPrices { table: PriceTable { floor, ..PriceTable::default() }, ..DayPrices::default() };
        for batch in batches(records) {
            clock.set(newest(&batch));
            let ack = ingest
                .ingest_batch(TelemetryBatch { records: batch })
                .await
                .map_err(|e| platform_error("IngestBatch")(e.message().to_owned()))?
                .into_inner();
            count(&mut out, ack.accepted, &ack.rejected);
        }
        // Close every minute, then read what the pricing service holds.
        if let Some(ingest) = &platform.ingest {
            ingest.finish().await.map_err(|e| platform_error("finish")(e.to_string()))?;
        }
        if policy.cordon.is_some() {
            let c = pricing
                .get_cordon(GetCordonRequest {})
                .await
                .map_err(|e| platform_error("GetCordon")(e.message().to_owned()))?
                .into_inner();
            out.cordon_passages = c.passages;
            out.cordon_revenue = Cents(c.revenue.map_or(0, |m| m.cents));
        }
        for id in self.city.registry.parking.keys() {
            let p = pricing
                .get_parking(GetParkingRequest { facility_id: id.clone() })
                .await
                .map_err(|e| platform_error("GetParking")(e.message().to_owned()))?
                .into_inner();
            if p.reported_at_ms > 0 {
                out.parking.insert(id.clone(), Cents(p.price_per_hour.map_or(0, |m| m.cents)));
            }
        }
        platform.stop().await.map_err(|e| CitySimError::Platform(format!("stop: {e:#}")))?;
        let updates = collector
            .await
            .map_err(|e| platform_error("price watcher")(e.to_string()))?
            .map_err(|e| platform_error("WatchPrices")(e.message().to_owned()))?;
        for p in updates {
            out.table.set(
                SegmentId(p.segment_id as u32),
                EventTime(p.minute_start_ms).minute(),
                Cents(p.new_price.map_or(0, |m| m.cents)),
            );
        }
        Ok(out)
    }
}
