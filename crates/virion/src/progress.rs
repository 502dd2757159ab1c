//! Progress bars for long commands: shown only on a terminal, silent in pipes and CI logs.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over the input's bytes (which gives a true ETA even for compressed input) that also
/// shows sequences processed and sequences per second.
pub fn sequences_bar(total_bytes: Option<u64>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(total_bytes, ProgressDrawTarget::hidden());
    }
    let bar = match total_bytes {
        Some(n) => ProgressBar::new(n).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}%  {msg}  ETA {eta}",
            )
            .expect("valid template"),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}").expect("valid template"),
        ),
    };
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Updates the bar's message: count and rate.
pub fn report(bar: &ProgressBar, done: usize) {
    let secs = bar.elapsed().as_secs_f64().max(1e-9);
    bar.set_message(format!("{done} sequences, {:.0} seq/s", done as f64 / secs));
}
