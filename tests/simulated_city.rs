//! The simulator drives the real platform over gRPC: every record it sends is
//! acknowledged in bounded batches, reaches the stream job, and the job's
//! picture of the city follows the simulated traffic.

use omnibus::config::Service;
use omnibus_core::clock::ManualClock;
use omnibus_sim::{SimConfig, Simulation, drive};
use omnibus_tests::{city, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_morning_flows_through_ingest_into_the_stream_job() {
    let city = city();
    let config = SimConfig { vehicles: 2_000, duration_s: 1_200, batch_size: 500, ..SimConfig::default() };
    let mut sim = Simulation::new(city.clone(), config);
    // The platform runs on the simulated clock, as in the demo.
    let clock = ManualClock::new(sim.now());
    let platform = start(&clock, None).await;
    let mut client = omnibus_sim::connect(platform.endpoint(Service::Ingest)).await.unwrap();
    let sim_clock = sim.clock();
    let mut minutes = 0;
    let report = drive(&mut sim, &mut client, |_, now| {
        clock.set(now);
        assert_eq!(sim_clock.now(), now);
        minutes += 1;
    })
    .await
    .unwrap();
    assert_eq!(minutes, 20);
    assert_eq!(report.rejected, 0, "{:?}", report.rejection_samples);
    assert_eq!(report.accepted, report.records_sent);
    assert!(report.batches >= 20 && report.records_sent <= report.batches * 500);
    let ingest = platform.ingest.as_ref().unwrap();
    assert_eq!(ingest.counters().accepted.load(std::sync::atomic::Ordering::Relaxed), report.records_sent);

    // Closing every minute: the job has read every probe the simulator sent.
    ingest.finish().await.unwrap();
    let (counters, observed, minute) =
        platform.live.read(|s| (s.counters, s.segments.len(), s.latest_minute.unwrap()));
    assert_eq!(counters.probes, sim.stats().probes);
    assert_eq!(counters.unmatched, 0);
    assert!(observed > 100, "{observed} segments observed");
    assert!(minute.0 >= sim.now().minute().0 - 1, "the last minute was closed");
    // Where the simulation's traffic crawls, the job measured it crawling too.
    let slow = platform.live.read(|s| {
        s.segments
            .iter()
            .filter(|(id, l)| {
                l.window_speed.is_some_and(|v| v.0 < 0.5 * city.network.segments()[id.index()].free_flow.0)
            })
            .count()
    });
    assert!(slow > 0 && sim.min_speed_ratio() < 0.5, "{slow} slow segments");
    platform.stop().await.unwrap();
}
