//! The ingest write-ahead log: accepted records, one frame per batch, appended
//! and flushed to disk before the batch is acknowledged.
//!
//! Frame: `len: u32 LE | crc32(payload): u32 LE | payload` where the payload is
//! a protobuf `omnibus.v1.TelemetryBatch` holding only accepted records. On open
//! every intact frame is read back; a torn or corrupt tail (a crash mid-write)
//! is cut off, so the log always ends at the last acknowledged batch.

use omnibus_proto::v1::TelemetryBatch;
use prost::Message;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Largest frame the log accepts (a batch is far smaller).
const MAX_FRAME: u32 = 64 * 1024 * 1024;

/// Failure of the log.
#[derive(Debug, thiserror::Error)]
pub enum WalError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The log file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// An open log.
#[derive(Debug)]
pub struct Wal {
    file: File,
    path: PathBuf,
    fsync: bool,
    frames: u64,
}

/// What opening a log found.
#[derive(Debug)]
pub struct Recovered {
    /// Intact batches, oldest first.
    pub batches: Vec<TelemetryBatch>,
    /// Bytes cut from a torn tail.
    pub truncated_bytes: u64,
}

impl Wal {
    /// Opens (or creates) `dir/telemetry.wal`, reading back every intact frame.
    /// With `fsync`, each append reaches the disk before it returns.
    pub fn open(dir: &Path, fsync: bool) -> Result<(Wal, Recovered), WalError> {
        let path = dir.join("telemetry.wal");
        let io = |source| WalError::Io { path: path.display().to_string(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(&path).map_err(io)?;
        let total = file.metadata().map_err(io)?.len();
        let mut reader = BufReader::new(&mut file);
        let mut batches = Vec::new();
        let mut good: u64 = 0;
        loop {
            let mut head = [0u8; 8];
            if reader.read_exact(&mut head).is_err() {
                break;
            }
            let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
            let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
            if len > MAX_FRAME {
                break;
            }
            let mut payload = vec![0u8; len as usize];
            if reader.read_exact(&mut payload).is_err() || crc32fast::hash(&payload) != crc {
                break;
            }
            let Ok(batch) = TelemetryBatch::decode(payload.as_slice()) else { break };
            batches.push(batch);
            good += 8 + u64::from(len);
        }
        drop(reader);
        if good < total {
            file.set_len(good).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        file.seek(SeekFrom::End(0)).map_err(io)?;
        let frames = batches.len() as u64;
        Ok((Wal { file, path, fsync, frames }, Recovered { batches, truncated_bytes: total - good }))
    }

    /// Appends one batch; returns its sequence number (1 for the first frame ever).
    pub fn append(&mut self, batch: &TelemetryBatch) -> Result<u64, WalError> {
        let payload = batch.encode_to_vec();
        let mut frame = Vec::with_capacity(payload.len() + 8);
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        frame.extend_from_slice(&payload);
        let io = |source| WalError::Io { path: self.path.display().to_string(), source };
        self.file.write_all(&frame).map_err(io)?;
        if self.fsync {
            self.file.sync_data().map_err(io)?;
        }
        self.frames += 1;
        Ok(self.frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omnibus_proto::v1::{BikeStationStatus, TelemetryRecord, telemetry_record::Kind};

    fn batch(n: u32) -> TelemetryBatch {
        TelemetryBatch {
            records: (0..n)
                .map(|i| TelemetryRecord {
                    kind: Some(Kind::BikeStation(BikeStationStatus {
                        station_id: format!("s{i}"),
                        time_ms: i64::from(i),
                        num_bikes_available: i,
                        num_docks_available: 1,
                        is_renting: true,
                        is_returning: true,
                    })),
                })
                .collect(),
        }
    }

    #[test]
    fn batches_survive_reopening_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut wal, rec) = Wal::open(dir.path(), true).unwrap();
            assert!(rec.batches.is_empty());
            assert_eq!(wal.append(&batch(3)).unwrap(), 1);
            assert_eq!(wal.append(&batch(5)).unwrap(), 2);
        }
        // A crash in the middle of a third append leaves half a frame.
        let path = dir.path().join("telemetry.wal");
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[200, 0, 0, 0, 1, 2, 3]).unwrap();
        drop(f);
        let (mut wal, rec) = Wal::open(dir.path(), true).unwrap();
        assert_eq!(rec.batches, vec![batch(3), batch(5)]);
        assert_eq!(rec.truncated_bytes, 7);
        assert_eq!(wal.append(&batch(1)).unwrap(), 3);
        drop(wal);
        let (_, rec) = Wal::open(dir.path(), false).unwrap();
        assert_eq!(rec.batches.len(), 3);
    }

    #[test]
    fn a_corrupt_frame_ends_recovery_there() {
        let dir = tempfile::tempdir().unwrap();
        let (mut wal, _) = Wal::open(dir.path(), false).unwrap();
        wal.append(&batch(2)).unwrap();
        wal.append(&batch(2)).unwrap();
        drop(wal);
        let path = dir.path().join("telemetry.wal");
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        let (_, rec) = Wal::open(dir.path(), false).unwrap();
        assert_eq!(rec.batches.len(), 1);
    }
}
