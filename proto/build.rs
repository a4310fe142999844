//! Compiles `omnibus/v1/*.proto` with protox (pure Rust, no system `protoc`).

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "omnibus/v1/common.proto",
        "omnibus/v1/telemetry.proto",
        "omnibus/v1/pricing.proto",
        "omnibus/v1/planner.proto",
        "omnibus/v1/linear_road.proto",
    ];
    for file in &files {
        println!("cargo:rerun-if-changed={file}");
    }
    let fds = protox::compile(files, ["."])?;
    let out = PathBuf::from(env::var("OUT_DIR")?);
    std::fs::write(out.join("omnibus_descriptor.bin"), prost::Message::encode_to_vec(&fds))?;
    tonic_prost_build::configure().build_server(true).build_client(true).compile_fds(fds)?;
    Ok(())
}
