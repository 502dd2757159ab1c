//! One sequence value to its record form: checked letters in normal form, expanded to the
//! reference's length, or decompressed from SILO's `sequenceCompressed`.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zstd::dict::DecoderDictionary;

use crate::alphabet::Alphabet;
use crate::error::{CompressedProblem, FieldProblem};

/// What a column holds, for messages ("segment", "gene").
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column<'s> {
    pub what: &'static str,
    pub name: &'s str,
    pub reference: &'s [u8],
    pub alphabet: Alphabet,
}

impl Column<'_> {
    /// An aligned sequence in reference coordinates, covering `offset..offset + len` (offset 0
    /// when not given); the rest is unknown (N or X). As SILO (`SequenceColumnBuilder::insert`)
    /// only a sequence that runs past the reference's end is refused; a shorter one covers just
    /// its own range, as SILO's coverage does. An empty text is no sequence.
    pub(crate) fn aligned(&self, text: &str, offset: Option<u32>) -> Result<Option<Vec<u8>>, FieldProblem> {
        if text.is_empty() {
            return Ok(None);
        }
        let expected = self.reference.len();
        let start = offset.unwrap_or(0) as usize;
        let fits = start.checked_add(text.len()).is_some_and(|end| end <= expected);
        if !fits {
            // Lengths count bytes; a non-ASCII character is the real problem and would make
            // the length message wrong, so it is reported instead.
            if !text.is_ascii() {
                self.alphabet.normalize(text)?;
            }
            return Err(FieldProblem::Length {
                what: self.what,
                name: self.name.to_owned(),
                actual: text.len(),
                offset,
                expected,
            });
        }
        let mut out = vec![self.alphabet.unknown(); expected];
        self.alphabet.normalize_into(text, &mut out[start..start + text.len()])?;
        Ok(Some(out))
    }

    /// `sequenceCompressed`: base64 of a zstd frame whose dictionary is the raw reference text.
    pub(crate) fn decompress(
        &self,
        base64_text: &str,
        dict: &DecoderDictionary<'_>,
    ) -> Result<String, FieldProblem> {
        let bad = |problem| FieldProblem::Compressed { problem };
        // Padding is optional in some encoders; the letters are what matters.
        const B64: GeneralPurpose = GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
        );
        let frame = B64.decode(base64_text).map_err(|e| bad(CompressedProblem::Base64(e.to_string())))?;
        let limit = self.reference.len();
        if let Ok(Some(size)) = zstd::zstd_safe::get_frame_content_size(&frame)
            && size > limit as u64
        {
            return Err(bad(CompressedProblem::TooLong { reference_len: limit }));
        }
        let mut decoder = zstd::bulk::Decompressor::with_prepared_dictionary(dict)
            .map_err(|e| bad(CompressedProblem::Zstd(e.to_string())))?;
        let mut out = Vec::with_capacity(limit);
        decoder.decompress_to_buffer(&frame, &mut out).map_err(|e| {
            let message = e.to_string();
            if message.contains("too small") {
                bad(CompressedProblem::TooLong { reference_len: limit })
            } else {
                bad(CompressedProblem::Zstd(message))
            }
        })?;
        String::from_utf8(out).map_err(|_| bad(CompressedProblem::NotText))
    }
}

/// An unaligned sequence, kept byte for byte; empty is no sequence. SILO stores the string of
/// an `unaligned_<segment>` column compressed, without looking at its letters
/// (`ZstdCompressedStringColumn`), and LAPIS hands it back as it was; so any string is data
/// here, and it is neither checked nor upper-cased.
pub(crate) fn unaligned(text: &str) -> Option<Vec<u8>> {
    (!text.is_empty()).then(|| text.as_bytes().to_vec())
}

/// The decoder dictionary for a column's reference (SILO compresses against the reference as
/// raw content).
pub(crate) fn dictionary(reference: &[u8]) -> DecoderDictionary<'static> {
    DecoderDictionary::copy(reference)
}
