//! GBFS import on real feeds from the shared city data: Bay Wheels (2.x, 496
//! stations), Helsinki (2.x), Lillestrøm (2.2) and a 3.0 feed that lists a
//! station's status twice.

use omnibus_core::gbfs::{self, Feed};
use omnibus_core::registry::Site;
use omnibus_core::{City, EventTime, LatLon};
use std::path::PathBuf;

fn shared(rel: &str) -> PathBuf {
    omnibus_core::shared_data::path(rel)
}

#[test]
fn bay_wheels_imports_every_station_and_status() {
    let feed = Feed::load(&shared("bay-area/gbfs")).unwrap();
    assert_eq!(feed.information.records.len(), 496);
    assert!(feed.information.skipped.is_empty(), "{:?}", feed.information.skipped);
    let status = feed.status.as_ref().unwrap();
    assert_eq!(status.records.len(), 496);
    assert!(status.skipped.is_empty(), "{:?}", status.skipped);
    // Every station is in the Bay Area and every status names a known station.
    for s in &feed.information.records {
        assert!((36.5..38.5).contains(&s.pos.lat) && (-123.0..-121.5).contains(&s.pos.lon), "{s:?}");
    }
    let sites = feed.sites();
    assert!(status.records.iter().all(|s| sites.contains_key(&format!("gbfs-{}", s.id))));
    let bikes: u32 = status.records.iter().map(|s| s.bikes_available).sum();
    assert!(bikes > 1_000, "{bikes} bikes docked");
    // The snapshot is from 16 September 2022.
    let day = |t: EventTime| t.0 / 86_400_000;
    assert_eq!(day(status.last_updated.unwrap()), day(gbfs::rfc3339("2022-09-16T00:00:00Z").unwrap()));
}

#[test]
fn helsinki_and_lillestrom_import() {
    // The Helsinki snapshot has three broken stations among ten.
    let feed = Feed::load(&shared("gbfs/helsinki")).unwrap();
    let skipped: Vec<String> = feed.information.skipped.iter().map(ToString::to_string).collect();
    assert_eq!(
        skipped,
        [
            "line 41: field station_id: must be a non-empty string, got null",
            "line 48: field station_id: must be a non-empty string, got \"\"",
            "line 69 (station 010): field lat: missing",
        ]
    );
    assert_eq!(feed.information.records.len(), 7);
    // A station with an empty name is known by its id.
    let s009 = &feed.information.records[6];
    assert_eq!((s009.id.as_str(), s009.name.as_str()), ("009", "009"));
    let first = &feed.information.records[0];
    assert_eq!((first.id.as_str(), first.name.as_str(), first.capacity), ("001", "Kaivopuisto", Some(30)));
    assert!(first.pos.distance_m(LatLon::new(60.155444793821, 24.9502928896903)) < 0.01);
    let status = feed.status.unwrap();
    assert_eq!(status.records.len(), 10);
    // Statuses of stations the information file lacks still import.
    assert_eq!((status.records[0].bikes_available, status.records[0].docks_available), (2, 29));

    let feed = Feed::load(&shared("gbfs/lillestrombysykkel")).unwrap();
    assert_eq!(feed.information.records.len(), 6);
    assert_eq!(feed.status.unwrap().records.len(), 6);
}

#[test]
fn a_repeated_station_keeps_the_first_and_reports_the_rest() {
    let feed = Feed::load(&shared("gbfs/duplicate-stations-v3")).unwrap();
    let names: Vec<&str> = feed.information.records.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Station One", "Station Duplicate First", "Station Three"]);
    let status = feed.status.unwrap();
    let kept: Vec<(&str, u32)> = status.records.iter().map(|s| (s.id.as_str(), s.bikes_available)).collect();
    assert_eq!(kept, [("station_1", 5), ("station_duplicate", 10), ("station_3", 3)]);
    assert_eq!(status.skipped.len(), 1);
    let skipped = status.skipped[0].to_string();
    assert!(skipped.starts_with(
        "line 22 (station station_duplicate): field station_id: repeats the station first listed at line 13"
    ), "{skipped}");
    assert_eq!(status.records[0].last_reported, gbfs::rfc3339("2025-11-05T12:00:00Z"));
}

#[test]
fn a_city_registers_the_stations_inside_it() {
    let mut city = City::porto_alegre();
    let before = city.registry.bike_stations.len();
    let text = r#"{"data": {"stations": [
        {"station_id": "mercado", "name": "Mercado Público", "lat": -30.0276, "lon": -51.2278, "capacity": 16},
        {"station_id": "far", "name": "Elsewhere", "lat": -23.55, "lon": -46.63}
    ]}}"#;
    let feed = Feed { information: gbfs::station_information(text, "inline").unwrap(), status: None };
    assert_eq!(city.add_gbfs_stations(&feed), ["gbfs-far"]);
    assert_eq!(city.registry.bike_stations.len(), before + 1);
    let site = &city.registry.bike_stations["gbfs-mercado"];
    assert_eq!(
        site,
        &Site { pos: LatLon::new(-30.0276, -51.2278), capacity: 16, name: Some("Mercado Público".into()) }
    );
}
