//! The `omnibus` command's library: configuration, and [`Platform`], which
//! starts the services of one process (ingest with the traffic stream job,
//! pricing, planner) over one shared live city state, each on its own listener.
//! The demo, `omnibus serve` and the end-to-end tests all start it the same way.

pub mod config;
pub mod mirror;
pub mod sim_feed;

use anyhow::Context;
use config::{Config, Service};
use omnibus_core::City;
use omnibus_core::clock::Clock;
use omnibus_core::live::LiveCity;
use omnibus_core::policy::PolicyStore;
use omnibus_ingest::IngestService;
use omnibus_planner::PlannerService;
use omnibus_pricing::PricingService;
use omnibus_proto::v1::pricing_client::PricingClient;
use omnibus_traffic::{Recorder, TrafficJob};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// A running set of services.
#[derive(Debug)]
pub struct Platform {
    /// The city.
    pub city: Arc<City>,
    /// The live state every service reads.
    pub live: LiveCity,
    /// The ingest service, when it runs here.
    pub ingest: Option<IngestService>,
    /// Where each running service listens.
    pub addrs: Vec<(Service, SocketAddr)>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<Result<(), tonic::transport::Error>>>,
    mirror: Option<JoinHandle<()>>,
}

impl Platform {
    /// Starts the services `config.services` names, on the configured addresses
    /// (port 0 picks a free port; see [`Platform::addr`]).
    pub async fn start(
        city: Arc<City>,
        clock: Clock,
        config: &Config,
        recorder: Option<Recorder>,
    ) -> anyhow::Result<Platform> {
        if let Some(express) = &config.policy.express_lanes {
            express.validate(Some(&city.network)).context("the [policy] table of the configuration")?;
        }
        let policies = PolicyStore::new(config.policy.clone(), "configuration")
            .context("the [policy] table of the configuration")?;
        let live = LiveCity::new(policies);
        let (shutdown, _) = watch::channel(false);
        let mut platform = Platform {
            city: city.clone(),
            live: live.clone(),
            ingest: None,
            addrs: Vec::new(),
            shutdown,
            tasks: Vec::new(),
            mirror: None,
        };
        // Without the stream job here, mirror the stream node's live state.
        let replica_of = match (&config.upstream.pricing, config.services.contains(&Service::Ingest)) {
            (Some(url), false) => Some(url.as_str()),
            _ => None,
        };
        if let Some(url) = replica_of {
            platform.mirror = Some(tokio::spawn(mirror::run(
                city.clone(),
                live.clone(),
                url.to_owned(),
                platform.shutdown.subscribe(),
            )));
        }
        for service in &config.services {
            let addr = config.server.addr(*service);
            let listener =
                TcpListener::bind(addr).await.with_context(|| format!("bind {service} on {addr}"))?;
            let local = listener.local_addr()?;
            let mut rx = platform.shutdown.subscribe();
            let signal = async move {
                let _ = rx.wait_for(|stop| *stop).await;
            };
            let task = match service {
                Service::Ingest => {
                    let job = TrafficJob::start(
                        city.clone(),
                        live.clone(),
                        config.stream.workers,
                        recorder.clone(),
                    );
                    let ingest =
                        IngestService::start(city.clone(), clock.clone(), config.ingest.clone(), job)
                            .await
                            .context("start the ingest service")?;
                    platform.ingest = Some(ingest.clone());
                    tokio::spawn(omnibus_ingest::run(listener, signal, ingest))
                }
                Service::Pricing => {
                    let mut pricing = PricingService::new(city.clone(), live.clone())
                        .with_shutdown(platform.shutdown.subscribe());
                    if let Some(url) = replica_of {
                        let channel = tonic::transport::Endpoint::from_shared(url.to_owned())
                            .with_context(|| format!("[upstream] pricing = {url:?}"))?
                            .connect_lazy();
                        pricing = pricing.with_upstream(PricingClient::new(channel));
                    }
                    tokio::spawn(omnibus_pricing::run(listener, signal, pricing))
                }
                Service::LinearRoad => {
                    let history = linear_road_history(&config.linear_road)?;
                    let service = omnibus_lr::LinearRoadService::new(
                        Arc::new(history),
                        config.linear_road.workers,
                        clock.clone(),
                    );
                    tokio::spawn(omnibus_lr::run(listener, signal, service))
                }
                Service::Planner => {
                    let car = omnibus_planner::CarPlanner::new(city.clone(), live.clone())
                        .with_hierarchy_in_background();
                    // The bundled city comes with its bus and metro feeds.
                    let service = if config.city.osm_pbf.is_none() {
                        let (car2, city2) = (car.clone(), city.clone());
                        PlannerService::with_journeys_loading(car, clock.clone(), move || {
                            let transit = omnibus_planner::transit::TransitNetwork::porto_alegre(&city2)
                                .map_err(|error| warn!(%error, "Bundled transit feeds failed to import."))
                                .ok()
                                .map(Arc::new);
                            omnibus_planner::journey::JourneyPlanner::new(car2, transit)
                        })
                    } else {
                        PlannerService::with_journeys(
                            omnibus_planner::journey::JourneyPlanner::new(car, None),
                            clock.clone(),
                        )
                    };
                    tokio::spawn(omnibus_planner::run(listener, signal, service))
                }
            };
            info!(%service, addr = %local, "Service listening.");
            platform.addrs.push((*service, local));
            platform.tasks.push(task);
        }
        Ok(platform)
    }

    /// Where `service` listens.
    pub fn addr(&self, service: Service) -> Option<SocketAddr> {
        self.addrs.iter().find(|(s, _)| *s == service).map(|(_, a)| *a)
    }

    /// `http://addr` of `service`, for clients.
    pub fn endpoint(&self, service: Service) -> String {
        format!("http://{}", self.addr(service).expect("service runs here"))
    }

    /// Closes every open minute of the stream job (its prices become final),
    /// then stops the servers.
    pub async fn stop(self) -> anyhow::Result<()> {
        if let Some(ingest) = &self.ingest {
            ingest.finish().await?;
        }
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            t.await??;
        }
        if let Some(m) = self.mirror {
            m.await?;
        }
        Ok(())
    }
}

/// Reads the Linear Road history files named in the configuration (none: empty).
fn linear_road_history(config: &config::LinearRoadConfig) -> anyhow::Result<omnibus_linear_road::History> {
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .with_context(|| format!("[linear_road] {}: cannot read", path.display()))
    };
    let tolls = match &config.toll_history {
        Some(path) => omnibus_linear_road::parse_history(&read(path)?, &path.display().to_string())?,
        None => Vec::new(),
    };
    let segments = match &config.segment_history {
        Some(path) => omnibus_linear_road::SegmentHistory::parse(&read(path)?, &path.display().to_string())?,
        None => omnibus_linear_road::SegmentHistory::default(),
    };
    Ok(omnibus_linear_road::History::new(&tolls, segments))
}
