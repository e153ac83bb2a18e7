"""The change logic: fingerprints, comparison, word diffs, durations. Pure: no I/O, no clock."""
