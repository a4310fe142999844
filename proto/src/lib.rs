//! The Omnibus wire contract: Rust types, clients and servers generated from
//! `proto/omnibus/v1/*.proto` (package `omnibus.v1`), plus the encoded file
//! descriptor set that gRPC server reflection serves.

/// Package `omnibus.v1`.
#[allow(missing_docs, missing_debug_implementations, clippy::all, clippy::pedantic)]
pub mod v1 {
    tonic::include_proto!("omnibus.v1");
}

/// The encoded `FileDescriptorSet` of every Omnibus proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/omnibus_descriptor.bin"));

/// Server plumbing every Omnibus service shares: gRPC health checking and
/// server reflection (so `grpcurl` works without proto files), and serving on a
/// bound listener until a shutdown signal.
pub mod serving {
    use std::future::Future;
    use tokio::net::TcpListener;
    use tokio_stream::StreamExt;
    use tokio_stream::wrappers::TcpListenerStream;
    use tonic::transport::server::Router;

    /// Largest request message accepted by any service, bytes.
    pub const MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;

    /// A server builder with health (`grpc.health.v1.Health`) and reflection
    /// (`grpc.reflection.v1` and `v1alpha`) already added. Returns the health
    /// reporter so the caller can mark its own service as serving.
    pub fn router() -> (tonic_health::server::HealthReporter, Router) {
        let (reporter, health) = tonic_health::server::health_reporter();
        let v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .expect("the bundled descriptors are valid");
        let v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()
            .expect("the bundled descriptors are valid");
        let router = tonic::transport::Server::builder()
            .concurrency_limit_per_connection(256)
            .add_service(health)
            .add_service(v1)
            .add_service(v1alpha);
        (reporter, router)
    }

    /// Serves `router` on `listener` until `shutdown` resolves.
    pub async fn serve(
        router: Router,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), tonic::transport::Error> {
        // Small replies must not wait for Nagle's algorithm (40 ms per round trip).
        let incoming = TcpListenerStream::new(listener).map(|conn| {
            if let Ok(stream) = &conn {
                let _ = stream.set_nodelay(true);
            }
            conn
        });
        router.serve_with_incoming_shutdown(incoming, shutdown).await
    }
}
