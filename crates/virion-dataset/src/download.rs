//! Downloads a dataset version from a dataset server into a directory.
//!
//! The server layout is Nextclade's: `{server}/index.json`, and each file of a dataset version at
//! `{server}/{dataset path}/{tag}/{file name}`. The default server is [`DEFAULT_SERVER`]. A server
//! may also be a local directory or a `file://` URL laid out the same way (mirrors, tests).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::DatasetError;
use crate::index::{DatasetIndex, resolve};

/// Nextclade's official dataset server for v3 datasets.
pub const DEFAULT_SERVER: &str = "https://data.clades.nextstrain.org/v3";

/// Reported once before and once after each file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadProgress<'a> {
    /// The file's name within the dataset version (`reference.fasta`, `tree.json`, ...).
    pub file: &'a str,
    /// 0-based index of the file and the number of files.
    pub index: usize,
    /// Number of files being downloaded.
    pub count: usize,
    /// Bytes written so far for this file (0 when starting).
    pub bytes: u64,
    /// Whether the file has been written completely.
    pub done: bool,
}

fn join_url(server: &str, rel: &str) -> String {
    format!("{}/{}", server.trim_end_matches('/'), rel.trim_start_matches('/'))
}

fn is_http(server: &str) -> bool {
    server.starts_with("https://") || server.starts_with("http://")
}

/// Opens a server-relative file for reading.
fn open(server: &str, rel: &str) -> Result<Box<dyn Read>, DatasetError> {
    let url = join_url(server, rel);
    if is_http(server) {
        let resp = ureq::get(&url)
            .call()
            .map_err(|e| DatasetError::Download { url: url.clone(), why: e.to_string() })?;
        Ok(Box::new(resp.into_body().into_reader()))
    } else {
        let root = server.strip_prefix("file://").unwrap_or(server);
        let path = Path::new(root).join(rel);
        let file = std::fs::File::open(&path)
            .map_err(|e| DatasetError::Download { url: path.display().to_string(), why: e.to_string() })?;
        Ok(Box::new(file))
    }
}

/// Fetches and parses the server's `index.json`.
pub fn fetch_index(server: &str) -> Result<DatasetIndex, DatasetError> {
    let mut text = String::new();
    open(server, "index.json")?
        .read_to_string(&mut text)
        .map_err(|e| DatasetError::Download { url: join_url(server, "index.json"), why: e.to_string() })?;
    DatasetIndex::from_json_str(&text)
        .map_err(|source| DatasetError::Json { path: PathBuf::from(join_url(server, "index.json")), source })
}

/// Streams one file into `dest` through a temporary sibling, renamed into place when complete, so
/// an interrupted download never leaves a truncated file under the real name.
fn fetch_to_file(
    server: &str,
    rel: &str,
    dest: &Path,
    on_bytes: &mut dyn FnMut(u64),
) -> Result<(), DatasetError> {
    let io_err = |path: &Path, source: std::io::Error| DatasetError::Io { path: path.to_owned(), source };
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let file_name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{file_name}.part-{}", std::process::id()));

    let result = (|| {
        let mut reader = open(server, rel)?;
        let mut out = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0u64;
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| DatasetError::Download { url: join_url(server, rel), why: e.to_string() })?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(|e| io_err(&tmp, e))?;
            total += n as u64;
            on_bytes(total);
        }
        out.sync_all().map_err(|e| io_err(&tmp, e))?;
        std::fs::rename(&tmp, dest).map_err(|e| io_err(dest, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Downloads dataset `name` (path or shortcut) at `tag` (default: latest) from `server` into
/// `out_dir`, which is created if needed. Returns `out_dir`.
pub fn download(
    server: &str,
    name: &str,
    tag: Option<&str>,
    out_dir: &Path,
    progress: &dyn Fn(DownloadProgress<'_>),
) -> Result<PathBuf, DatasetError> {
    let index = fetch_index(server)?;
    let dataset = resolve(&index, name, tag)?;
    let mut files = dataset.file_names();
    if files.is_empty() {
        // Index entries without a file list: take it from the version's pathogen.json.
        let pathogen_dest = out_dir.join("pathogen.json");
        fetch_to_file(server, &dataset.file_path("pathogen.json"), &pathogen_dest, &mut |_| {})?;
        let text = std::fs::read_to_string(&pathogen_dest)
            .map_err(|source| DatasetError::Io { path: pathogen_dest.clone(), source })?;
        let pathogen = crate::PathogenJson::from_json_str(&text)
            .map_err(|source| DatasetError::Json { path: pathogen_dest.clone(), source })?;
        files = pathogen.files.all().into_iter().map(str::to_owned).collect();
    }

    let count = files.len();
    for (index, file) in files.iter().enumerate() {
        if file.contains("..") || Path::new(file).is_absolute() {
            return Err(DatasetError::Download {
                url: dataset.file_path(file),
                why: "file name leaves the dataset directory".to_owned(),
            });
        }
        let report = |bytes, done| progress(DownloadProgress { file, index, count, bytes, done });
        report(0, false);
        let mut last = 0;
        fetch_to_file(server, &dataset.file_path(file), &out_dir.join(file), &mut |b| last = b)?;
        report(last, true);
    }
    Ok(out_dir.to_owned())
}
