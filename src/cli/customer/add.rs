use std::io::Write;

use super::{parse_kind, FieldInput};
use crate::cli::Context;
use crate::error::Result;
use crate::model::validate::contact_fields;
use crate::model::CustomerField;

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Kind of customer: individual (个人) or enterprise (企业).
    #[arg(long)]
    pub kind: String,
    /// The person's or the company's name (姓名/企业名称).
    #[arg(long)]
    pub name: String,
    /// How an individual is addressed: 先生, 女士, Mr, Ms (masked names show *女士).
    #[arg(long)]
    pub salutation: Option<String>,
    /// Phone number: mobile, landline with area code, or +international.
    #[arg(long)]
    pub phone: Option<String>,
    /// E-mail address.
    #[arg(long)]
    pub email: Option<String>,
    /// Only when something must be mailed.
    #[arg(long)]
    pub address: Option<String>,
    /// ID-card number (individuals; checked, stored encrypted; needs the key).
    #[arg(long)]
    pub id_card: Option<String>,
    /// Bank-card number (individuals; Luhn-checked, stored encrypted; needs the key).
    #[arg(long)]
    pub bank_card: Option<String>,
    /// Unified social credit code (enterprises; check character verified).
    #[arg(long)]
    pub credit_code: Option<String>,
    /// The enterprise's industry.
    #[arg(long)]
    pub industry: Option<String>,
    /// A contact person (enterprises), repeatable: name=王芳,role=采购经理,phone=...,email=...,salutation=女士
    #[arg(long = "contact", value_name = "SPEC")]
    pub contacts: Vec<String>,
    /// Where the customer came from (信息来源).
    #[arg(long)]
    pub source: Option<String>,
    /// When the customer first contacted us (default: now, or --at).
    #[arg(long, value_name = "TIME")]
    pub first_contact: Option<String>,
    /// The agent responsible (负责人).
    #[arg(long, value_name = "AGENT")]
    pub owner: Option<String>,
    /// Mark the customer as a VIP.
    #[arg(long)]
    pub vip: bool,
    /// A tag; repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// What the customer needs, in a line (需求简述).
    #[arg(long)]
    pub need: Option<String>,
    /// Free-text notes (备注).
    #[arg(long)]
    pub notes: Option<String>,
    /// Record a phone number or e-mail address that fails the shape check as
    /// typed. Never skips the ID-card, bank-card or credit-code checksums.
    #[arg(long)]
    pub force: bool,
    /// When the record was made, if not now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: &AddArgs, out: &mut dyn Write) -> Result<()> {
    let kind = parse_kind(&args.kind)?;
    let at = ctx.event_time(args.at.as_deref())?;
    let mut fields: Vec<(CustomerField, String)> = vec![(CustomerField::Name, args.name.clone())];
    let optional = [
        (CustomerField::Salutation, &args.salutation),
        (CustomerField::Phone, &args.phone),
        (CustomerField::Email, &args.email),
        (CustomerField::Address, &args.address),
        (CustomerField::IdCard, &args.id_card),
        (CustomerField::BankCard, &args.bank_card),
        (CustomerField::CreditCode, &args.credit_code),
        (CustomerField::Industry, &args.industry),
        (CustomerField::Source, &args.source),
        (CustomerField::FirstContact, &args.first_contact),
        (CustomerField::Owner, &args.owner),
        (CustomerField::Need, &args.need),
        (CustomerField::Notes, &args.notes),
    ];
    for (field, value) in optional {
        if let Some(v) = value {
            fields.push((field, v.clone()));
        }
    }
    if args.vip {
        fields.push((CustomerField::Vip, "true".into()));
    }
    if !args.tags.is_empty() {
        fields.push((CustomerField::Tags, args.tags.join(",")));
    }
    for (i, spec) in args.contacts.iter().enumerate() {
        fields.extend(contact_fields(i, spec)?);
    }
    let sealing = args.id_card.is_some() || args.bank_card.is_some();
    let input = FieldInput::new(ctx, sealing, args.force)?;
    let customer = input.rules().customer(kind, &fields, at, ctx.actor())?;
    let created = ctx.store.create_customers(vec![customer])?;
    writeln!(out, "{}", created[0].id)?;
    Ok(())
}
