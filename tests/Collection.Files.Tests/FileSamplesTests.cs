using Collection.Files;

namespace Collection.Files.Tests;

/// <summary>The sample uploads in samples/ (written by samples/make_samples.py) stay readable and say what their README says.</summary>
public class FileSamplesTests
{
    [Fact]
    public void SchoolRosterSample_Gb18030_ReadsTenRowsOneWithWrongCheckDigit()
    {
        var (rows, file) = TestFiles.ReadFile(Open("school-roster-gb18030.csv"), "school-roster-gb18030.csv", FileLayout.SchoolRoster);

        Assert.Equal("gb18030", file.EncodingName);
        Assert.Empty(file.Warnings);
        Assert.Equal(10, rows.Count);
        Assert.Equal(8, rows[5].LineNumber);
        Assert.All(rows, row => Assert.Matches("^[0-9]{17}[0-9X]$", row.IdNumber()));
        Assert.Equal([4], rows.Select((row, i) => (row, i)).Where(x => !HasValidCheckDigit(x.row.IdNumber())).Select(x => x.i));
    }

    [Fact]
    public void UniversityRosterSample_Xlsx_SkipsTitleAndReadsDates()
    {
        var (rows, file) = TestFiles.ReadFile(Open("university-roster.xlsx"), "university-roster.xlsx", FileLayout.UniversityRoster);

        Assert.Equal(FileWarningCodes.RowsAboveHeader, Assert.Single(file.Warnings).Code);
        Assert.Equal(8, rows.Count);
        Assert.Equal(new DateOnly(2004, 1, 15), rows[0].Date(FileFields.BirthDate).Value);
        Assert.All(rows, row => Assert.True(HasValidCheckDigit(row.IdNumber())));
        Assert.All(rows, row => Assert.True(row.YesNo(FileFields.IsNewStudent).Value));
    }

    [Fact]
    public void TaxReturnSample_Utf8EnglishHeaders_ParsesEveryTypedField()
    {
        var (rows, file) = TestFiles.ReadFile(Open("tax-return-20221116-utf8.csv"), "tax-return-20221116-utf8.csv", FileLayout.TaxPaymentReturn);

        Assert.Equal("utf-8", file.EncodingName);
        Assert.Equal(6, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.True(row.Amount(FileFields.Amount).IsValid);
            Assert.True(row.Date(FileFields.PaidOn).IsValid);
            Assert.True(row.YesNo(FileFields.InTreasury).IsValid);
            Assert.True(HasValidCheckDigit(row.IdNumber()));
        });
        Assert.Equal(35m, rows[4].Amount(FileFields.Amount).Value);
    }

    [Fact]
    public void LastYearRollSample_ReadsSixRows_TownAndCommunityInBracketedHeaders_OneWithWrongCheckDigit()
    {
        var (rows, file) = TestFiles.ReadFile(Open("last-year-roll-wuhai-2021.csv"), "last-year-roll-wuhai-2021.csv", FileLayout.LastYearRoll);

        Assert.Empty(file.Warnings);
        Assert.Equal(6, rows.Count);
        Assert.Equal(("海勃湾区", "新华街社区", "城乡居民"), (rows[0].Text(FileFields.Town), rows[0].Text(FileFields.Community), rows[0].Text(FileFields.Category)));
        Assert.Equal(320m, rows[4].Amount(FileFields.Amount).Value);
        Assert.Equal([true, true, true, true, true, false], rows.Select(r => HasValidCheckDigit(r.IdNumber())));
    }

    private static FileStream Open(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "samples", name);
            if (File.Exists(path))
            {
                return File.OpenRead(path);
            }
        }

        throw new FileNotFoundException($"samples/{name} not found above {AppContext.BaseDirectory}");
    }

    private static bool HasValidCheckDigit(string id)
    {
        int[] weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            sum += (id[i] - '0') * weights[i];
        }

        return "10X98765432"[sum % 11] == id[17];
    }
}
