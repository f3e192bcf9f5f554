//! Parsing NDJSON and CSV batches into a [`Batch`]. OWNER: helper "parse".

use crate::batch::Batch;
use crate::error::Error;
use crate::options::{BadLinePolicy, Format};

/// Parses `input`; `format: None` detects it from the first non-blank byte.
pub fn parse(input: &[u8], format: Option<Format>, policy: BadLinePolicy) -> Result<Batch, Error> {
    let _ = (input, format, policy);
    unimplemented!("parse: being written")
}
