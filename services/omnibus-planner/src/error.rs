//! The planner's error type and its one mapping onto gRPC status codes.

use omnibus_core::units::NodeId;
use tonic::{Code, Status};

/// Why a journey could not be planned.
///
/// Every bad-input variant names the request field at fault (as in the wire
/// contract), and its message starts with that field: `origin: ...`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// A request field is missing or holds an unusable value.
    #[error("{field}: {reason}")]
    InvalidArgument {
        /// Dotted path of the field (`origin.lat`, `value_of_time_cents_per_hour`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The point lies outside the area the city's network covers.
    #[error(
        "{field}: ({lat}, {lon}) is outside the {city} service area, {distance_m:.0} m from the nearest road"
    )]
    OutsideArea {
        /// `origin` or `destination`.
        field: &'static str,
        /// Latitude asked for.
        lat: f64,
        /// Longitude asked for.
        lon: f64,
        /// The city's name.
        city: String,
        /// Great-circle distance to the nearest road, metres.
        distance_m: f64,
    },
    /// The point is inside the area but too far from any road to start or end a drive.
    #[error("{field}: {distance_m:.0} m from the nearest road; at most {max_m:.0} m is allowed")]
    TooFarFromRoad {
        /// `origin` or `destination`.
        field: &'static str,
        /// Great-circle distance to the nearest road, metres.
        distance_m: f64,
        /// The largest distance allowed, metres.
        max_m: f64,
    },
    /// A travel mode was asked for that the planner cannot plan yet.
    #[error("modes: {mode} is not served here: this planner has no transit network and plans MODE_CAR only")]
    UnsupportedMode {
        /// The mode's wire name (`MODE_TRANSIT`).
        mode: &'static str,
    },
    /// No drivable route joins the two points.
    #[error("no car route from junction {from} to junction {to}")]
    NoRoute {
        /// The junction the origin snapped to.
        from: NodeId,
        /// The junction the destination snapped to.
        to: NodeId,
    },
}

impl PlanError {
    /// A bad value of `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> PlanError {
        PlanError::InvalidArgument { field, reason: reason.into() }
    }

    /// The request field at fault, for bad-input errors.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PlanError::InvalidArgument { field, .. }
            | PlanError::OutsideArea { field, .. }
            | PlanError::TooFarFromRoad { field, .. } => Some(field),
            PlanError::UnsupportedMode { .. } => Some("modes"),
            PlanError::NoRoute { .. } => None,
        }
    }
}

/// The one place a [`PlanError`] becomes a gRPC status: bad input is
/// `INVALID_ARGUMENT` (the message starts with the field), no route is `NOT_FOUND`.
impl From<PlanError> for Status {
    fn from(error: PlanError) -> Status {
        let code = match &error {
            PlanError::InvalidArgument { .. }
            | PlanError::OutsideArea { .. }
            | PlanError::TooFarFromRoad { .. }
            | PlanError::UnsupportedMode { .. } => Code::InvalidArgument,
            PlanError::NoRoute { .. } => Code::NotFound,
        };
        Status::new(code, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_invalid_argument_and_starts_with_the_field() {
        let cases = [
            PlanError::invalid("origin.lat", "must be a finite number, got NaN"),
            PlanError::OutsideArea {
                field: "destination",
                lat: 0.0,
                lon: 0.0,
                city: "Porto Alegre".into(),
                distance_m: 1e6,
            },
            PlanError::TooFarFromRoad { field: "origin", distance_m: 1234.4, max_m: 1000.0 },
            PlanError::UnsupportedMode { mode: "MODE_TRANSIT" },
        ];
        for error in cases {
            let field = error.field().unwrap();
            let status = Status::from(error);
            assert_eq!(status.code(), Code::InvalidArgument);
            assert!(status.message().starts_with(&format!("{field}: ")), "{}", status.message());
        }
    }

    #[test]
    fn messages_name_the_distance_and_the_mode() {
        let e = PlanError::TooFarFromRoad { field: "origin", distance_m: 1234.4, max_m: 1000.0 };
        assert_eq!(e.to_string(), "origin: 1234 m from the nearest road; at most 1000 m is allowed");
        let e = PlanError::UnsupportedMode { mode: "MODE_TRANSIT" };
        assert_eq!(
            e.to_string(),
            "modes: MODE_TRANSIT is not served here: this planner has no transit network and plans MODE_CAR only"
        );
    }

    #[test]
    fn no_route_is_not_found() {
        let status = Status::from(PlanError::NoRoute { from: NodeId(1), to: NodeId(2) });
        assert_eq!(status.code(), Code::NotFound);
        assert!(status.message().contains("n1") && status.message().contains("n2"));
    }
}
