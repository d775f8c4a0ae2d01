using System.Text;
using Collection.Domain.Rosters;
using Collection.Files;
using Collection.Functions.Rosters;
using Collection.Files.Tests;
using static Collection.Functions.Tests.Rosters.RosterComponents;

namespace Collection.Functions.Tests.Rosters;

/// <summary>
/// Bounded work per roster (issue 22), at component level: the file limits end a run as failed with their code;
/// rejected rows go to the .rejected.csv in line order however they were found, and the result lists only the
/// first of them, of the vanished people and of the school names, so it is of fixed size while it is rewritten.
/// </summary>
public sealed class RosterBoundsTests(RosterComponentStorage storage) : IClassFixture<RosterComponentStorage>
{
    [Fact]
    public async Task Run_MoreRowsThanTheLimit_FailedTooManyRowsAtTheFirstRowBeyond_NobodyEnrolled()
    {
        var ledger = new MemoryRosterLedger();
        var ingestion = Ingestion(storage.Azurite, ledger, new FileLimits { MaxRows = 1000 });

        var result = await ingestion.RunAsync(Upload("BND001", "big.csv"), InvalidRoster(5000));

        Assert.Equal((RosterStatus.Failed, FileErrorCodes.TooManyRows, (int?)1002), (result.Status, result.Error!.Code, result.Error.Line));
        Assert.Contains("1000 行数据的上限", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal((1000, 1000), (result.Counts.Total, result.Counts.Rejected));
        Assert.Equal(Enumerable.Range(2, FirstLines.Listed), result.Rejected.Select(r => r.Line));
        Assert.Null(result.RejectedCsv);
        Assert.Empty(ledger.People);
        var stored = await new RosterResultStore(storage.Azurite.CreateBlobServiceClient()).ReadAsync(RosterBlobs.SchoolContainer, result.BlobName, CancellationToken.None);
        Assert.Equal((RosterStatus.Failed, FileErrorCodes.TooManyRows), (stored!.Status, stored.Error!.Code));
    }

    [Fact]
    public async Task Run_OfABlobDeletedOrReplacedSinceItsTrigger_SkippedWithoutReadingOrReportingIt()
    {
        // Issue 22 finding 1: a run that timed out was tried again by the host after the school had deleted
        // the file. A run is for the version its trigger saw; a deleted or replaced one is not read again.
        var service = storage.Azurite.CreateBlobServiceClient();
        var container = service.GetBlobContainerClient(RosterBlobs.SchoolContainer);
        await container.CreateIfNotExistsAsync();
        var deleted = container.GetBlobClient(RosterBlobs.BlobName(Policy, "BND010", "deleted.csv"));
        var replaced = container.GetBlobClient(RosterBlobs.BlobName(Policy, "BND011", "replaced.csv"));
        await deleted.UploadAsync(new BinaryData(InvalidRoster(10)), overwrite: true);
        await replaced.UploadAsync(new BinaryData(InvalidRoster(10)), overwrite: true);
        var deletedVersion = (await deleted.GetPropertiesAsync()).Value.ETag;
        var replacedVersion = (await replaced.GetPropertiesAsync()).Value.ETag;
        await deleted.DeleteAsync();
        await replaced.UploadAsync(new BinaryData(InvalidRoster(20)), overwrite: true);
        var ledger = new MemoryRosterLedger();
        var ingestion = Ingestion(storage.Azurite, ledger);

        await RosterBlobRun.RunAsync(ingestion, RosterKind.School, new(container.Name, deleted.Name, deletedVersion, deleted), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
        await RosterBlobRun.RunAsync(ingestion, RosterKind.School, new(container.Name, replaced.Name, replacedVersion, replaced), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);

        var results = new RosterResultStore(service);
        Assert.Null(await results.ReadAsync(container.Name, deleted.Name, CancellationToken.None));
        Assert.Null(await results.ReadAsync(container.Name, replaced.Name, CancellationToken.None));
        Assert.Empty(ledger.People);
    }

    [Fact]
    public async Task Run_FileLargerThanTheLimit_FailedFileTooLarge()
    {
        var ingestion = Ingestion(storage.Azurite, new MemoryRosterLedger(), new FileLimits { MaxBytes = 1000 });

        var result = await ingestion.RunAsync(Upload("BND002", "big.csv"), InvalidRoster(200));

        Assert.Equal((RosterStatus.Failed, FileErrorCodes.FileTooLarge), (result.Status, result.Error!.Code));
    }

    [Fact]
    public async Task Run_XlsxBomb_FailedFileTooLarge()
    {
        var bomb = XlsxBombs.Build(XlsxBombs.Sheet(XlsxBombs.Part.ChunkOf("<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>"), 1024));

        var result = await Ingestion(storage.Azurite, new MemoryRosterLedger()).RunAsync(Upload("BND003", "bomb.xlsx"), bomb);

        Assert.Equal((RosterStatus.Failed, FileErrorCodes.FileTooLarge), (result.Status, result.Error!.Code));
    }

    [Fact]
    public async Task Run_RejectionsFoundInEveryOrder_CsvHasEachInLineOrder_ResultListsTheFirstHundred()
    {
        // Rejected while reading (bad ID numbers, in file order), while checking partition by partition (duplicates,
        // in key order) and by the ledger (enrolled elsewhere, as batches come back).
        var ledger = new MemoryRosterLedger();
        var rows = RosterFiles.ChineseRows(0, 3000, salt: 2);
        for (var i = 1; i < rows.Count; i++)
        {
            if (i % 7 == 0)
            {
                rows[i][3] = rows[i][3][..17] + (rows[i][3][17] == '1' ? '2' : '1');
            }
            else if (i % 11 == 0)
            {
                rows[i] = [.. rows[i - 1]];
            }
            else if (i % 13 == 0)
            {
                ledger.Elsewhere.Add(rows[i][3]);
            }
        }

        var result = await Ingestion(storage.Azurite, ledger).RunAsync(Upload("BND004", "mixed.csv"), RosterFiles.Utf8(RosterFiles.ToCsv(rows), bom: true));
        var csv = TestFiles.ReadAll(new MemoryStream(await DownloadAsync(storage.Azurite, result.RejectedCsv!)), "rejected.csv");
        var lineColumn = csv[0].Cells.ToList().IndexOf(RejectedRowsCsvWriter.LineNumberHeader);
        var csvLines = csv.Skip(1).Select(r => int.Parse(r.Cells[lineColumn], System.Globalization.CultureInfo.InvariantCulture)).ToList();

        Assert.Equal(RosterStatus.Completed, result.Status);
        Assert.Equal(["already-enrolled", "duplicate-in-file", "invalid-id-number"], result.Counts.ByReason.Keys);
        Assert.Equal(result.Counts.Rejected, result.Counts.ByReason.Values.Sum());
        Assert.Equal(result.Counts.Total, result.Counts.Accepted + result.Counts.Rejected);
        Assert.Equal(result.Counts.Rejected, csvLines.Count);
        Assert.Equal(csvLines.Order(), csvLines);
        Assert.Equal(FirstLines.Listed, result.Rejected.Count);
        Assert.Equal(csvLines.Take(FirstLines.Listed), result.Rejected.Select(r => r.Line));
    }

    [Fact]
    public async Task Run_TwentyThousandRejectedRows_ResultWrittenWhileRunningNeverGrows()
    {
        var store = new RosterResultStore(storage.Azurite.CreateBlobServiceClient());
        var upload = Upload("BND005", "bad.csv");
        var ingestion = Ingestion(storage.Azurite, new MemoryRosterLedger(), progressInterval: TimeSpan.FromMilliseconds(20));
        using var done = new CancellationTokenSource();
        var sizes = new List<int>();
        var watcher = Task.Run(async () =>
        {
            var blob = store.Container.GetBlobClient(RosterBlobs.ResultName(upload.Container, upload.BlobName));
            while (!done.IsCancellationRequested)
            {
                try
                {
                    sizes.Add((await blob.DownloadContentAsync()).Value.Content.ToMemory().Length);
                }
                catch (Azure.RequestFailedException e) when (e.Status == 404)
                {
                }

                await Task.Delay(10);
            }
        });

        var result = await ingestion.RunAsync(upload, InvalidRoster(20_000));
        await done.CancelAsync();
        await watcher;

        Assert.Equal((RosterStatus.Completed, 20_000), (result.Status, result.Counts.Rejected));
        Assert.True(sizes.Count >= 3, $"{sizes.Count} reads of the result while it ran");
        Assert.All(sizes, size => Assert.True(size < 40_000, $"a result of {size} bytes"));
        Assert.True(result.ToJson().Length < 40_000);
        var csv = await DownloadAsync(storage.Azurite, result.RejectedCsv!);
        Assert.Equal(20_001, Encoding.UTF8.GetString(csv).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Reupload_HundredAndFiftyPeopleGone_FirstHundredListed_EveryOneInTheVanishedCsv()
    {
        var ledger = new MemoryRosterLedger();
        var ingestion = Ingestion(storage.Azurite, ledger);
        var upload = Upload("BND006", "roster.csv");
        await ingestion.RunAsync(upload, RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(0, 150, salt: 3)), bom: true));

        var second = await ingestion.RunAsync(upload with { ETag = new Azure.ETag("\"v2\"") }, RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(1000, 10, salt: 3)), bom: true));
        var csv = TestFiles.ReadAll(new MemoryStream(await DownloadAsync(storage.Azurite, second.VanishedCsv!)), "vanished.csv");

        Assert.Equal((RosterStatus.Completed, 10, 150), (second.Status, second.Counts.Accepted, second.Counts.Vanished));
        Assert.Equal(Enumerable.Range(2, FirstLines.Listed), second.Vanished.Select(v => v.PreviousLine ?? 0));
        Assert.Equal(["姓名", "公民身份号码", "上次行号"], csv[0].Cells);
        Assert.Equal(151, csv.Count);
        Assert.Equal("学生0", csv[1].Cells[0]);
        Assert.Contains("********", csv[1].Cells[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MoreSchoolNamesThanListed_RestSummedInOneTotal()
    {
        var rows = RosterFiles.ChineseRows(0, RosterTally.MaxSchoolNames + 50, salt: 4);
        rows[0] = [.. rows[0], "学校名称"];
        for (var i = 1; i < rows.Count; i++)
        {
            rows[i] = [.. rows[i], $"第{i:D3}小学"];
        }

        var result = await Ingestion(storage.Azurite, new MemoryRosterLedger()).RunAsync(Upload("BND007", "schools.csv"), RosterFiles.Utf8(RosterFiles.ToCsv(rows), bom: true));

        Assert.Equal(RosterStatus.Completed, result.Status);
        Assert.Equal(RosterTally.MaxSchoolNames + 1, result.Schools.Count);
        var combined = result.Schools[^1];
        Assert.Equal((RosterTally.CombinedSchoolName, (bool?)true, 50), (combined.SchoolName, combined.Combined, combined.Accepted));
        Assert.Equal(result.Counts.Accepted, result.Schools.Sum(s => s.Accepted));
        Assert.All(result.Schools.SkipLast(1), s => Assert.Null(s.Combined));
    }
}
