using System.Text;
using Collection.Files.Tests;

namespace Collection.Functions.Tests.Rosters;

/// <summary>Rosters the tests write: valid pupils of 庐阳区 (luyang-2023), with chosen slips.</summary>
internal static class RosterFiles
{
    public static readonly string[] ChineseHeader = ["序号", "姓名", "性别", "公民身份号码", "年级", "班级", "资助身份"];
    public static readonly string[] EnglishHeader = ["name", "idNumber", "gender", "grade", "className", "subsidyIdentity"];

    /// <summary>
    /// The <paramref name="index"/>-th pupil, born 2010–2016 (or from 1 January of <paramref name="bornFrom"/>: 2000
    /// for university students): distinct valid ID numbers for indexes below 250,000 and for each <paramref name="salt"/> (0–9).
    /// </summary>
    public static (string Name, string IdNumber, string Gender) Pupil(int index, int salt = 0, int bornFrom = 2010)
    {
        var birth = new DateOnly(bornFrom, 1, 1).AddDays(index % 2500);
        var sequence = (salt * 100) + (index / 2500);
        var id = TestFiles.IdNumber("340103", birth, sequence);
        return ($"学生{index}", id, (id[16] - '0') % 2 == 1 ? "男" : "女");
    }

    /// <summary>Rows of Chinese-header CSV cells for pupils <paramref name="from"/>..<paramref name="from"/>+<paramref name="count"/>-1.</summary>
    public static List<string[]> ChineseRows(int from, int count, int salt = 0, int bornFrom = 2010)
    {
        var rows = new List<string[]> { ChineseHeader };
        for (var i = from; i < from + count; i++)
        {
            var (name, id, gender) = Pupil(i, salt, bornFrom);
            rows.Add([(i - from + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), name, gender, id, $"{3 + (i % 3)}年级", $"{1 + (i % 4)}班", i % 50 == 7 ? "低保对象" : string.Empty]);
        }

        return rows;
    }

    public static string ToCsv(IEnumerable<string[]> rows, string newLine = "\r\n") =>
        string.Join(newLine, rows.Select(r => string.Join(",", r))) + newLine;

    public static byte[] Utf8(string text, bool bom) => bom ? [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)] : Encoding.UTF8.GetBytes(text);

    public static byte[] Gb18030(string text) => TestFiles.Gb18030.GetBytes(text);

    /// <summary>An XLSX of the same rows (first row header, all text cells).</summary>
    public static byte[] Xlsx(List<string[]> rows)
    {
        using var stream = TestFiles.Xlsx(TestFiles.Grid(1, [.. rows.Select(r => r.Cast<object>().ToArray())]));
        return stream.ToArray();
    }
}
