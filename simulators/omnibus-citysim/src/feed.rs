//! Telemetry out, prices in: how a simulated day reaches the live platform's
//! stream job and how its prices come back.
//!
//! [`PriceFeed`] takes one day's telemetry in time order and returns what the
//! platform made of it. The gRPC implementation (in the `omnibus` command)
//! sends it to a fresh ingest service and reads prices from the pricing
//! service; [`OfflineFeed`] calls the same ingest service and stream job
//! in-process, batch for batch, and must give identical results (tested).

use crate::CitySimError;
use omnibus_core::clock::ManualClock;
use omnibus_core::live::LiveCity;
use omnibus_core::policy::{Policy, PolicyStore};
use omnibus_core::{Cents, City, EventTime, Minute, SegmentId};
use omnibus_ingest::{IngestConfig, IngestService};
use omnibus_proto::v1::{TelemetryBatch, TelemetryRecord};
use omnibus_traffic::TrafficJob;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// Records per ingest batch.
pub const BATCH: usize = 2_000;

/// Every segment price the stream job set over a day: per segment, the
/// minutes whose close changed its price, and the new price, ascending.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PriceTable {
    /// `segment → [(minute, price)]`, minutes ascending.
    pub segments: BTreeMap<SegmentId, Vec<(Minute, Cents)>>,
    /// What an unpriced segment costs.
    pub floor: Cents,
}

impl PriceTable {
    /// Records that the close of `minute` changed `segment`'s price to `price`.
    pub fn set(&mut self, segment: SegmentId, minute: Minute, price: Cents) {
        let v = self.segments.entry(segment).or_default();
        match v.binary_search_by_key(&minute, |(m, _)| *m) {
            Ok(i) => v[i].1 = price,
            Err(i) => v.insert(i, (minute, price)),
        }
    }

    /// The price a driver entering `segment` at `t` pays: the one set by the
    /// latest minute closed before `t`'s minute.
    pub fn price_at(&self, segment: SegmentId, t: EventTime) -> Cents {
        let Some(v) = self.segments.get(&segment) else { return self.floor };
        let m = t.minute();
        match v.partition_point(|(x, _)| *x < m) {
            0 => self.floor,
            i => v[i - 1].1,
        }
    }

    /// Segments that ever cost more than the floor.
    pub fn priced_segments(&self) -> usize {
        self.segments.values().filter(|v| v.iter().any(|(_, p)| *p > self.floor)).count()
    }
}

/// What the platform made of one simulated day.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DayPrices {
    /// Segment prices, minute by minute.
    pub table: PriceTable,
    /// Hourly price of each parking facility at the end of the day.
    pub parking: BTreeMap<String, Cents>,
    /// Cordon passages the stream job saw (from probes), and what they owed.
    pub cordon_passages: u64,
    /// See [`DayPrices::cordon_passages`].
    pub cordon_revenue: Cents,
    /// Records the ingest service accepted.
    pub accepted: u64,
    /// Records it rejected, and the first reasons.
    pub rejected: u64,
    /// Up to five rejection reasons.
    pub rejection_samples: Vec<String>,
}

/// Sends a day's telemetry to the platform under `policy` and reads its prices.
pub trait PriceFeed {
    /// `records` are in time order. The platform starts fresh for each day.
    fn day(
        &mut self,
        policy: &Policy,
        records: Vec<TelemetryRecord>,
    ) -> impl std::future::Future<Output = Result<DayPrices, CitySimError>>;
}

/// `records` in batches of [`BATCH`], in order, each record moved once.
pub fn batches(records: Vec<TelemetryRecord>) -> impl Iterator<Item = Vec<TelemetryRecord>> {
    let mut records = records.into_iter();
    std::iter::from_fn(move || {
        let batch: Vec<TelemetryRecord> = records.by_ref().take(BATCH).collect();
        (!batch.is_empty()).then_some(batch)
    })
}

/// The newest event time of a batch (the simulated clock while it is sent).
pub fn newest(records: &[TelemetryRecord]) -> EventTime {
    use omnibus_proto::v1::telemetry_record::Kind;
    EventTime(
        records
            .iter()
            .filter_map(|r| match r.kind.as_ref()? {
                Kind::Probe(p) => Some(p.time_ms),
                Kind::LoopCount(l) => Some(l.time_ms),
                Kind::Parking(p) => Some(p.time_ms),
                Kind::BikeStation(b) => Some(b.time_ms),
            })
            .max()
            .unwrap_or(0),
    )
}

/// The ingest settings of a simulated day: no log (the day is replayed from
/// its seed), no rate limit, batches of [`BATCH`].
pub fn ingest_config() -> IngestConfig {
    let mut config = IngestConfig { wal_dir: None, fsync: false, ..IngestConfig::default() };
    config.limits.max_batch = BATCH;
    config.limits.max_records_per_second_per_client = u32::MAX;
    config
}

/// The in-process feed: the ingest service and the traffic stream job without sockets.
#[derive(Debug)]
pub struct OfflineFeed {
    city: Arc<City>,
    workers: usize,
}

impl OfflineFeed {
    /// A feed for `city` whose stream job runs `workers` workers.
    pub fn new(city: Arc<City>, workers: usize) -> OfflineFeed {
        OfflineFeed { city, workers }
    }
}

impl PriceFeed for OfflineFeed {
    async fn day(
        &mut self,
        policy: &Policy,
        records: Vec<TelemetryRecord>,
    ) -> Result<DayPrices, CitySimError> {
        let store = PolicyStore::new(policy.clone(), "simulation")
            .map_err(|e| CitySimError::Platform(format!("policy: {e}")))?;
        let floor = store.latest().policy.rule.floor();
        let live = LiveCity::new(store);
        let mut feed = live.subscribe();
        let clock =
            ManualClock::new(records.first().map_or(EventTime(0), |r| newest(std::slice::from_ref(r))));
        let job = TrafficJob::start(self.city.clone(), live.clone(), self.workers, None);
        let ingest = IngestService::start(self.city.clone(), clock.clock(), ingest_config(), job)
            .await
            .map_err(|e| CitySimError::Platform(e.to_string()))?;
        // Collect every price change as the job publishes it, until told the day is over.
        let (done, mut over) = tokio::sync::oneshot::channel::<()>();
        let collector = tokio::spawn(async move {
            let mut table = PriceTable { floor, ..PriceTable::default() };
            loop {
                let next = tokio::select! {
                    biased;
                    next = feed.recv() => next,
                    _ = &mut over => {
                        loop {
                            match feed.try_recv() {
                                Ok(c) => table.set(c.segment, c.minute, c.new),
                                Err(TryRecvError::Lagged(n)) => return Err(n),
                                Err(_) => return Ok(table),
                            }
                        }
                    }
                };
                match next {
                    Ok(c) => table.set(c.segment, c.minute, c.new),
                    Err(RecvError::Lagged(n)) => return Err(n),
                    Err(RecvError::Closed) => return Ok(table),
                }
            }
        });
        let mut out = DayPrices::default();
        for batch in batches(records) {
            clock.set(newest(&batch));
            let ack = ingest
                .ingest_batch(None, TelemetryBatch { records: batch })
                .await
                .map_err(|e| CitySimError::Platform(e.to_string()))?;
            count(&mut out, ack.accepted, &ack.rejected);
        }
        ingest.finish().await.map_err(|e| CitySimError::Platform(e.to_string()))?;
        let _ = done.send(());
        out.table = collector
            .await
            .map_err(|e| CitySimError::Platform(format!("price collector: {e}")))?
            .map_err(|n| CitySimError::Platform(format!("the price feed lost {n} updates")))?;
        live.read(|s| {
            for (id, p) in &s.parking {
                out.parking.insert(id.clone(), p.price_per_hour);
            }
            out.cordon_passages = s.cordon.passages;
            out.cordon_revenue = s.cordon.revenue;
        });
        Ok(out)
    }
}

/// Adds an acknowledgement to the totals.
pub fn count(out: &mut DayPrices, accepted: u32, rejected: &[omnibus_proto::v1::Rejection]) {
    out.accepted += u64::from(accepted);
    out.rejected += rejected.len() as u64;
    for r in rejected.iter().take(5usize.saturating_sub(out.rejection_samples.len())) {
        out.rejection_samples.push(format!("record {}: {}: {}", r.index, r.field, r.reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_every_record_in_order() {
        let record = |i: u64| TelemetryRecord {
            kind: Some(omnibus_proto::v1::telemetry_record::Kind::LoopCount(
                omnibus_proto::v1::LoopDetectorCount { detector_id: i.to_string(), ..Default::default() },
            )),
        };
        let records: Vec<TelemetryRecord> = (0..2 * BATCH as u64 + 7).map(record).collect();
        let sizes: Vec<usize> = batches(records.clone()).map(|b| b.len()).collect();
        assert_eq!(sizes, [BATCH, BATCH, 7]);
        assert_eq!(batches(records.clone()).flatten().collect::<Vec<_>>(), records);
        assert_eq!(batches(Vec::new()).count(), 0);
    }

    #[test]
    fn a_price_applies_from_the_minute_after_the_one_that_set_it() {
        let mut t = PriceTable { floor: Cents(5), ..PriceTable::default() };
        let s = SegmentId(3);
        t.set(s, Minute(10), Cents(50));
        t.set(s, Minute(12), Cents(75));
        t.set(s, Minute(11), Cents(60));
        let at = |m: i64, sec: i64| EventTime(m * 60_000 + sec * 1_000);
        assert_eq!(t.price_at(s, at(10, 59)), Cents(5));
        assert_eq!(t.price_at(s, at(11, 0)), Cents(50));
        assert_eq!(t.price_at(s, at(12, 30)), Cents(60));
        assert_eq!(t.price_at(s, at(99, 0)), Cents(75));
        assert_eq!(t.price_at(SegmentId(4), at(99, 0)), Cents(5));
        assert_eq!(t.priced_segments(), 1);
    }
}
