//! Inputs of any size in bounded memory (the engine's `spill` module): `spillInput`
//! partitions an input file by series into a spill file, `analyzeSpill` analyses
//! a unit of whole partitions read back from it. Both run on the engine's pool,
//! file I/O included, and never hold the input whole.

use std::fs::File;
use std::io::{BufWriter, Read};

use conclude_engine::engine;
use conclude_engine::spill::{self, SpillOptions as EngineSpillOptions};
use conclude_engine::Error as EngineError;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::convert::{read_message_options, read_spill_options};
use crate::{messages, Job, MessageBatch};

// The TS shape only: read by `convert::read_spill_options`.
/// How `spillInput` reads and partitions an input.
#[napi(object, object_to_js = false)]
pub struct SpillOptions {
    /// Bytes read per chunk; a chunk ends at its last whole line (CSV: record).
    pub chunk_bytes: f64,
    /// Target points per partition (the count of partitions follows from it and the input's size).
    pub partition_points: f64,
    /// The most bytes the spill file may take: past it the spill stops with an `ERR_CONCLUDE_IO`
    /// error saying so.
    pub max_bytes: Option<f64>,
}

/// What `spillInput` wrote, and what parsing the input found.
#[napi(object, object_from_js = false)]
pub struct SpillResult {
    pub partitions: u32,
    pub chunks: u32,
    /// `offsets[c * (partitions + 1) + p]`: where partition `p` of chunk `c` begins in the spill
    /// file (`p = partitions`: where the chunk ends).
    pub offsets: Float64Array,
    /// Points per partition.
    pub partition_points: Float64Array,
    /// Accepted points.
    pub points: f64,
    /// Distinct series.
    pub series: f64,
    pub lines: f64,
    /// Lines skipped under `onBadLine: 'skip'`.
    pub bad_lines: f64,
    /// The first (up to 20) skipped line numbers, 1-based.
    pub bad_line_numbers: Vec<f64>,
    /// Bytes written to the spill file.
    pub bytes: f64,
}

/// Parses the file at `inputPath` (`-`: this process's stdin, as it comes) chunk by chunk
/// (validating it as a whole parse does: errors carry the file's own `line` and `column`) and
/// writes its points to a new file `spillPath`, hash-partitioned by series. Only `format`,
/// `onBadLine`, `threads` and `signal` of `options` matter here.
#[napi(
    catch_unwind,
    ts_args_type = "inputPath: string, spillPath: string, spill: SpillOptions, options?: AnalyzeOptions",
    ts_return_type = "Promise<SpillResult>"
)]
pub fn spill_input<'env>(
    env: &'env Env,
    input_path: String,
    spill_path: String,
    spill: Option<Unknown>,
    options: Option<Unknown>,
) -> Result<PromiseRaw<'env, SpillResult>> {
    let (chunk_bytes, partition_points, max_bytes) = match read_spill_options(env, spill.as_ref()) {
        Ok(sizes) => sizes,
        Err(e) => return PromiseRaw::reject(env, e),
    };
    Job::spawn(
        env,
        options.as_ref(),
        (),
        move |_, o, cancel| {
            let file = open_input(&input_path)?;
            // A regular file has a size; a pipe has none and is read so that a signal stops the
            // spill even while nothing arrives.
            let input_bytes = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
            let mut input: Box<dyn Read + Send + '_> = match input_bytes {
                Some(_) => Box::new(file),
                #[cfg(unix)]
                None => Box::new(spill::PollRead::new(file, cancel)),
                #[cfg(not(unix))]
                None => Box::new(file),
            };
            let out = File::options()
                .write(true)
                .create_new(true)
                .open(&spill_path)
                .map_err(|e| EngineError::io(format!("creating {spill_path}"), &e))?;
            let options = EngineSpillOptions {
                format: o.format,
                policy: o.on_bad_line,
                chunk_bytes,
                partition_points,
                input_bytes,
                max_bytes,
            };
            spill::spill(&mut input, &mut BufWriter::with_capacity(1 << 20, out), &options, cancel)
        },
        |r, _| {
            Ok(SpillResult {
                partitions: r.partitions as u32,
                chunks: r.chunks as u32,
                offsets: Float64Array::new(r.offsets.iter().map(|&o| o as f64).collect()),
                partition_points: Float64Array::new(r.partition_points.iter().map(|&n| n as f64).collect()),
                points: r.points as f64,
                series: r.series as f64,
                lines: r.lines as f64,
                bad_lines: r.bad_lines as f64,
                bad_line_numbers: r.bad_line_numbers.iter().map(|&n| n as f64).collect(),
                bytes: r.bytes as f64,
            })
        },
    )
}

/// The input file, or this process's stdin for `-`.
fn open_input(path: &str) -> std::result::Result<File, EngineError> {
    #[cfg(unix)]
    if path == "-" {
        return spill::stdin_file().map_err(|e| EngineError::io("reading stdin", &e));
    }
    #[cfg(not(unix))]
    if path == "-" {
        return Err(EngineError::options("stdin is read from a staged file on this platform"));
    }
    File::open(path).map_err(|e| EngineError::io(format!("opening {path}"), &e))
}

/// Analyses a unit of whole partitions of a spill file (`pieces`: `[start, end]` byte ranges
/// back to back, in input order) into ready-to-send messages, as `analyzeToMessages` does with
/// a batch. The spill file is read here, on the pool: no unit bytes pass through JS.
#[napi(
    catch_unwind,
    ts_args_type = "spillPath: string, pieces: Float64Array, messageOptions: MessageOptions, options?: AnalyzeOptions",
    ts_return_type = "Promise<MessageBatch>"
)]
pub fn analyze_spill<'env>(
    env: &'env Env,
    spill_path: String,
    pieces: Float64Array,
    message_options: Option<Unknown>,
    options: Option<Unknown>,
) -> Result<PromiseRaw<'env, MessageBatch>> {
    let pieces: Vec<f64> = pieces.to_vec();
    let batch = match read_message_options(env, message_options.as_ref()) {
        Ok(batch) => batch,
        Err(e) => return PromiseRaw::reject(env, e),
    };
    Job::spawn(
        env,
        options.as_ref(),
        (),
        move |_, o, cancel| {
            if !pieces.len().is_multiple_of(2) || pieces.iter().any(|p| !(p.fract() == 0.0 && *p >= 0.0)) {
                return Err(EngineError::options("pieces must be [start, end] pairs of byte offsets"));
            }
            let pieces: Vec<(u64, u64)> = pieces.chunks_exact(2).map(|p| (p[0] as u64, p[1] as u64)).collect();
            let file = File::open(&spill_path).map_err(|e| EngineError::io(format!("opening {spill_path}"), &e))?;
            messages(engine::analyze_batch(|| spill::read_unit(&file, &pieces), o, cancel)?, &batch)
        },
        |m, _| Ok(MessageBatch::from(m)),
    )
}
