using Collection.Domain.Rosters;
using CsCheck;
using static Collection.Domain.Tests.TestPolicies;

namespace Collection.Domain.Tests;

/// <summary>
/// Properties over what people type: any text as an ID number, any roster row under any policy. Nothing
/// throws; every refusal is coded; what is accepted is what it claims to be. CsCheck generates the inputs
/// and shrinks a failure to its smallest form.
/// </summary>
public class PropertyTests
{
    private const string IdCharacters = "0123456789Xx０１２３４５６７８９Ｘ -\t*";

    private static readonly int[] Provinces = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65];

    /// <summary>Valid 18-digit numbers: any province with any area digits, any birth date 1900–2023, any sequence.</summary>
    private static readonly Gen<string> ValidId =
        Gen.Select(Gen.Select(Gen.OneOf(Provinces), Gen.Int[0, 9999], (province, area) => (province * 10_000) + area), Gen.Date[new DateTime(1900, 1, 1), new DateTime(2023, 12, 31)], Gen.Int[0, 999],
            (region, birth, sequence) =>
            {
                var body = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{region}{birth:yyyyMMdd}{sequence:D3}");
                return body + ResidentId.ComputeCheckCharacter(body);
            });

    /// <summary>What a clerk or a file can put in an ID cell: junk, near-misses of the right length, and valid numbers with one character changed.</summary>
    private static readonly Gen<string> IdText = Gen.OneOf(
        Gen.String,
        Gen.Char[IdCharacters].Array[0, 20].Select(c => new string(c)),
        Gen.Char[IdCharacters].Array[15, 15].Select(c => new string(c)),
        Gen.Char[IdCharacters].Array[18, 18].Select(c => new string(c)),
        Gen.Select(ValidId, Gen.Int[0, 17], Gen.Char[IdCharacters], (id, at, c) => string.Concat(id.AsSpan(0, at), c.ToString(), id.AsSpan(at + 1))));

    [Fact]
    public void ResidentId_AnyText_ParsesOrIsRefusedWithACode_AndWhatParsesIsConsistent()
    {
        var today = D("2023-06-30");
        IdText.Sample(text =>
        {
            if (!ResidentId.TryParse(text, today, out var id, out var error))
            {
                Assert.False(string.IsNullOrEmpty(ResidentId.ReasonCode(error)));
                Assert.False(string.IsNullOrEmpty(ResidentId.Describe(error)));
                return;
            }

            var canonical = id.ToString();
            Assert.Equal(id, ResidentId.Parse(canonical));
            if (!id.EncodesBirthDate)
            {
                // The older foreign card: three letters and twelve digits, upper-cased; masked but for nationality and last three.
                Assert.Matches("^[A-Z]{3}[0-9]{12}$", canonical);
                Assert.Equal(canonical[..3] + "*********" + canonical[12..], id.Masked);
                return;
            }

            Assert.Equal(18, canonical.Length);
            Assert.Equal(ResidentId.ComputeCheckCharacter(canonical.AsSpan(0, 17)), canonical[17]);
            Assert.True(id.BirthDate <= today);
            Assert.Equal(id, ResidentId.Parse(canonical));
            Assert.Equal(canonical[..6] + "********" + canonical[14..], id.Masked);
        }, iter: 20_000);
    }

    [Fact]
    public void ResidentId_EveryValidNumber_Parses_AndOneChangedCharacterIsCaught()
    {
        Gen.Select(ValidId, Gen.Int[0, 16], Gen.Int[1, 9]).Sample((valid, at, shift) =>
        {
            Assert.True(ResidentId.TryParse(valid, out var parsed));
            Assert.Equal(valid, parsed.ToString());

            // ISO 7064 MOD 11-2 catches every single-digit substitution in the body.
            var changed = string.Concat(valid.AsSpan(0, at), ((char)('0' + ((valid[at] - '0' + shift) % 10))).ToString(), valid.AsSpan(at + 1));
            Assert.False(ResidentId.TryParse(changed, out _));
        }, iter: 20_000);
    }

    /// <summary>Older foreign cards (3 letters + 12 digits) and passports (number and nationality), valid or near-misses, in any case and width.</summary>
    private static readonly Gen<(DocumentType Type, string Number, string Nationality)> DocumentText = Gen.OneOf(
        Gen.Select(Gen.Char['A', 'Z'].Array[3, 3], Gen.Char['0', '9'].Array[12, 12], (letters, digits) => (DocumentType.ForeignPermanentResident, new string(letters) + new string(digits), "")),
        Gen.Select(Gen.Char["ABCxyz0189０９-# "].Array[0, 22], Gen.Char["ABCKORusa1 "].Array[0, 4], (number, nationality) => (DocumentType.Passport, new string(number), new string(nationality))),
        Gen.Select(Gen.OneOf(Enum.GetValues<DocumentType>()), Gen.String, Gen.String, (type, number, nationality) => (type, number, nationality)));

    [Fact]
    public void ResidentId_AnyDocument_ParsesOrIsRefusedWithACode_AndItsKeyReadsBackAndIsMasked()
    {
        DocumentText.Sample(document =>
        {
            if (!ResidentId.TryParse(document.Type, document.Number, document.Nationality, null, out var id, out var error))
            {
                Assert.NotEqual("none", ResidentId.ReasonCode(error));
                return;
            }

            Assert.Equal(document.Type, id.DocumentType);
            var key = id.ToString();
            Assert.Equal(id, ResidentId.Parse(key));
            Assert.Equal(key.Length, id.Masked.Length);
            Assert.Contains('*', id.Masked);
            if (document.Type == DocumentType.Passport)
            {
                Assert.Matches("^PP-[A-Z]{3}-[A-Z0-9]{5,17}$", key);
                Assert.Equal(key[..7], id.Masked[..7]);
                Assert.Equal(key[^2..], id.Masked[^2..]);
                Assert.True(id.Masked[7..^2].All(c => c == '*'));
            }
        }, iter: 20_000);
    }

    private static readonly string[] Names = ["王小明", "", " ", "阿卜杜拉·买买提", new string('名', 60), "A\u0000B", "=HYPERLINK(\"x\")"];
    private static readonly string[] Genders = ["", "男", "女", "M", "F", "未知", "男 "];
    private static readonly string[] Grades = ["", "1年级", "3年级", "初二", "高三", "大一", "研究生", "幼儿园", "x"];
    private static readonly string[] Identities = ["", "特困人员", "低保对象", "孤儿", "重度残疾人", "脱贫人口", "监测对象", "困境儿童", "低保边缘家庭", "特困人员,孤儿", "不存在的身份", "；;,"];
    private static readonly string[] Modes = ["", "统一代收", "微信", "个人缴纳", "自缴", "?"];
    private static readonly string[] Classes = ["", "A", "A类", "B类", "一类", "9"];

    private static Gen<string> Either(string[] pool) => Gen.OneOf<string>(Gen.OneOf(pool), Gen.String);

    private static readonly Gen<RosterRowFacts> Row =
        Gen.Select(Gen.OneOf(ValidId, IdText), Either(Names), Either(Genders), Gen.OneOf<string>(Gen.OneOf("", "2013-03-01", "20130301", "2013/3/1", "1899-01-01"), Gen.String), Either(Grades), Either(Identities))
            .Select(Either(Modes), Either(Classes), Gen.Int[2, 1_000_000],
                (row, mode, allowance, line) => new RosterRowFacts
                {
                    LineNumber = line,
                    IdNumber = row.Item1,
                    Name = row.Item2,
                    Gender = row.Item3,
                    BirthDate = row.Item4,
                    Grade = row.Item5,
                    Identities = row.Item6,
                    PaymentMode = mode,
                    AllowanceClass = allowance,
                    StudentNumber = "S" + line,
                });

    /// <summary>A row as it comes, or with a 证件类型 (code, label or junk), a foreigner's number and a 国籍.</summary>
    private static readonly string[] NewStudentCells = ["", "是", "否", "新生", "老生", "Y", "0", "大概"];

    private static readonly Gen<RosterRowFacts> RowWithAnyDocument = Gen.Select(Row, DocumentText, Gen.Int[0, 3], Either(NewStudentCells), (row, document, how, isNew) => (how switch
    {
        0 => row,
        1 => row with { IdType = Collection.Domain.Codes.Glossary.DocumentTypes.Label(document.Type), IdNumber = document.Number, Nationality = document.Nationality },
        2 => row with { IdType = Collection.Domain.Codes.Glossary.DocumentTypes.Code(document.Type), IdNumber = document.Number, Nationality = document.Nationality, BirthDate = "2013-03-01" },
        _ => row with { IdType = document.Nationality, IdNumber = document.Number },
    }) with { NewStudent = isNew });

    [Fact]
    public void RosterChecker_AnyRow_UnderAnyPolicyAndKind_IsAcceptedOrRejectedWithACodeAndChinese()
    {
        var checkers = Catalog.Policies
            .SelectMany(p => new[] { RosterKind.School, RosterKind.University }.Select(kind => new RosterChecker(p, kind, p.CollectionStart.AddDays(10))))
            .ToArray();
        Gen.Select(Gen.Int[0, checkers.Length - 1], RowWithAnyDocument).Sample((which, row) =>
        {
            var result = checkers[which].Check(row);
            if (result.Accepted)
            {
                Assert.False(result.Person!.Id.IsEmpty);
                Assert.True(result.Person.Id.EncodesBirthDate || RosterChecker.ParseDate(row.BirthDate) == result.Person.Assessment.BirthDate);
                Assert.Equal(RosterChecker.ParseYesNo(row.NewStudent), result.Person.NewStudent);
                Assert.True(result.Person.Assessment.Payable >= 0m);
                Assert.False(string.IsNullOrWhiteSpace(result.Person.Name));
                return;
            }

            Assert.Contains(result.Rejection!.Code, RosterReasons.All);
            Assert.Contains(result.Rejection.Message, c => c is >= '\u4e00' and <= '\u9fff');
        }, iter: 20_000, threads: 1); // a checker reads one file, row after row (it remembers the file's ID numbers): one thread
    }
}
