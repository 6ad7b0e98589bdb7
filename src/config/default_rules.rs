//! The automation rules `desk init` writes into desk.yaml, as their
//! commented source, and the message templates they name: the seeds'
//! routing, reminders and escalations (docs/automation.md, "The seeds as
//! rules"). Text only: `rules` parses and checks them like any other.

/// The rules of `desk init`'s desk.yaml: the seeds' routing, for every
/// type of the shipped list (complaints to the supervisor, technical faults
/// — service requests — to the engineers in turn, consultations to the
/// service agents, suggestions, requirements and cooperation to sales), each
/// with a fallback role for when everyone of the first is away, and each
/// telling the agent it picked; the assignee told of a ticket assigned by
/// hand; the supervisors told of a ticket no one holds, of an unsatisfied
/// survey and of a ticket waiting long on the customer; and the seeds'
/// escalation and reminders (time rules). A ticket created with `--assign`
/// is left alone by the routing.
pub const DEFAULT_RULES: &str = "\
# Routing (seeds 000 and 004): each type to the role that handles it, unless
# assigned with --assign; when every agent of that role is away (away: true)
# or gone, to the next role of the list. Whoever is picked is told by e-mail
# (seed 000's task reminder).
# Complaints (投诉) go to a supervisor (seed 004), else to a service agent.
- name: complaints-to-supervisor
  when: created
  if:
    type: complaint
    assignee: {set: false}
  then:
  - assign: {role: [supervisor, service], strategy: fewest_open}
  - notify: {to: assignee, template: assigned}
# Technical faults, recorded as service requests (服务: repair, installation,
# maintenance), go to the after-sales engineers in turn, else a supervisor.
- name: faults-to-engineers
  when: created
  if:
    type: service
    assignee: {set: false}
  then:
  - assign: {role: [engineer, supervisor], strategy: round_robin}
  - notify: {to: assignee, template: assigned}
# Consultations (咨询) go to the service agent with the fewest open tickets,
# else a supervisor.
- name: consultations-to-service
  when: created
  if:
    type: consultation
    assignee: {set: false}
  then:
  - assign: {role: [service, supervisor], strategy: fewest_open}
  - notify: {to: assignee, template: assigned}
# Suggestions (建议), requirements (需求) and cooperation (合作) go to sales, who
# assess them with the customer (seed 000: 需求/建议类由销售代表评估; seed 004:
# 合作类由销售牵头), else a supervisor.
- name: needs-to-sales
  when: created
  if:
    type: [suggestion, requirement, cooperation]
    assignee: {set: false}
  then:
  - assign: {role: [sales, supervisor], strategy: fewest_open}
  - notify: {to: assignee, template: assigned}
# Seed 000: a task reminder to whoever a ticket is assigned to by hand
# (desk assign, desk new --assign). Rules' own assignments notify above.
- name: notify-assignee
  when: [created, assigned]
  if:
    assignee: {set: true}
  then:
  - notify: {to: assignee, template: assigned}
# A ticket no one holds 15 minutes after it came in (everyone of its roles
# away, or a type no rule routes) is told to the supervisors, else to the
# first role with someone available, by the next desk run.
- name: unassigned-to-supervisor
  when: {unassigned_for: 15min}
  then:
  - notify: {to: {role: [supervisor, service, engineer, sales]}, template: unassigned}
# An urgent ticket past its resolution target goes up to the supervisors.
- name: urgent-breach-to-supervisor
  when: {sla: resolution, state: breached}
  if:
    priority: urgent
  then:
  - notify: {to: {role: supervisor}, template: escalation}
# Seed 000: progress every 24 hours; the assignee is reminded.
- name: progress-overdue
  when: {no_progress_for: 24h}
  then:
  - notify: {to: assignee, template: progress, digest: true}
# Waiting on the customer (待客户回复) for three days: the assignee is reminded
# to chase, and the supervisors see it.
- name: pending-too-long
  when: {pending_for: 3d}
  then:
  - notify: {to: [assignee, {role: supervisor}], template: pending, digest: true}
# Seed 000: the survey within 24 hours of the result (survey.window_hours);
# the assignee is reminded while 4 hours of the window are left, so the
# ticket is still on `desk survey --due`.
- name: survey-reminder
  when: {survey_window_left: 4h}
  then:
  - notify: {to: assignee, template: survey}
# Seed 000: an unsatisfied customer reopens the ticket; its assignee and the
# supervisors are told, to find the cause and adjust the plan.
- name: unsatisfied-survey-to-supervisor
  when: surveyed
  if:
    survey.unsatisfied: true
  then:
  - notify: {to: [assignee, {role: supervisor}], template: unsatisfied}
# Seeds 000 and 004: the customer hears at each milestone, by e-mail when
# the customer file has an address (a notice to a customer without one is
# dropped, not retried). Each is a rule of its own: `enabled: false` switches
# it off. A ticket opened by e-mail is acknowledged with its number and the
# first-response promise.
- name: acknowledge-email
  when: created
  if:
    channel: email
  then:
  - notify: {to: customer, template: acknowledgement}
# The result notice (seed 000): the solution, compensation and advice.
- name: result-notice
  when: closed
  then:
  - notify: {to: customer, template: result}
# The survey invitation two hours after the close, unless a survey was
# taken by phone; the customer may answer it by replying (docs/mail.md).
- name: survey-invitation
  when: {unsurveyed_for: 2h}
  then:
  - notify: {to: customer, template: survey-invitation}
# Seed 002: a customer with no ticket and no contact for six months (待激活)
# gets a call-back ticket, for the customer's owner (else routed as a
# consultation), who is told as of any new ticket.
- name: dormant-callback
  when: {dormant_for: 6mo}
  then:
  - open: {type: consultation, priority: normal, channel: phone, title: 待激活客户回访 / Call back a dormant customer, tags: [待激活]}
";

/// The message templates of [`DEFAULT_RULES`], written by `desk init` into
/// `templates/NAME.txt`: Chinese, then English.
pub const DEFAULT_TEMPLATES: [(&str, &str); 10] = [
    (
        "acknowledgement",
        "Subject: [{{ ticket.id }}] 我们已收到您的来信 / We have received your message: {{ ticket.title }}

{{ customer.full_name or customer.name }}，您好：

我们已收到您的来信，工单号为 {{ ticket.id }}。{% for c in sla %}{% if c.target == 'response' and c.due %}我们将在 {{ c.due }} 前答复您。{% endif %}{% endfor %}

如需补充信息，请直接回复本邮件，并保留标题中的工单号。

Dear {{ customer.full_name or customer.name }},

We have received your message as ticket {{ ticket.id }}.{% for c in sla %}{% if c.target == 'response' and c.due %} We will answer by {{ c.due }}.{% endif %}{% endfor %}

To add anything, reply to this mail and keep the ticket number in the subject.
",
    ),
    (
        "result",
        "Subject: [{{ ticket.id }}] 您的问题已处理完毕 / Your request is resolved: {{ ticket.title }}

{{ customer.full_name or customer.name }}，您好：

您的工单 {{ ticket.id }}「{{ ticket.title }}」已处理完毕。
  处理结果：{{ ticket.resolution }}
{% if ticket.compensation %}  补偿：{{ ticket.compensation }}
{% endif %}{% if ticket.followup %}  后续建议：{{ ticket.followup }}
{% endif %}
如问题仍未解决，请直接回复本邮件，我们会继续跟进。

Dear {{ customer.full_name or customer.name }},

Your request {{ ticket.id }} is resolved.
  Resolution: {{ ticket.resolution }}
{% if ticket.compensation %}  Compensation: {{ ticket.compensation }}
{% endif %}{% if ticket.followup %}  Advice: {{ ticket.followup }}
{% endif %}
If the problem is not solved, reply to this mail and we will follow up.
",
    ),
    (
        "survey-invitation",
        "Subject: [{{ ticket.id }}] 满意度回访 / How did we do? {{ ticket.title }}

{{ customer.full_name or customer.name }}，您好：

感谢您的耐心。请直接回复本邮件，为本次服务打分（1-5 分，5 分为非常满意），并告诉我们您向亲友推荐我们的可能性（0-10 分）：
{% for d in survey.dimensions %}  {{ loop.index }}. {{ d.label }}
{% endfor %}  {{ survey.dimensions | length + 1 }}. 推荐意愿
按以上顺序写在回复的第一行即可，例如：{{ survey.example }}

Dear {{ customer.full_name or customer.name }},

Thank you for your patience. Please reply to this mail with a score from 1 to 5 (5: very satisfied) for each of the above, in order, then how likely you are to recommend us (0 to 10), on the first line, e.g. {{ survey.example }}
",
    ),
    (
        "assigned",
        "Subject: [{{ ticket.id }}] {% if ticket.assignee in recipient.ids %}新工单已分派给您 / New ticket assigned to you{% else %}工单已转交他人 / Ticket now with someone else{% endif %}: {{ ticket.title }}

{{ recipient.name }}，您好：

{% if ticket.assignee in recipient.ids %}工单 {{ ticket.id }} 已分派给您，请及时处理。{% else %}工单 {{ ticket.id }} 曾分派给您，现由 {{ ticket.assignee_name or '（未分派）' }} 处理，您无需跟进。{% endif %}

  标题：{{ ticket.title }}
  类型：{{ ticket.type_label }}    优先级：{{ ticket.priority_label }}    渠道：{{ ticket.channel_label }}
  客户：{{ customer.name }}
  创建：{{ ticket.created }}
{% for c in sla %}{% if c.due %}
  {{ c.target }} 到期 / due：{{ c.due }}
{% endif %}{% endfor %}

{% if ticket.assignee in recipient.ids %}Ticket {{ ticket.id }} ({{ ticket.type }}, {{ ticket.priority }}) from {{ customer.name }} is yours.{% else %}Ticket {{ ticket.id }} was assigned to you and is now with {{ ticket.assignee_name or 'nobody' }}: nothing for you to do.{% endif %}


-- desk (rule {{ rule }})
",
    ),
    (
        "unassigned",
        "Subject: [{{ ticket.id }}] 工单无人处理 / Ticket with no assignee: {{ ticket.title }}

{{ recipient.name }}，您好：

{% if ticket.assignee %}工单 {{ ticket.id }} 现由 {{ ticket.assignee_name }} 处理，您无需跟进。{% else %}工单 {{ ticket.id }} 至今无人处理：负责该类型的同事都不在岗（away），或没有规则为该类型分派。请指定处理人（desk assign {{ ticket.id }} 处理人）。{% endif %}

  标题：{{ ticket.title }}
  类型：{{ ticket.type_label }}    优先级：{{ ticket.priority_label }}    渠道：{{ ticket.channel_label }}
  客户：{{ customer.name }}
  创建：{{ ticket.created }}
{% for c in sla %}{% if c.due %}
  {{ c.target }} 到期 / due：{{ c.due }}
{% endif %}{% endfor %}

{% if ticket.assignee %}Ticket {{ ticket.id }} is now with {{ ticket.assignee_name }}: nothing for you to do.{% else %}Ticket {{ ticket.id }} ({{ ticket.type }}, {{ ticket.priority }}) has no assignee: everyone who handles its type is away, or no rule routes it. Please assign it (desk assign).{% endif %}

-- desk (rule {{ rule }})
",
    ),
    (
        "escalation",
        "Subject: [{{ ticket.id }}] 紧急工单已超时 / Urgent ticket past its resolution target

主管您好：

紧急工单 {{ ticket.id }}「{{ ticket.title }}」已超过解决时限。
  处理人 / assignee：{{ ticket.assignee_name or '（未分派 / none）' }}
  客户：{{ customer.name }}
  状态：{{ ticket.status_label }}
{% for c in sla %}{% if c.due %}
  {{ c.target }} 到期 / due：{{ c.due }}（{{ c.state }}）
{% endif %}{% endfor %}

The urgent ticket {{ ticket.id }} has breached its resolution target.

-- desk (rule {{ rule }})
",
    ),
    (
        "progress",
        "Subject: [{{ ticket.id }}] 请更新处理进度 / Progress update due

{{ recipient.name }}，您好：

工单 {{ ticket.id }}「{{ ticket.title }}」已超过 24 小时没有进度更新，请联系客户 {{ customer.name }} 并记录进展（desk update）。

Ticket {{ ticket.id }} has had no progress for 24 hours: please update it.

-- desk (rule {{ rule }})
",
    ),
    (
        "pending",
        "Subject: [{{ ticket.id }}] 工单等待客户回复已久 / Long waiting on the customer

{{ recipient.name }}，您好：

工单 {{ ticket.id }}「{{ ticket.title }}」已等待客户 {{ customer.name }} 回复多日（{{ ticket.status_label }}）。请再次联系客户，记录进展（desk update），或结案（desk close）。
  处理人 / assignee：{{ ticket.assignee_name or '（未分派 / none）' }}

Ticket {{ ticket.id }} has been waiting on the customer for days: please chase them, record the progress, or close it.

-- desk (rule {{ rule }})
",
    ),
    (
        "survey",
        "Subject: [{{ ticket.id }}] 满意度回访即将到期 / Satisfaction survey due soon

{{ recipient.name }}，您好：

工单 {{ ticket.id }}「{{ ticket.title }}」已关闭，尚未回访客户 {{ customer.name }}，回访时限即将截止，请尽快完成满意度调查（desk survey；desk survey --due 列出剩余时间）。

Ticket {{ ticket.id }} was closed without a survey, and its survey window closes soon: please call the customer (desk survey --due shows the hours left).

-- desk (rule {{ rule }})
",
    ),
    (
        "unsatisfied",
        "Subject: [{{ ticket.id }}] 客户不满意，工单已重新打开 / Unsatisfied customer, ticket reopened

{{ recipient.name }}，您好：

客户 {{ customer.name }} 对工单 {{ ticket.id }}「{{ ticket.title }}」的满意度回访不满意，工单已重新打开（{{ ticket.status_label }}）。请分析原因、调整方案（详见 desk show {{ ticket.id }}）。
  处理人 / assignee：{{ ticket.assignee_name or '（未分派 / none）' }}

The customer was unsatisfied at the survey of ticket {{ ticket.id }}, which is reopened: find the cause and adjust the plan (desk show {{ ticket.id }}).

-- desk (rule {{ rule }})
",
    ),
];
