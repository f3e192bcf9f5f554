//! pool: being written
