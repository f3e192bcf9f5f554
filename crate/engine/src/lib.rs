//! `conclude-engine`: turns batches of metric points into conclusions.
//!
//! The crate knows nothing about Node: the napi binding (`crate/napi`) is a thin
//! layer over [`engine::analyze`]. Every module owns one concern:
//!
//! * [`parse`]: NDJSON / CSV batches into [`Batch`] (series grouped, ts-sorted);
//! * [`columns`]: series given as arrays into the same [`Batch`], no text round trip;
//! * [`summary`], [`anomaly`], [`changepoint`], [`trend`]: the four analyses,
//!   each a pure function over one series' values;
//! * [`select`]: order statistics shared by the analyses (numpy-exact quantiles);
//! * [`pool`]: the per-process rayon pool (rebuilt after a fork);
//! * [`option_decoder`]: the API's options objects (as JSON-like values) into [`Options`];
//! * [`engine`]: runs the analyses over a batch on the pool, with cancellation;
//! * [`output`]: JSON and ready-to-send Kafka message serialization.

pub mod anomaly;
pub mod batch;
pub mod changepoint;
pub mod columns;
pub mod engine;
pub mod error;
pub mod option_decoder;
pub mod options;
pub mod output;
pub mod parse;
pub mod pool;
pub mod select;
pub mod spill;
pub mod split;
pub mod summary;
pub mod trend;

pub use batch::{Batch, Series};
pub use error::{ColumnPlace, Error, ErrorKind};
pub use options::Options;
