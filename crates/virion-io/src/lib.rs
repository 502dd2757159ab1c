//! Streaming sequence and table readers and writers with transparent decompression.
