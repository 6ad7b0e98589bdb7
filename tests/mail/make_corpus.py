#!/usr/bin/env python3
"""Writes the test messages of tests/mail/ (run once; the .eml files are committed).

Each message is what a real client sends: Chinese ones in GBK, GB18030 or Big5
bytes, encoded words made by Python's email library, raw 8-bit headers by hand.
The tests in src/mail/incoming/tests.rs assert what desk reads from each.
"""
import base64
import os
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, data):
    if isinstance(data, str):
        data = data.encode("ascii")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def crlf(msg):
    return msg.as_bytes()


write("plain.eml", """From: Li Na <li.na@example.com>
To: support@desk.example
Subject: Printer not working
Date: Tue, 01 Dec 2026 09:30:00 +0800
Message-ID: <plain-1@mail.example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello,

the printer on floor 3 shows error E02 since this morning.

Li Na
""")

alt = MIMEMultipart("alternative")
alt["From"] = formataddr((Header("王芳", "utf-8").encode(), "wang.fang@example.cn"))
alt["To"] = "support@desk.example"
alt["Cc"] = "Zhang Wei <zhang.wei@example.cn>, not an address"
alt["Subject"] = Header("发票开错了", "utf-8")
alt["Date"] = "Wed, 02 Dec 2026 10:00:00 +0800"
alt["Message-ID"] = "<alt-1@mail.example.cn>"
alt.attach(MIMEText("您好，发票抬头开错了，请重开。\n", "plain", "utf-8"))
alt.attach(MIMEText("<p>您好，<b>发票抬头</b>开错了，请重开。</p>", "html", "utf-8"))
write("alternative.eml", crlf(alt))

gbk = MIMEText("你好，我的订单还没有到货，麻烦查一下。\n订单号：20261130001\n", "plain", "gbk")
gbk["From"] = formataddr((Header("张伟", "gbk").encode(), "zhang.wei@example.cn"))
gbk["To"] = "support@desk.example"
gbk["Subject"] = Header("订单未到货", "gbk")
gbk["Date"] = "Thu, 03 Dec 2026 08:15:00 +0800"
gbk["Message-ID"] = "<gbk-1@mail.example.cn>"
write("gbk.eml", crlf(gbk))

# An old client: 8-bit GBK in the headers themselves, no encoded words, and a
# GB2312 label on a body with a GBK-only character (镕).
raw_gbk = (
    "From: ".encode() + "刘镕".encode("gbk") + b" <liu.rong@example.cn>\n"
    b"To: support@desk.example\n"
    b"Subject: " + "退款进度查询".encode("gbk") + b"\n"
    b"Date: Thu, 03 Dec 2026 09:00:00 +0800\n"
    b"Message-ID: <rawgbk-1@mail.example.cn>\n"
    b"MIME-Version: 1.0\n"
    b"Content-Type: text/plain; charset=gb2312\n"
    b"Content-Transfer-Encoding: 8bit\n\n"
    + "请问退款什么时候到账？刘镕\n".encode("gbk")
)
write("raw-gbk-headers.eml", raw_gbk)

big5 = MIMEText("您好，產品保固期是多久？\n", "plain", "big5")
# Python labels Big5 words "big5_tw"; clients write "big5".
big5["From"] = formataddr((Header("陳美玲", "big5").encode().replace("big5_tw", "big5"), "chen.ml@example.tw"))
big5["To"] = "support@desk.example"
big5["Subject"] = Header("保固問題", "big5").encode().replace("big5_tw", "big5")
big5["Date"] = "Thu, 03 Dec 2026 11:00:00 +0800"
big5["Message-ID"] = "<big5-1@mail.example.tw>"
write("big5.eml", crlf(big5))

att = MIMEMultipart("mixed")
att["From"] = "zhao.lei@example.com"
att["To"] = "support@desk.example"
att["Subject"] = "Invoice attached"
att["Date"] = "Fri, 04 Dec 2026 14:00:00 +0800"
att["Message-ID"] = "<att-1@example.com>"
att.attach(MIMEText("Please see the attached invoice.\n", "plain", "utf-8"))
pdf = MIMEApplication(b"%PDF-1.4\n%fake invoice\n" + bytes(range(256)), "pdf")
pdf.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "发票 12月.pdf"))
att.attach(pdf)
write("attachment.eml", crlf(att))

write("reply.eml", """From: Li Na <li.na@example.com>
To: support@desk.example
Subject: Re: [CW202612010001] Printer not working
Date: Tue, 01 Dec 2026 15:00:00 +0800
Message-ID: <reply-1@mail.example.com>
In-Reply-To: <0a1b2c@desk.example>
References: <plain-1@mail.example.com>
 <0a1b2c@desk.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

It works again, thank you!
> earlier line quoted inline

--
Li Na, Floor 3

On Tue, Dec 1, 2026 at 11:00 AM Support <support@desk.example>
wrote:
> Hello Li Na, we restarted the print server.
> Please try again.
""")

qq = MIMEText(
    "好的，已经收到货了，谢谢！\n\n"
    "------------------&nbsp;原始邮件&nbsp;------------------\n".replace("&nbsp;", " ")
    + "发件人: \"客服中心\"<support@desk.example>;\n"
    "发送时间: 2026年12月3日(星期四) 上午10:00\n"
    "收件人: \"张伟\"<zhang.wei@example.cn>;\n"
    "主题: [CW202612030002] 订单未到货\n\n"
    "您好，您的订单已经发出。\n",
    "plain",
    "gb18030",
)
qq["From"] = formataddr((Header("张伟", "gb18030").encode(), "zhang.wei@example.cn"))
qq["To"] = "support@desk.example"
qq["Subject"] = Header("回复：[CW202612030002] 订单未到货", "gb18030")
qq["Date"] = "Thu, 03 Dec 2026 18:00:00 +0800"
qq["Message-ID"] = "<tencent_qq-1@qq.com>"
write("qq-reply.eml", crlf(qq))

write("outlook-reply.eml", ("""From: Sun Li <sun.li@example.cn>
To: support@desk.example
Subject: """ + Header("答复: [CW202612030003] 登录失败", "utf-8").encode() + """
Date: Thu, 03 Dec 2026 19:00:00 +0800
Message-ID: <outlook-1@example.cn>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

谢谢，问题已解决。

发件人: 客服中心 <support@desk.example>
发送时间: 2026年12月3日 17:00
收件人: Sun Li <sun.li@example.cn>
主题: [CW202612030003] 登录失败

您好，请重置密码后再试。

-----Original Message-----
From: Sun Li
""").encode("utf-8"))

write("auto-reply.eml", """From: Zhou Min <zhou.min@example.com>
To: support@desk.example
Subject: Out of office: [CW202612010001] Printer not working
Date: Tue, 01 Dec 2026 11:01:00 +0800
Message-ID: <ooo-1@example.com>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset=us-ascii

I am out of the office until Monday.
""")

bounce = """From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: support@desk.example
Subject: Undelivered Mail Returned to Sender
Date: Tue, 01 Dec 2026 11:02:00 +0800
Message-ID: <bounce-1@mx.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; nobody@example.com
Action: failed
Status: 5.1.1

--BOUNDARY
Content-Type: text/rfc822-headers

From: support@desk.example
To: nobody@example.com
Subject: [CW202612010001] Printer not working
Message-ID: <0a1b2c@desk.example>

--BOUNDARY--
"""
write("bounce.eml", bounce)

fwd = MIMEMultipart("mixed")
fwd["From"] = "Qian Hao <qian.hao@example.com>"
fwd["To"] = "support@desk.example"
fwd["Subject"] = "Fwd: complaint from our shop"
fwd["Date"] = "Fri, 04 Dec 2026 16:00:00 +0800"
fwd["Message-ID"] = "<fwd-1@example.com>"
fwd.attach(MIMEText(
    "See below, please handle.\n\n"
    "---------- Forwarded message ---------\n"
    "From: Customer <customer@example.org>\n"
    "Date: Fri, 4 Dec 2026 at 15:00\n"
    "Subject: complaint\n"
    "To: <qian.hao@example.com>\n\n"
    "The screen arrived broken.\n",
    "plain", "utf-8"))
inner = MIMEText("The screen arrived broken.\n", "plain", "utf-8")
inner["From"] = "customer@example.org"
inner["Subject"] = "complaint"
from email.mime.message import MIMEMessage
fwd.attach(MIMEMessage(inner))
write("forwarded.eml", crlf(fwd))

write("html-only.eml", """From: Wu Jing <wu.jing@example.com>
To: support@desk.example
Subject: Screen flicker
Date: Fri, 04 Dec 2026 17:00:00 +0800
Message-ID: <html-1@example.com>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><title>ignored</title><style>p { color: red; }</style></head>
<body><script>alert("x")</script><div>Hello&nbsp;team,</div><p>The screen
flickers &amp; goes <b>dark</b> &lt;sometimes&gt;.</p><ul><li>Model: X1</li><li>Since:
Monday</li></ul>Thanks&#33;<br>Wu &#x4E00;</body></html>
""")

write("malformed.eml", b"From: broken\r\nSubject: =?utf-8?B?not base64!!?=\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@@\r\n--x")

trav = MIMEMultipart("mixed")
trav["From"] = "attacker@example.net"
trav["To"] = "support@desk.example"
trav["Subject"] = "files"
trav["Message-ID"] = "<trav-1@example.net>"
trav.attach(MIMEText("two files\n", "plain", "utf-8"))
for name in ["../../desk.yaml", ".git/hooks/pre-commit", "..", "con\x07trol\u202e.txt"]:
    part = MIMEApplication(b"#!/bin/sh\necho pwned\n", "octet-stream")
    part.add_header("Content-Disposition", "attachment", filename=name)
    trav.attach(part)
write("traversal.eml", crlf(trav))

write("subject-injection.eml", """From: attacker@example.net
To: support@desk.example
Subject: =?utf-8?Q?hello=0D=0ABcc:_victim@example.org=0D=0A=0D=0Abody?=
Message-ID: <inject-1@example.net>
Content-Type: text/plain; charset=utf-8

x
""")

write("invalid-charset.eml", b"From: someone@example.com\r\n"
      b"To: support@desk.example\r\n"
      b"Subject: =?x-unknown-42?Q?caf=C3=A9?=\r\n"
      b"Content-Type: text/plain; charset=x-unknown-42\r\n"
      b"Content-Transfer-Encoding: 8bit\r\n\r\n"
      b"caf\xc3\xa9 \xff\xfe broken\r\n")
