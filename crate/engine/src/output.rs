//! output: being written
