using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.Domain;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.TaxReturns;

/// <summary>
/// 税务回传 (daily, T+1): a file dropped in <c>tax-returns</c> as <c>{policy}/{yyyyMMdd}-{anything}.csv|.xlsx</c>
/// is read as a stream, its rows posted in chunks through the ledger (idempotent by transaction id, so a
/// re-dropped file or a run cut short by a restart posts nothing twice), and a result written to
/// <c>tax-returns-results/{same name}.json</c> plus <c>.rejected.csv</c>. Memory stays bounded: one chunk of
/// rows at a time; rejections go to temporary files, not lists.
/// </summary>
public sealed partial class TaxReturnsFunction(EnrolmentLedger ledger, PolicyCatalog policies, BlobServiceClient blobs, FileLimits limits, ILogger<TaxReturnsFunction> logger)
{
    public const string Container = "tax-returns";
    public const string ResultsContainer = "tax-returns-results";
    public const int ChunkRows = 2000;

    [Function("TaxReturns")]
    public async Task OnBlob(
        [BlobTrigger(Container + "/{name}", Source = BlobTriggerSource.EventGrid)] BlobClient blob, FunctionContext context, CancellationToken cancellationToken) =>
        await RunAsync(await TriggeredBlob.FromAsync(blob, context, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    public async Task RunAsync(TriggeredBlob blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var report = new TaxReturnReport(blob.Name) { ETag = blob.ETag.ToString() };
        var stopwatch = Stopwatch.StartNew();
        var rejections = new RejectedRows();
        await using (rejections.ConfigureAwait(false))
        {
            var match = BlobName().Match(blob.Name);
            if (!match.Success)
            {
                report.Fail("invalid-file-name", "文件名应为 {政策}/{yyyyMMdd}-{名称}.csv 或 .xlsx，例如 wuhai-2022/20211205-回传.csv");
            }
            else if (!policies.TryGet(match.Groups["policy"].Value, out _))
            {
                report.Fail("unknown-policy", $"政策（年度）“{match.Groups["policy"].Value}”不存在");
            }
            else
            {
                report.Policy = match.Groups["policy"].Value;
                await PostFileAsync(blob, report, rejections, cancellationToken).ConfigureAwait(false);
            }

            report.Seconds = Math.Round(stopwatch.Elapsed.TotalSeconds, 3);
            var json = ResultJson(report, rejections);
            await FileDropResults.WriteAsync(blobs, ResultsContainer, blob.Name, await rejections.FinishAsync(cancellationToken).ConfigureAwait(false), new BinaryData(json), cancellationToken).ConfigureAwait(false);
            if (logger.IsEnabled(LogLevel.Information))
            {
                var name = LogText.Of(blob.Name);
                LogReturnRead(name, report.Rows, report.Posted, report.AlreadyPosted, report.Rejected, report.Error is null ? "" : $" (file: {LogText.Of(report.Error)})");
            }
        }
    }

    private async Task PostFileAsync(TriggeredBlob blob, TaxReturnReport report, RejectedRows rejections, CancellationToken cancellationToken)
    {
        TabularFile file;
        try
        {
            var stream = await blob.Client.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken).ConfigureAwait(false);
            file = await TabularFile.OpenAsync(stream, blob.Name, FileLayout.TaxPaymentReturn, limits, cancellationToken).ConfigureAwait(false);
        }
        catch (TabularFileException e)
        {
            report.Fail(e.Code, e.ChineseMessage);
            return;
        }

        await using (file.ConfigureAwait(false))
        {
            rejections.Start(file.Header.Header);
            var chunk = new List<(TabularRow Row, PaymentPosting Posting)>(ChunkRows);
            try
            {
                await foreach (var row in file.ReadRowsAsync(cancellationToken).ConfigureAwait(false))
                {
                    report.Rows++;
                    if (TryPosting(row, report.Policy!, out var posting, out var code, out var message))
                    {
                        chunk.Add((row, posting));
                        if (chunk.Count == ChunkRows)
                        {
                            await PostChunkAsync(blob.Name, chunk, report, rejections, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        await RejectAsync(rejections, row, MaskRaw(row.IdNumber()), code, message, report, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (TabularFileException e)
            {
                // The file broke part-way (corrupt XLSX, bad bytes): what was read is posted and reported with the error.
                report.Fail(e.Code, FileDrop.PartWayMessage(e));
            }

            await PostChunkAsync(blob.Name, chunk, report, rejections, cancellationToken).ConfigureAwait(false);
            report.Warnings = [.. file.Warnings.Select(w => w.Message)];
            if (report.Rows == 0 && report.Error is null)
            {
                report.Fail(FileErrorCodes.EmptyFile, FileDrop.EmptyFileMessage);
            }
        }
    }

    private async Task PostChunkAsync(string name, List<(TabularRow Row, PaymentPosting Posting)> chunk, TaxReturnReport report, RejectedRows rejections, CancellationToken cancellationToken)
    {
        if (chunk.Count == 0)
        {
            return;
        }

        var results = await ledger.PostPaymentsAsync([.. chunk.Select(c => c.Posting)], $"tax-returns:{name}", cancellationToken: cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < chunk.Count; i++)
        {
            var result = results[i];
            switch (result.Outcome)
            {
                case PostingOutcome.Posted:
                    report.Posted++;
                    report.PostedAmount += chunk[i].Posting.Amount;
                    break;
                case PostingOutcome.Duplicate:
                    report.AlreadyPosted++;
                    report.MarkedInTreasury += result.MarkedInTreasury ? 1 : 0;
                    break;
                default:
                    var code = result.Error!.Code;
                    await RejectAsync(rejections, chunk[i].Row, chunk[i].Posting.Id.Masked, code, LedgerCodes.Message(code), report, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        chunk.Clear();
    }

    private static bool TryPosting(TabularRow row, string policy, out PaymentPosting posting, out string code, out string message)
    {
        posting = null!;
        string? Missing(FileField field) => row.IsBlank(field) ? $"“{field.Label}”为空" : null;
        if ((Missing(FileFields.IdNumber) ?? Missing(FileFields.Amount) ?? Missing(FileFields.PaidOn) ?? Missing(FileFields.Channel)
            ?? Missing(FileFields.TransactionId) ?? Missing(FileFields.InTreasury)) is { } blank)
        {
            (code, message) = ("missing-value", blank);
            return false;
        }

        // Bounded cells before anything echoes them: a 10,000-character channel must not come back in the report.
        if ((TextLimits.Check(FileFields.TransactionId.Label, row.Text(FileFields.TransactionId), TextLimits.TransactionId)
            ?? TextLimits.Check(FileFields.Channel.Label, row.Text(FileFields.Channel), TextLimits.Cell)
            ?? TextLimits.Check(FileFields.Name.Label, row.Has(FileFields.Name) ? row.Text(FileFields.Name) : null, TextLimits.Name)
            ?? TextLimits.Check(FileFields.Amount.Label, row.Text(FileFields.Amount), TextLimits.Cell)
            ?? TextLimits.Check(FileFields.PaidOn.Label, row.Text(FileFields.PaidOn), TextLimits.Cell)
            ?? TextLimits.Check(FileFields.InTreasury.Label, row.Text(FileFields.InTreasury), TextLimits.Cell)
            ?? TextLimits.Check(FileFields.Payer.Label, row.Has(FileFields.Payer) ? row.Text(FileFields.Payer) : null, TextLimits.Cell)
            ?? TextLimits.Check(FileFields.Collector.Label, row.Has(FileFields.Collector) ? row.Text(FileFields.Collector) : null, TextLimits.Source)) is { } tooLong)
        {
            (code, message) = (tooLong.Code, (string)tooLong.Extensions!["detailZh"]!);
            return false;
        }

        if (row.IdNumberProblem() is { } idProblem)
        {
            (code, message) = (idProblem.Code, idProblem.Message);
            return false;
        }

        var paidOn = row.Date(FileFields.PaidOn);
        var amount = row.Amount(FileFields.Amount);
        var inTreasury = row.YesNo(FileFields.InTreasury);
        if (!ResidentId.TryParse(row.IdNumber(), paidOn.IsValid ? paidOn.Value : null, out var id, out var idError))
        {
            (code, message) = (ResidentId.ErrorCode, $"{LedgerCodes.Message(ResidentId.ErrorCode)}（{ResidentId.ReasonCode(idError)}）");
            return false;
        }

        if (!amount.IsValid || amount.Value <= 0)
        {
            (code, message) = ("invalid-amount", amount.ErrorMessage ?? LedgerCodes.Message("invalid-amount"));
            return false;
        }

        if (!paidOn.IsValid)
        {
            (code, message) = ("invalid-date", paidOn.ErrorMessage ?? LedgerCodes.Message("invalid-date"));
            return false;
        }

        if (!Glossary.PaymentChannels.TryParse(row.Text(FileFields.Channel), out var channel))
        {
            (code, message) = ("unknown-payment-channel", $"缴费渠道“{row.Text(FileFields.Channel)}”无法识别");
            return false;
        }

        if (!inTreasury.IsValid)
        {
            (code, message) = ("invalid-in-treasury", inTreasury.ErrorMessage ?? LedgerCodes.Message("invalid-in-treasury"));
            return false;
        }

        var transactionId = row.Text(FileFields.TransactionId);
        if (!LedgerKeys.IsValidTransactionId(transactionId))
        {
            (code, message) = ("invalid-transaction-id", LedgerCodes.Message("invalid-transaction-id"));
            return false;
        }

        var payerText = row.Has(FileFields.Payer) ? row.Text(FileFields.Payer) : "";
        if (!PaymentPayers.TryParse(payerText, channel, out var payer))
        {
            (code, message) = ("unknown-payer", $"缴费类型“{payerText}”无法识别（应为 个人缴费 或 资助代缴）");
            return false;
        }

        var collector = row.Has(FileFields.Collector) ? row.Text(FileFields.Collector).Trim() : "";
        posting = new PaymentPosting(policy, id, amount.Value, paidOn.Value, channel, transactionId, inTreasury.Value)
        {
            Payer = payer,
            Collector = collector.Length == 0 ? null : collector,
        };
        (code, message) = ("", "");
        return true;
    }

    /// <summary>Masks what could be an ID number even when it does not parse (the report goes back to the sender's desk).</summary>
    internal static string MaskRaw(string text) =>
        text.Length >= 10 ? string.Concat(text.AsSpan(0, 6), new string('*', text.Length - 10), text.AsSpan(text.Length - 4)) : new string('*', text.Length);

    private static async ValueTask RejectAsync(RejectedRows rejections, TabularRow row, string maskedId, string code, string message, TaxReturnReport report, CancellationToken cancellationToken)
    {
        await rejections.AddAsync(row, maskedId, code, message, cancellationToken).ConfigureAwait(false);
        report.Rejected = rejections.Count;
    }

    /// <summary>The result JSON: the counts and the first rejected rows by line (every one is in the .rejected.csv beside it).</summary>
    internal static byte[] ResultJson(TaxReturnReport report, RejectedRows rejections)
    {
        var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("file", report.File);
            writer.WriteString("etag", report.ETag);
            writer.WriteString("policy", report.Policy);
            writer.WriteString("status", report.Error is null ? "completed" : "failed");
            writer.WriteString("error", report.Error);
            writer.WriteString("errorMessage", report.ErrorMessage);
            writer.WriteNumber("rows", report.Rows);
            writer.WriteNumber("posted", report.Posted);
            writer.WriteNumber("postedAmount", report.PostedAmount);
            writer.WriteNumber("alreadyPosted", report.AlreadyPosted);
            writer.WriteNumber("markedInTreasury", report.MarkedInTreasury);
            writer.WriteNumber("rejected", report.Rejected);
            writer.WriteNumber("seconds", report.Seconds);
            writer.WriteStartArray("warnings");
            foreach (var warning in report.Warnings)
            {
                writer.WriteStringValue(warning);
            }

            writer.WriteEndArray();
            writer.WriteString("rejectedCsv", FileDropResults.RejectedCsv(ResultsContainer, report.File));
            writer.WriteStartArray("rejectedRows");
            foreach (var rejected in rejections.First)
            {
                writer.WriteStartObject();
                writer.WriteNumber("line", rejected.Line);
                writer.WriteString("idNumber", rejected.IdNumber);
                writer.WriteString("code", rejected.Code);
                writer.WriteString("message", rejected.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return json.ToArray();
    }

    [GeneratedRegex(@"^(?<policy>[a-z0-9-]+)/(?<date>\d{8})-[^/]+\.(csv|xlsx)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BlobName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Tax return {Name}: {Rows} rows, {Posted} posted, {Duplicates} already posted, {Rejected} rejected{Error}")]
    private partial void LogReturnRead(string name, int rows, int posted, int duplicates, int rejected, string error);
}

/// <summary>The counts of a tax return result (the rejected rows are streamed beside them).</summary>
public sealed class TaxReturnReport(string file)
{
    public string File { get; } = file;

    /// <summary>The version (blob ETag) this result is about: a re-dropped file gets a result of its own.</summary>
    public string? ETag { get; init; }

    public string? Policy { get; set; }

    /// <summary>A file-level error code (<c>unknown-policy</c>, <c>duplicate-columns</c>, <c>empty-file</c>, …), if any.</summary>
    public string? Error { get; private set; }

    public string? ErrorMessage { get; private set; }

    public int Rows { get; set; }

    public int Posted { get; set; }

    public decimal PostedAmount { get; set; }

    /// <summary>Rows whose transaction was posted before (a re-dropped file, or a run cut short and run again).</summary>
    public int AlreadyPosted { get; set; }

    /// <summary>Of <see cref="AlreadyPosted"/>, payments this return reported in the treasury that the book had outside (cash remitted since).</summary>
    public int MarkedInTreasury { get; set; }

    public int Rejected { get; set; }

    public IReadOnlyList<string> Warnings { get; set; } = [];

    public double Seconds { get; set; }

    public void Fail(string code, string message)
    {
        Error = code;
        ErrorMessage = message;
    }
}
