//! The Linear Road dataflow's outputs equal the sequential reference on a
//! generated workload (tolls, accidents, balances, daily expenditures,
//! travel-time estimates), with
//! one worker and with several.

use omnibus_linear_road::History;
use omnibus_linear_road::{Output, dataflow, run};
use omnibus_sim::linear_road::{LrConfig, generate, segment_history};
use std::sync::Arc;

fn workload() -> (Vec<omnibus_linear_road::Tuple>, Arc<History>) {
    let config = LrConfig {
        seed: 7,
        xways: 2,
        duration_s: 1_500,
        accident_every_s: 300,
        balance_query_rate: 0.02,
        daily_query_rate: 0.01,
        travel_query_rate: 0.01,
        peak_arrivals_per_minute: 1_200,
        ramp_from: 0.1,
        jam_cars: 120,
        ..LrConfig::default()
    };
    let tuples = generate(&config);
    // A synthetic toll history for the daily-expenditure queries.
    let tolls: Vec<_> = (0..5_000u32).map(|v| (v, 1 + v % 69, v % 2, (v * 7) % 90)).collect();
    (tuples, Arc::new(History::new(&tolls, segment_history(7, 2))))
}

#[test]
fn the_dataflow_matches_the_reference_with_one_and_four_workers() {
    let (tuples, history) = workload();
    let mut want = run(&tuples, &history);
    want.sort();
    // The workload exercises every rule.
    assert!(want.iter().any(|o| matches!(o, Output::Toll { toll, .. } if *toll > 0)));
    assert!(want.iter().any(|o| matches!(o, Output::Accident { .. })));
    assert!(want.iter().any(|o| matches!(o, Output::Balance { balance, .. } if *balance > 0)));
    assert!(want.iter().any(|o| matches!(o, Output::DailyExpenditure { balance, .. } if *balance > 0)));
    assert!(want.iter().any(|o| matches!(o, Output::TravelTime { toll, .. } if *toll > 0)));
    for workers in [1, 4] {
        let got = dataflow::run(workers, tuples.clone(), history.clone()).unwrap();
        assert_eq!(got.len(), want.len(), "{workers} workers");
        assert!(got == want, "{workers} workers: outputs differ");
    }
}
