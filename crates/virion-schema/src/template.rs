//! An empty metadata template for an organism: the header and one example row, as TSV or as
//! an XLSX workbook (whose second sheet documents every field).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::config::{FieldType, OrganismConfig};

/// A TSV with one column per field (in config order) and a row of the fields' examples.
pub fn template_tsv(config: &OrganismConfig) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let header: Vec<String> = config.fields.iter().map(|f| clean(&f.name)).collect();
    let example: Vec<String> =
        config.fields.iter().map(|f| clean(f.example.as_deref().unwrap_or(""))).collect();
    format!("{}\n{}\n", header.join("\t"), example.join("\t"))
}

fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::String => "text",
        FieldType::Int => "integer",
        FieldType::Float => "number",
        FieldType::Date => "date (YYYY, YYYY-MM or YYYY-MM-DD)",
        FieldType::Boolean => "true or false",
        FieldType::Enum => "one of a list",
        FieldType::Authors => "authors, separated by ;",
    }
}

/// The same template as an XLSX workbook: sheet `metadata` (header and example row, every
/// cell text so that spreadsheet programs do not turn dates or ids into numbers) and sheet
/// `fields` (type, required, description, ENA tag of each column).
pub fn template_xlsx(config: &OrganismConfig) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let sheet = book.add_worksheet().set_name("metadata")?;
    for (c, f) in config.fields.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| XlsxError::ParameterError("too many fields".into()))?;
        sheet.write_string_with_format(0, c, &f.name, &bold)?;
        sheet.write_string_with_format(1, c, f.example.as_deref().unwrap_or(""), &text)?;
        sheet.set_column_format(c, &text)?;
        sheet.set_column_width(c, (f.name.len().max(12) + 2) as f64)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let doc = book.add_worksheet().set_name("fields")?;
    for (c, title) in ["field", "type", "required", "description", "ENA tag", "example"].iter().enumerate() {
        doc.write_string_with_format(0, c as u16, *title, &bold)?;
    }
    for (r, f) in config.fields.iter().enumerate() {
        let r = (r + 1) as u32;
        doc.write_string(r, 0, &f.name)?;
        doc.write_string(r, 1, type_name(f.field_type))?;
        doc.write_string(r, 2, if f.required { "yes" } else { "no" })?;
        doc.write_string(r, 3, &f.description)?;
        doc.write_string(r, 4, f.ena_tag.as_deref().unwrap_or(""))?;
        doc.write_string(r, 5, f.example.as_deref().unwrap_or(""))?;
    }
    doc.set_column_width(3, 80)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OrganismRegistry;

    /// The workbook reads back, through the project's own table reader, as the TSV does.
    #[test]
    fn xlsx_template_reads_like_the_tsv() {
        let registry = OrganismRegistry::builtin();
        let config = registry.iter().find(|c| c.name == "sars-cov-2").expect("built-in organism");
        let dir = tempfile::tempdir().unwrap();
        let xlsx = dir.path().join("template.xlsx");
        std::fs::write(&xlsx, template_xlsx(config).unwrap()).unwrap();
        let tsv = dir.path().join("template.tsv");
        std::fs::write(&tsv, template_tsv(config)).unwrap();
        let read = |p: &std::path::Path| {
            let mut reader = crate::MetadataReader::open(p).unwrap();
            let header = reader.header().to_vec();
            let mut row = crate::Row::default();
            let mut rows = Vec::new();
            while reader.read_row(&mut row).unwrap() {
                rows.push(row.cells().to_vec());
            }
            (header, rows)
        };
        let (xh, xr) = read(&xlsx);
        let (th, tr) = read(&tsv);
        assert_eq!(xh, th);
        assert_eq!(xr, tr);
    }
}
