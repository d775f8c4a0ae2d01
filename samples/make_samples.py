#!/usr/bin/env python3
"""Writes the sample upload files in this folder (fake people, valid-looking ID numbers).

Run from the repository root: python3 samples/make_samples.py
The test FileSamplesTests reads every file written here, so the samples stay readable.
"""
import os
import zipfile
from datetime import date, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(region, birth, sequence, male):
    """GB 11643-1999: 6-digit region, birth date, 3-digit sequence (odd = male), ISO 7064 MOD 11-2 check digit."""
    seq = sequence * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS))
    return body + "10X98765432"[total % 11]


NAMES = ["王小明", "李小红", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周强", "吴芳", "徐杰", "孙悦"]


def school_roster():
    """庐阳区 primary school roster, GB18030 as Excel on Chinese Windows saves CSV, title-less, with typical slips."""
    rows = [["序号", "姓名", "性别", "公民身份号码", "学号", "年级", "班级", "资助身份"]]
    for i, name in enumerate(NAMES[:10]):
        male = i % 2 == 0
        birth = date(2013, 3, 1) + timedelta(days=97 * i)
        rows.append([str(i + 1), name, "男" if male else "女", id_number("340103", birth, 10 + i, male),
                     f"G3401032013{i + 1:04d}", f"{3 + i % 3}年级", f"{1 + i % 2}班",
                     "低保对象" if i == 3 else ("特困人员" if i == 7 else "")])
    rows[5][3] = rows[5][3][:-1] + ("0" if rows[5][3][-1] != "0" else "1")   # wrong check digit: rejected
    rows[6][3] = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in rows[6][3])  # full-width digits: normalised
    rows[2][3] = rows[2][3].replace("X", "x")  # lower-case check digit: normalised
    text = "\r\n".join(",".join(r) for r in rows[:6]) + "\r\n\r\n" + "\r\n".join(",".join(r) for r in rows[6:]) + "\r\n"
    with open(os.path.join(HERE, "school-roster-gb18030.csv"), "wb") as f:
        f.write(text.encode("gb18030"))


def tax_return():
    """T+1 payment return from the tax bureau, UTF-8 without BOM, English headers in its own order."""
    rows = [["transactionId", "idNumber", "name", "amount", "paidOn", "channel", "inTreasury"]]
    channels = ["wechat-scan", "online", "微信扫码", "银行柜台", "tax-client"]
    for i in range(6):
        male = i % 2 == 1
        birth = date(1975, 5, 20) + timedelta(days=1500 * i)
        amount = "350.00" if i != 4 else "35.00"
        rows.append([f"3401032022{1101 + i:06d}", id_number("340103", birth, 40 + i, male), NAMES[i + 4], amount,
                     f"2022-11-{10 + i:02d}", channels[i % len(channels)], "是" if i % 3 else "否"])
    text = "\n".join(",".join(r) for r in rows) + "\n"
    with open(os.path.join(HERE, "tax-return-20221116-utf8.csv"), "wb") as f:
        f.write(text.encode("utf-8"))


def xml_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def university_roster():
    """New-student list of a university (luyang-2023: due 09-30), XLSX with a title row, shared strings and a date column."""
    title = "某某大学2022级新生城乡居民医保名单"
    header = ["学号", "姓名", "性别", "身份证号", "出生日期", "缴费方式", "是否新生"]
    people = []
    for i in range(8):
        male = i % 2 == 0
        birth = date(2004, 1, 15) + timedelta(days=41 * i)
        people.append([f"2022{i + 1:05d}", NAMES[(i + 2) % len(NAMES)], "男" if male else "女",
                       id_number("340103", birth, 70 + i, male), birth, "统一代收" if i % 3 else "微信", "是"])
    strings, index = [], {}

    def sst(s):
        if s not in index:
            index[s] = len(strings)
            strings.append(s)
        return index[s]

    def col(c):
        return "ABCDEFGHIJ"[c]

    rows_xml = [f'<row r="1"><c r="A1" t="s"><v>{sst(title)}</v></c></row>',
                '<row r="2">' + "".join(f'<c r="{col(c)}2" t="s"><v>{sst(h)}</v></c>' for c, h in enumerate(header)) + "</row>"]
    for r, person in enumerate(people, start=3):
        cells = []
        for c, value in enumerate(person):
            ref = f"{col(c)}{r}"
            if isinstance(value, date):
                serial = (value - date(1899, 12, 30)).days
                cells.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="s"><v>{sst(value)}</v></c>')
        rows_xml.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>",
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook {ns} {rel}>'
        '<sheets><sheet name="新生名单" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/styles.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet {ns}>'
        '<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst {ns} count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{xml_text(s)}</t></si>" for s in strings) + "</sst>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {ns}><sheetData>'
        + "".join(rows_xml) + "</sheetData></worksheet>",
    }
    with zipfile.ZipFile(os.path.join(HERE, "university-roster.xlsx"), "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2022, 9, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content.encode("utf-8"))


SUBSIDY_PEOPLE = [  # name, identity (as civil affairs writes it), 低保类别, 乡镇街道
    ("王秀英", "特困供养人员", "", "亳州路街道"),
    ("李桂兰", "社会散居孤儿", "", "逍遥津街道"),
    ("张建国", "低保对象", "城市低保全额保障对象", "杏林街道"),
    ("刘淑珍", "低保边缘家庭老年人", "", "双岗街道"),
    ("陈志强", "计划生育特殊家庭父母", "", "三孝口街道"),
    ("杨丽", "低保对象", "城市低保差额保障对象", "林店街道"),
    ("黄海", "特困人员", "", "海棠街道"),
    ("赵敏", "低保对象", "农村一类低保", "三十岗乡"),
]


def subsidy_person_id(i):
    male = i % 2 == 0
    return id_number("340103", date(1950, 2, 1) + timedelta(days=1811 * i), 120 + i, male)


def subsidy_lists():
    """庐阳区 civil affairs: the August register (GB18030, 序号 column) and the December changes (UTF-8, English headers)."""
    rows = [["序号", "姓名", "身份证号", "资助身份", "低保类别", "乡镇街道", "变动"]]
    for i, (name, identity, allowance, town) in enumerate(SUBSIDY_PEOPLE):
        rows.append([str(i + 1), name, subsidy_person_id(i), identity, allowance, town, "新增" if i % 3 else ""])
    bad = rows[7][2]
    rows[7][2] = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # 黄海: wrong check digit, rejected
    text = "\r\n".join(",".join(r) for r in rows) + "\r\n"
    with open(os.path.join(HERE, "subsidy-list-20220831-gb18030.csv"), "wb") as f:
        f.write(text.encode("gb18030"))

    changes = [["name", "idNumber", "subsidyIdentity", "allowanceClass", "town", "change"],
               ["刘淑珍", subsidy_person_id(3), "low-income-margin-elderly", "", "双岗街道", "减少"],
               ["张建国", subsidy_person_id(2), "minimum-living-allowance", "urban-full", "亳州路街道", "新增"],
               ["孙浩", id_number("340103", date(2015, 6, 1), 130, True), "orphan", "", "杏林街道", "新增"],
               ["周平", id_number("340103", date(1948, 9, 9), 131, True), "extreme-poverty", "", "海棠街道", "减少"]]
    text = "\r\n".join(",".join(r) for r in changes) + "\r\n"
    with open(os.path.join(HERE, "subsidy-list-20221231-utf8.csv"), "wb") as f:
        f.write(b"\xef\xbb\xbf" + text.encode("utf-8"))


def luyang_targets():
    # Made-up tasks: luyang-2023 一 says "具体任务另行通知" and the notice gives none.
    rows = [["乡镇街道", "任务数"], ["亳州路街道", "21000"], ["双岗街道", "26000"], ["杏花村街道", "30000"],
            ["杏林街道", "24000"], ["海棠街道", "23000"], ["林店街道", "18000"], ["逍遥津街道", "20000"],
            ["益民街道", "12000"], ["三孝口街道", "16000"], ["大杨镇", "30000"], ["三十岗乡", "15000"],
            ["庐阳经济开发区", "6000"]]
    text = "\r\n".join(",".join(r) for r in rows) + "\r\n"
    with open(os.path.join(HERE, "luyang-2023-targets.csv"), "wb") as f:
        f.write(b"\xef\xbb\xbf" + text.encode("utf-8"))


def last_year_roll():
    """wuhai-2022's roll of 2021 payers as the bureau exports it (UTF-8 with BOM): 海勃湾区 and 乌达区, communities, one bad row."""
    rows = [["姓名", "证件类型", "证件号码", "参保身份", "缴费金额", "缴费日期", "乡镇(街道)", "社区(村)", "学校", "联系电话"]]
    places = [("海勃湾区", "新华街社区"), ("海勃湾区", "新华街社区"), ("海勃湾区", "滨河社区"), ("乌达区", "三完小社区"), ("乌达区", "三完小社区")]
    for i, (town, community) in enumerate(places):
        male = i % 2 == 0
        birth = date(1968, 4, 2) + timedelta(days=2100 * i)
        rows.append([NAMES[i], "居民身份证", id_number("150302", birth, 60 + i, male), "城乡居民", "320.00",
                     f"2020-12-{1 + i:02d}", town, community, "", f"1380473{1000 + i:04d}"])
    bad = id_number("150302", date(1990, 1, 1), 70, True)
    rows.append([NAMES[5], "居民身份证", bad[:-1] + ("0" if bad[-1] != "0" else "1"), "城乡居民", "320.00", "2020-12-09", "乌达区", "三完小社区", "", ""])
    text = "\r\n".join(",".join(r) for r in rows) + "\r\n"
    with open(os.path.join(HERE, "last-year-roll-wuhai-2021.csv"), "wb") as f:
        f.write(b"\xef\xbb\xbf" + text.encode("utf-8"))


if __name__ == "__main__":
    school_roster()
    tax_return()
    university_roster()
    subsidy_lists()
    luyang_targets()
    last_year_roll()
