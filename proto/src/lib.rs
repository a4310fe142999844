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
