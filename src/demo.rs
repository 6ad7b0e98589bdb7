//! A realistic, deterministic store for demos and benchmarks: the seeds' mix
//! of request types, priorities and channels, Chinese and English text,
//! handling times that follow the priorities, reopenings and surveys.
//! customers of both kinds. Pure: it returns tickets and customers; the
//! caller writes them.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

use crate::clock::Timestamp;
use crate::config::Config;
use crate::model::{
    validate, Contact, Customer, CustomerKind, NewTicket, Status, Survey, Ticket, TicketId,
};

/// A small, fast PRNG (SplitMix64): the same seed gives the same store on
/// every platform, which `rand` does not promise across versions.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A key from (key, weight) pairs.
    pub fn weighted<'a>(&mut self, items: &[(&'a str, f64)]) -> &'a str {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for (key, w) in items {
            if x < *w {
                return key;
            }
            x -= w;
        }
        items[items.len() - 1].0
    }

    /// Log-normal-ish duration around `median` minutes.
    pub fn minutes_around(&mut self, median: f64) -> i64 {
        let z = (self.unit() + self.unit() + self.unit() - 1.5) * 2.0;
        (median * (z * 0.6).exp()).max(1.0) as i64
    }
}

pub struct DemoSpec {
    pub tickets: usize,
    pub customers: usize,
    pub months: u32,
    pub seed: u64,
    /// The generated history ends here; tickets still open then stay open.
    pub now: DateTime<Utc>,
}

/// The most tickets, and the most customers, a demo store holds.
pub const MAX_DEMO_SIZE: u64 = 1_000_000;
/// Customers are registered up to this many days before the tickets' period.
const CUSTOMER_LEAD_DAYS: usize = 360;

impl DemoSpec {
    /// Where the tickets' period begins: `months` of 30 days before `now`.
    fn period_start(&self) -> DateTime<Utc> {
        self.now - Duration::days(30 * i64::from(self.months.max(1)))
    }

    /// The earliest time anything in the demo store is dated (the oldest
    /// possible customer registration).
    pub fn earliest(&self) -> DateTime<Utc> {
        self.period_start() - Duration::days(1 + CUSTOMER_LEAD_DAYS as i64)
    }
}

const TYPES: [(&str, f64); 6] = [
    ("consultation", 34.0),
    ("complaint", 22.0),
    ("requirement", 18.0),
    ("service", 12.0),
    ("suggestion", 9.0),
    ("cooperation", 5.0),
];
const PRIORITIES: [(&str, f64); 3] = [("urgent", 12.0), ("important", 30.0), ("normal", 58.0)];
const CHANNELS: [(&str, f64); 6] = [
    ("phone", 32.0),
    ("chat", 24.0),
    ("email", 18.0),
    ("portal", 14.0),
    ("social", 8.0),
    ("visit", 4.0),
];

/// (title, category) per request type, Chinese and English.
fn subjects(kind: &str) -> &'static [(&'static str, &'static str)] {
    match kind {
        "complaint" => &[
            ("产品无法开机", "product problem"),
            ("操作太复杂，找不到导出按钮", "usability"),
            ("快递延误一周仍未收到", "logistics"),
            ("客服态度不好，电话被挂断", "service attitude"),
            ("Invoice charged twice this month", "billing"),
            ("Device overheats after 10 minutes", "product problem"),
            ("Price went up without notice", "price objection"),
            ("Replacement part arrived damaged", "logistics"),
        ],
        "consultation" => &[
            ("如何重置管理员密码", "account"),
            ("会员续费有什么优惠", "price"),
            ("设备保修期怎么查询", "warranty"),
            ("How do I export last month's data?", "usability"),
            (
                "Is the API rate limit per user or per account?",
                "technical",
            ),
            ("Which plan includes phone support?", "price"),
        ],
        "requirement" => &[
            ("希望增加批量导入功能", "feature"),
            ("需要对接企业微信通知", "integration"),
            ("Need SSO with our identity provider", "integration"),
            ("Request a quote for 50 more seats", "sales"),
        ],
        "service" => &[
            ("申请上门安装调试", "installation"),
            ("打印机卡纸需要维修", "repair"),
            ("Schedule the annual maintenance visit", "maintenance"),
            ("Data migration from the old system", "migration"),
        ],
        "suggestion" => &[
            ("建议报表支持按季度筛选", "feature"),
            ("希望App支持夜间模式", "usability"),
            ("Add a Chinese keyboard shortcut guide", "documentation"),
        ],
        _ => &[
            ("渠道代理合作洽谈", "partnership"),
            ("Reseller partnership for East China", "partnership"),
        ],
    }
}

fn progress_notes() -> &'static [&'static str] {
    &[
        "已电话联系客户，确认故障现象",
        "已更换配件，测试正常",
        "Reproduced the issue in the lab",
        "Escalated to the product team with logs",
        "已按FAQ指导客户操作",
        "Sent the customer a workaround by e-mail",
    ]
}

fn resolutions(kind: &str) -> &'static [&'static str] {
    match kind {
        "complaint" => &[
            "已致歉并更换新机，客户确认可正常使用",
            "Refunded the duplicate charge and apologised",
            "已补发配件并赠送一个月会员",
        ],
        "consultation" => &[
            "已解答并发送操作指南",
            "Answered with the FAQ article and a short video",
        ],
        "requirement" | "cooperation" => &[
            "需求已评估并纳入下季度计划",
            "Sent a quote; sales follows up",
        ],
        _ => &[
            "工程师上门处理完毕，测试正常",
            "Completed on site; customer signed off",
        ],
    }
}

/// Who handles a type: complaints go to service or the supervisor, technical
/// service to engineers, business questions to sales (seed 000).
fn role_for(kind: &str, rng: &mut Rng) -> &'static str {
    match kind {
        "complaint" if rng.chance(0.3) => "supervisor",
        "service" => "engineer",
        "requirement" | "cooperation" => "sales",
        "complaint" | "consultation" | "suggestion" => "service",
        _ => "service",
    }
}

/// Typical minutes to first response and to resolution per priority.
fn handling_minutes(priority: &str) -> (f64, f64) {
    match priority {
        "urgent" => (25.0, 210.0),
        "important" => (120.0, 1300.0),
        _ => (600.0, 2600.0),
    }
}

/// Generates the store's tickets in ID order, handing each to `emit` as it
/// is made, so a store of a million tickets never sits in memory.
pub fn generate<E>(
    spec: &DemoSpec,
    config: &Config,
    tz: Tz,
    mut emit: impl FnMut(Ticket) -> Result<(), E>,
) -> Result<(), E> {
    let mut rng = Rng::new(spec.seed);
    let end = spec.now;
    let start = spec.period_start();
    let span = (end - start).num_minutes().max(1) as f64;
    let team = Team { config };

    // Creation times, mostly in office hours, in order.
    let mut created: Vec<DateTime<Utc>> = (0..spec.tickets)
        .map(|_| {
            let t = start + Duration::minutes((rng.unit() * span) as i64);
            let local = t.with_timezone(&tz);
            let hour = chrono::Timelike::hour(&local);
            if !(8..20).contains(&hour) && rng.chance(0.75) {
                t + Duration::hours(((33 - hour as i64) % 24).max(1))
            } else {
                t
            }
        })
        .map(|t| t.min(end - Duration::minutes(1)))
        .collect();
    created.sort();

    let mut serials: BTreeMap<chrono::NaiveDate, u32> = BTreeMap::new();
    for at in created {
        let date = at.with_timezone(&tz).date_naive();
        let serial = serials.entry(date).and_modify(|s| *s += 1).or_insert(1);
        let id = TicketId {
            prefix: config.id_prefix.clone(),
            date,
            serial: *serial,
        };
        emit(one_ticket(&mut rng, id, at, end, tz, &team, spec))?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn one_ticket(
    rng: &mut Rng,
    id: TicketId,
    at: DateTime<Utc>,
    end: DateTime<Utc>,
    tz: Tz,
    team: &Team,
    spec: &DemoSpec,
) -> Ticket {
    let ts = |t: DateTime<Utc>| Timestamp::new(tz.from_utc_datetime(&t.naive_utc()).fixed_offset());
    let kind = rng.weighted(&TYPES);
    let priority = if kind == "complaint" && rng.chance(0.3) {
        "urgent"
    } else {
        rng.weighted(&PRIORITIES)
    };
    let channel = rng.weighted(&CHANNELS);
    let (title, category) = *rng.pick(subjects(kind));
    let customer = team
        .config
        .customers
        .format_id(1 + rng.below(active_customers(spec)) as u64);
    let by_intake = team.pick("service", rng);
    let role = role_for(kind, rng);
    let assignee = team.pick(role, rng);
    let expectation = match priority {
        "urgent" => "4小时内解决 / solve within 4 hours",
        "important" => "24小时内给出进展",
        _ => "3个工作日内完成",
    };
    let new = NewTicket {
        title: title.to_string(),
        customer,
        kind: kind.to_string(),
        category: Some(category.to_string()),
        tags: Vec::new(),
        channel: channel.to_string(),
        priority: priority.to_string(),
        description: format!("{title}. 客户来电/来信描述：{category}。"),
        expectation: Some(expectation.to_string()),
        assignee: None,
    };
    let mut ticket = Ticket::create(id.to_string(), new, ts(at), by_intake);
    let (respond, resolve) = handling_minutes(priority);
    // Later months run a little faster: a visible improvement trend.
    let months_before_end = (end - at).num_days() as f64 / 30.0;
    let speed = 1.0 + 0.05 * months_before_end.min(12.0);

    // Recent tickets are often still being worked on: stop at some stage.
    let recent = (end - at).num_days() < 12;
    let stop_at = if rng.chance(if recent { 0.65 } else { 0.01 }) {
        rng.below(4)
    } else {
        usize::MAX
    };
    if stop_at == 0 {
        return ticket;
    }

    let mut t = at + Duration::minutes(rng.minutes_around(respond * 0.3 * speed));
    // Each step goes through the operation a command would use, so the
    // demo obeys every rule of the domain. Steps that would fall after the
    // end of the demo never happened (yet).
    let open = |when: DateTime<Utc>| (when < end).then(|| ts(when));
    let Some(now) = open(t) else {
        return ticket;
    };
    ticket
        .assign(assignee, None, now, by_intake)
        .expect(FOLLOWS_RULES);
    if stop_at == 1 {
        return ticket;
    }
    t += Duration::minutes(rng.minutes_around(respond * 0.7 * speed));
    let Some(now) = open(t) else {
        return ticket;
    };
    let note = rng.pick(progress_notes()).to_string();
    ticket
        .update(note, None, now, assignee)
        .expect(FOLLOWS_RULES);
    if stop_at == 2 {
        return ticket;
    }
    if stop_at == 3 || rng.chance(0.2) {
        t += Duration::minutes(5);
        let Some(now) = open(t) else {
            return ticket;
        };
        let wait = "等待客户提供序列号 / waiting for the customer's details".to_string();
        ticket
            .update(wait, Some(Status::Pending), now, assignee)
            .expect(FOLLOWS_RULES);
        if stop_at == 3 {
            return ticket;
        }
        t += Duration::minutes(rng.minutes_around(300.0));
        let Some(now) = open(t) else {
            return ticket;
        };
        let back = "客户已回复 / customer replied".to_string();
        ticket
            .update(back, Some(Status::InProgress), now, assignee)
            .expect(FOLLOWS_RULES);
    }
    let mut rounds = 0;
    loop {
        rounds += 1;
        t += Duration::minutes(rng.minutes_around(resolve * speed));
        let resolution = rng.pick(resolutions(kind)).to_string();
        let compensation = (kind == "complaint" && rng.chance(0.3))
            .then(|| "赠送一个月会员 / one month of membership free".to_string());
        let Some(now) = open(t) else {
            return ticket;
        };
        ticket
            .close(resolution, compensation, None, now, assignee)
            .expect(FOLLOWS_RULES);
        // Most customers answer the survey within a day.
        if !rng.chance(0.8) {
            return ticket;
        }
        t += Duration::minutes(60 + rng.below(1200) as i64);
        let base =
            4.3 - 0.05 * months_before_end.min(12.0) - if kind == "complaint" { 0.4 } else { 0.0 };
        // About one survey in ten is unsatisfied (more for complaints): the
        // survey reopens the ticket.
        let unhappy = rounds < 3 && rng.chance(if kind == "complaint" { 0.2 } else { 0.07 });
        let mut scores = BTreeMap::new();
        for dim in ["efficiency", "attitude", "solution"] {
            let s = (base + (rng.unit() - 0.5) * 2.0).round().clamp(3.0, 5.0) as u8;
            scores.insert(dim.to_string(), s);
        }
        if unhappy {
            let dim = *rng.pick(&["efficiency", "attitude", "solution"]);
            scores.insert(dim.to_string(), 1 + rng.below(2) as u8);
        }
        let nps = Some(if unhappy {
            rng.below(5) as u8
        } else {
            (5 + rng.below(6)) as u8
        });
        let Some(now) = open(t) else {
            return ticket;
        };
        let survey = Survey {
            scores,
            nps,
            comment: None,
            channel: None,
        };
        ticket
            .survey(survey, unhappy, now, by_intake)
            .expect(FOLLOWS_RULES);
        if !unhappy {
            return ticket;
        }
    }
}

/// Why a generated step cannot be refused: the generator keeps to the rules.
const FOLLOWS_RULES: &str = "generated tickets follow the rules";

const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "欧阳",
];
const GIVEN: [&str; 12] = [
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "婷",
];
const WESTERN: [&str; 6] = [
    "Emma Clarke",
    "Lukas Becker",
    "Sofia Rossi",
    "James Miller",
    "Chloé Martin",
    "Daniel Kim",
];
const COMPANY_NAMES: [&str; 8] = [
    "星河", "华远", "青禾", "明德", "盛世", "云帆", "天行", "金桥",
];
const COMPANY_KINDS: [&str; 6] = [
    "科技有限公司",
    "物流股份有限公司",
    "餐饮管理有限公司",
    "教育咨询有限公司",
    "制造集团有限公司",
    "医疗器械有限公司",
];
const FOREIGN_COMPANIES: [&str; 4] = [
    "Northwind Trading",
    "Bluefin Analytics",
    "Harbor & Pine Logistics",
    "Kestrel Robotics",
];
const INDUSTRIES: [&str; 6] = ["制造业", "物流", "餐饮", "教育", "Software", "医疗器械"];
const CITIES: [&str; 5] = [
    "北京市朝阳区",
    "上海市浦东新区",
    "广州市天河区",
    "深圳市南山区",
    "杭州市西湖区",
];
const NEEDS: [&str; 6] = [
    "产品咨询",
    "合作洽谈",
    "售后维修",
    "批量采购报价",
    "Integration with our ERP",
    "Annual maintenance contract",
];
const SOURCES: [(&str, f64); 5] = [
    ("phone", 35.0),
    ("website", 30.0),
    ("referral", 15.0),
    ("social", 12.0),
    ("visit", 8.0),
];

/// Tickets go to the first four fifths of the customers; the rest have no
/// tickets in the period, so the store has dormant customers to call back.
fn active_customers(spec: &DemoSpec) -> usize {
    (spec.customers * 4 / 5).max(1)
}

/// The store's customers C000001.., created before the tickets' period so
/// every ticket's customer exists; some have had no contact for a long time
/// (the dormant list). Deterministic for the seed, independent of the tickets.
pub fn generate_customers(spec: &DemoSpec, config: &Config, tz: Tz) -> Vec<Customer> {
    let mut rng = Rng::new(spec.seed ^ 0x5EED_C057);
    let team = Team { config };
    let ts = |t: DateTime<Utc>| Timestamp::new(tz.from_utc_datetime(&t.naive_utc()).fixed_offset());
    let period_start = spec.period_start();
    (0..spec.customers)
        .map(|i| {
            let day = (period_start - Duration::days(1 + rng.below(CUSTOMER_LEAD_DAYS) as i64))
                .with_timezone(&tz)
                .date_naive();
            let nine = tz
                .from_local_datetime(&day.and_hms_opt(9, 0, 0).expect("valid time"))
                .earliest()
                .expect("9:00 exists")
                .with_timezone(&Utc);
            let created = ts(nine + Duration::minutes(rng.below(8 * 60) as i64));
            let enterprise = rng.chance(0.3);
            let kind = if enterprise {
                CustomerKind::Enterprise
            } else {
                CustomerKind::Individual
            };
            let owner_role = if enterprise { "sales" } else { "service" };
            let name = if enterprise {
                // Distinct names: (i % 8, i / 8 % 6) differs for every i below 48.
                let branch = match i / 48 {
                    0 => String::new(),
                    n => format!("（第{n}分公司）"),
                };
                if rng.chance(0.15) {
                    format!("{} Ltd. #{}", rng.pick(&FOREIGN_COMPANIES), i + 1)
                } else {
                    format!(
                        "{}{}{branch}",
                        COMPANY_NAMES[i % 8],
                        COMPANY_KINDS[i / 8 % 6]
                    )
                }
            } else if rng.chance(0.2) {
                rng.pick(&WESTERN).to_string()
            } else {
                format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN))
            };
            let mut c = Customer::new(kind, name, created, team.pick("service", &mut rng));
            c.id = config.customers.format_id(i as u64 + 1);
            // Distinct, valid mobile numbers: 7919 is prime, so i*7919 mod 10^8 never repeats.
            c.phone = Some(if enterprise {
                format!(
                    "0{}-{}",
                    10 + rng.below(2) * 11,
                    60_000_000 + (i * 7919) % 30_000_000
                )
            } else {
                format!("13{}{:08}", 5 + rng.below(5), (i * 7919) % 100_000_000)
            });
            if rng.chance(0.6) {
                c.email = Some(format!(
                    "c{:05}@example.{}",
                    i + 1,
                    if enterprise { "com" } else { "cn" }
                ));
            }
            if enterprise {
                let mut code: String = format!("91{}", 110_101 + rng.below(800_000));
                for _ in 0..9 {
                    let chars = validate::CREDIT_CODE_CHARS.as_bytes();
                    code.push(chars[rng.below(chars.len())] as char);
                }
                let check = validate::credit_code_check(&code).expect("valid alphabet");
                code.push(check);
                c.credit_code = Some(code);
                c.industry = Some(rng.pick(&INDUSTRIES).to_string());
                c.address = Some(format!("{}{}号", rng.pick(&CITIES), 1 + rng.below(300)));
                for n in 0..1 + rng.below(2) {
                    let female = rng.chance(0.5);
                    c.contacts.push(Contact {
                        name: format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN)),
                        salutation: Some(if female { "女士" } else { "先生" }.into()),
                        role: Some(
                            rng.pick(&["采购经理", "IT主管", "行政", "Purchasing manager"])
                                .to_string(),
                        ),
                        phone: Some(format!("18{}{:08}", n, (i * 7919 + 13) % 100_000_000)),
                        email: None,
                        extra: Default::default(),
                    });
                }
            } else {
                c.salutation = rng
                    .chance(0.5)
                    .then(|| if rng.chance(0.5) { "女士" } else { "先生" }.to_string());
                if rng.chance(0.3) {
                    c.address = Some(format!(
                        "{}幸福路{}号",
                        rng.pick(&CITIES),
                        1 + rng.below(200)
                    ));
                }
            }
            c.source = Some(rng.weighted(&SOURCES).to_string());
            c.first_contact = Some(created);
            c.owner = Some(team.pick(owner_role, &mut rng).to_string());
            c.vip = rng.chance(0.12);
            if c.vip {
                c.tags.push("vip-care".into());
            }
            c.need = Some(rng.pick(&NEEDS).to_string());
            c
        })
        .collect()
}

/// The configured agents, picked by role (any agent when a role has none).
struct Team<'a> {
    config: &'a Config,
}

impl<'a> Team<'a> {
    fn pick(&self, role: &str, rng: &mut Rng) -> &'a str {
        let agents = &self.config.agents;
        let of_role: Vec<&'a str> = agents
            .iter()
            .filter(|a| a.role == role)
            .map(|a| a.id.as_str())
            .collect();
        if !of_role.is_empty() {
            return of_role[rng.below(of_role.len())];
        }
        if agents.is_empty() {
            return "agent";
        }
        agents[rng.below(agents.len())].id.as_str()
    }
}
