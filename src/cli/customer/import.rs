use std::io::Write;
use std::path::PathBuf;

use super::FieldInput;
use crate::app::import;
use crate::cli::Context;
use crate::error::{Error, Result};
use crate::output::message;
use crate::text::visible;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A CSV file; `-` reads stdin. UTF-8 (with or without BOM), UTF-16 with
    /// BOM, and GBK/GB18030 (what Excel saves on Chinese Windows) are told
    /// apart. The header names columns in English (the export's) or as on
    /// the customer registration form (客户登记表): 客户编号, 姓名/企业名称, 客户类型,
    /// 联系方式, 地址, 信息来源, 首次联系时间, 需求简述, 负责人, ...; any other
    /// column is kept as a custom field of its name (custom.NAME).
    pub file: PathBuf,
    /// The file's encoding, when telling it from the bytes is not wanted.
    #[arg(long, value_enum, value_name = "ENCODING")]
    pub encoding: Option<TextEncoding>,
    /// Record phone numbers and e-mail addresses that fail the shape check as typed.
    #[arg(long)]
    pub force: bool,
    /// Skip columns desk does not know (named on stderr) instead of keeping
    /// each as a custom field of the column's name.
    #[arg(long)]
    pub ignore_unknown: bool,
    /// Check every row and report, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TextEncoding {
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    Gb18030,
    /// GBK is read as GB18030, which contains it.
    Gbk,
}

impl TextEncoding {
    fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Gb18030 => encoding_rs::GB18030,
            TextEncoding::Gbk => encoding_rs::GBK,
        }
    }
}

pub fn run(ctx: &Context, args: &ImportArgs, out: &mut dyn Write) -> Result<()> {
    let bytes = if args.file.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
            .map_err(|e| Error::io("<stdin>", e))?;
        b
    } else {
        std::fs::read(&args.file).map_err(|e| Error::io(&args.file, e))?
    };
    let name = args.file.display().to_string();
    let file = import::read_customer_file(
        &name,
        &bytes,
        args.encoding.map(TextEncoding::encoding),
        args.ignore_unknown,
    )?;
    if !file.unknown.is_empty() {
        // The first columns name the mistake, if there is one; a file of
        // thousands of columns does not print them all.
        const NAMED: usize = 50;
        let unknown = &file.unknown;
        let mut listed = unknown[..unknown.len().min(NAMED)].join(", ");
        if unknown.len() > NAMED {
            listed.push_str(&format!(" and {} more", unknown.len() - NAMED));
        }
        match args.ignore_unknown {
            true => message::say(&format!("{name}: skipped columns: {}", visible(&listed))),
            false => message::say(&format!(
                "{name}: columns kept as custom fields: {} (--ignore-unknown skips them)",
                visible(&listed)
            )),
        }
    }
    let input = FieldInput::new(ctx, file.needs_key(), args.force)?;
    let read_as = file.read_as.clone();
    let customers = import::import_customers(
        &ctx.store,
        file,
        &input.rules(),
        (ctx.now, ctx.actor()),
        args.dry_run,
    )?;
    if args.dry_run {
        message::say(&format!(
            "{name}: {} row(s) would be imported (read as {read_as})",
            customers.len()
        ));
        return Ok(());
    }
    for c in &customers {
        writeln!(out, "{}", c.id)?;
    }
    message::say(&format!(
        "{name}: imported {} customer(s) (read as {read_as})",
        customers.len()
    ));
    Ok(())
}
