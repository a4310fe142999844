//! Why a run stopped, and the one mapping onto gRPC status codes.

use omnibus_linear_road::live::LiveError;
use tonic::Status;

/// Why a Linear Road run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A message broke the protocol; the message names the field.
    #[error("{field}: {reason}")]
    InvalidArgument {
        /// The field at fault (`second`, `tuples`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Too many runs at once.
    #[error("runs: {0} runs are open; at most that many at once")]
    Busy(usize),
    /// The job failed.
    #[error(transparent)]
    Job(#[from] LiveError),
}

impl From<RunError> for Status {
    fn from(e: RunError) -> Status {
        match &e {
            RunError::InvalidArgument { .. }
            | RunError::Job(LiveError::Late { .. } | LiveError::Backwards { .. }) => {
                Status::invalid_argument(e.to_string())
            }
            RunError::Busy(_) => Status::resource_exhausted(e.to_string()),
            RunError::Job(_) => Status::internal(e.to_string()),
        }
    }
}
