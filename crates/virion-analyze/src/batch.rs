//! Runs `analyze` over a FASTA stream on N threads, handing results back in input order.
//!
//! A reader thread fills recycled record buffers, workers analyse them, and the caller's thread
//! receives results in input order. Every queue is bounded and the reorder buffer can hold at
//! most the number of records in flight, so memory stays constant however long the input is.

use std::collections::BTreeMap;
use std::io::BufRead;

use crossbeam_channel::{Receiver, Sender, bounded};
use virion_io::{FastaError, FastaReader, FastaRecord};

/// Records in flight per worker: enough to keep workers busy while one slow genome is aligned.
const IN_FLIGHT_PER_WORKER: usize = 8;

/// Totals of a finished batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Number of FASTA records read and passed to the sink.
    pub records: usize,
}

/// Why a batch stopped early. Per-record failures are not here: they are results.
#[derive(Debug, thiserror::Error)]
pub enum BatchError<E: std::error::Error + 'static> {
    /// The FASTA input could not be read.
    #[error(transparent)]
    Input(#[from] FastaError),
    /// The sink refused a result (e.g. an output file could not be written).
    #[error("writing results: {0}")]
    Sink(#[source] E),
}

/// Reads every record of `reader`, calls `analyze` on `jobs` threads, and passes each result to
/// `sink` in input order. `sink` runs on the calling thread, so it may hold non-`Send` writers.
pub fn run_batch<R, T, E>(
    reader: FastaReader<R>,
    jobs: usize,
    analyze: impl Fn(&FastaRecord) -> T + Sync,
    mut sink: impl FnMut(&FastaRecord, T) -> Result<(), E>,
) -> Result<BatchStats, BatchError<E>>
where
    R: BufRead + Send,
    T: Send,
    E: std::error::Error + 'static,
{
    let jobs = jobs.max(1);
    let in_flight = jobs * IN_FLIGHT_PER_WORKER;
    let (free_tx, free_rx) = bounded::<FastaRecord>(in_flight);
    for _ in 0..in_flight {
        free_tx.send(FastaRecord::default()).expect("pool has room for every buffer");
    }
    let (work_tx, work_rx) = bounded::<FastaRecord>(in_flight);
    let (done_tx, done_rx) = bounded::<(FastaRecord, T)>(in_flight);

    std::thread::scope(|scope| {
        let reader_thread = scope.spawn(move || read_all(reader, &free_rx, &work_tx));
        for _ in 0..jobs {
            let work_rx = work_rx.clone();
            let done_tx = done_tx.clone();
            let analyze = &analyze;
            scope.spawn(move || {
                for rec in work_rx {
                    let out = analyze(&rec);
                    if done_tx.send((rec, out)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(work_rx);
        drop(done_tx);

        let sink_result = write_in_order(&done_rx, &free_tx, &mut sink);
        // Dropping the receivers unblocks the reader and workers if the sink failed.
        drop(done_rx);
        drop(free_tx);
        let read_result = reader_thread.join().expect("reader thread does not panic");
        let records = sink_result.map_err(BatchError::Sink)?;
        read_result?;
        Ok(BatchStats { records })
    })
}

fn read_all<R: BufRead>(
    mut reader: FastaReader<R>,
    free: &Receiver<FastaRecord>,
    work: &Sender<FastaRecord>,
) -> Result<(), FastaError> {
    for mut rec in free.iter() {
        if !reader.read(&mut rec)? {
            return Ok(());
        }
        if work.send(rec).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

fn write_in_order<T, E>(
    done: &Receiver<(FastaRecord, T)>,
    free: &Sender<FastaRecord>,
    sink: &mut impl FnMut(&FastaRecord, T) -> Result<(), E>,
) -> Result<usize, E> {
    let mut pending: BTreeMap<usize, (FastaRecord, T)> = BTreeMap::new();
    let mut next = 0usize;
    for (rec, out) in done.iter() {
        pending.insert(rec.index, (rec, out));
        while let Some((rec, out)) = pending.remove(&next) {
            sink(&rec, out)?;
            next += 1;
            // The pool may already be closed if reading ended; the buffer is then just dropped.
            let _ = free.send(rec);
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn results_come_back_in_input_order_on_many_threads() {
        let mut text = String::new();
        for i in 0..500 {
            text.push_str(&format!(">s{i}\n{}\n", "A".repeat(i % 37)));
        }
        let reader = FastaReader::new(text.as_bytes(), Path::new("mem.fa"));
        let mut seen = Vec::new();
        let stats = run_batch(
            reader,
            4,
            |rec| {
                // Uneven work so that results finish out of order.
                std::thread::sleep(std::time::Duration::from_micros((rec.index % 7) as u64 * 50));
                rec.seq.len()
            },
            |rec, len| {
                seen.push((rec.name.clone(), len));
                Ok::<_, std::io::Error>(())
            },
        )
        .unwrap();
        assert_eq!(stats.records, 500);
        for (i, (name, len)) in seen.iter().enumerate() {
            assert_eq!(name, &format!("s{i}"));
            assert_eq!(*len, i % 37);
        }
    }

    #[test]
    fn a_file_error_stops_the_batch_after_writing_what_was_read() {
        let reader = FastaReader::new(&b"not fasta"[..], Path::new("bad.fa"));
        let err = run_batch(reader, 2, |r| r.index, |_, _| Ok::<_, std::io::Error>(())).unwrap_err();
        assert!(err.to_string().contains("bad.fa:1"), "{err}");
    }

    #[test]
    fn a_sink_error_stops_the_batch() {
        let text = ">a\nA\n>b\nC\n>c\nG\n".repeat(100);
        let reader = FastaReader::new(text.as_bytes(), Path::new("x.fa"));
        let err = run_batch(
            reader,
            2,
            |r| r.index,
            |_, i| {
                if i == 5 { Err(std::io::Error::other("disk full")) } else { Ok(()) }
            },
        )
        .unwrap_err();
        assert!(matches!(err, BatchError::Sink(_)));
    }
}
