//! Turns Kommo accounts into store rows: flattening, full and incremental runs, scheduling.
