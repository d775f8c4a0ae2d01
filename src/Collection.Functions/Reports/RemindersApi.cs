using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Assessments;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Reports;

/// <summary>One town's count of people to remind and what they owe.</summary>
public sealed record ReminderTown(string Town, int People, decimal Owed);

/// <summary>The towns' reminder counts on a day, and the day reminders end.</summary>
public sealed record ReminderSummary(string Policy, string AsOf, string? RemindersEnd, bool Ended, IReadOnlyList<ReminderTown> Towns, int People, decimal Owed);

/// <summary>
/// 催缴名单: people registered (assessed) and not paid in full on the day, per town — during the collection period and
/// until the policy's <c>reminders-end</c> deadline (bagongshan-2022 六(七) "对2022年1月1日前仍未缴费的，除外出务工人员外，
/// 不再催缴和征收"): from that day only migrant workers (their enrolment says <c>migrantWorkerWithProof</c>) are listed.
/// A policy without that deadline reminds until its collection period ends.
/// <c>GET /api/reports/{policy}/reminders?date=</c> gives the counts per town (JSON);
/// <c>…&amp;town=X&amp;format=csv</c> the town's list (staff: whole ID numbers), streamed from a temporary file.
/// Community and township staff, who do the reminding (催缴), get the same counts and lists with ID numbers masked
/// (<c>110101********4511</c>): name, phone and address are what a reminder needs. A key tied to a town
/// (<c>Keys:community:&lt;town&gt;</c>) gets only that town: its counts, and its list with or without <c>town=</c>;
/// another town answers 403 <c>forbidden-unit</c>.
/// </summary>
public sealed class RemindersApi(EnrolmentLedger ledger, PolicyCatalog policies, ChinaClock clock)
{
    public const string DeadlineCode = "reminders-end";

    private static readonly string[] Headers = ["乡镇街道", "姓名", "身份证号", "联系电话", "地址", "登记日期", "应缴金额", "已缴金额", "欠缴金额", "外出务工人员"];

    /// <summary>The first day no one (but migrant workers) is reminded: the <c>reminders-end</c> deadline, else the day after the collection period.</summary>
    public static DateOnly EndOf(Policy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var end = policy.Document.Deadlines?.FirstOrDefault(d => d.Code == DeadlineCode)?.Date;
        return end is not null ? IsoDate.Parse(end) : policy.CollectionEnd.AddDays(1);
    }

    [Function("ReminderLists")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Community)]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/reminders")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!ReportRequest.TryRead(request, policy, policies, clock, out var known, out var day, out var problem))
        {
            return problem;
        }

        var format = Query.Text(request, "format");
        var town = Query.Text(request, "town")?.Trim();
        // A key tied to a town (Keys:community:<town>) reminds only its own town's people: its counts and its list.
        var own = request.HttpContext.User.OwnUnit();
        if (own is not null)
        {
            if (!string.IsNullOrEmpty(town) && !string.Equals(town, own, StringComparison.Ordinal))
            {
                return LastYear.LastYearApi.ForbiddenUnit(own);
            }

            town = own;
        }

        if (format is not (null or "json" or "csv") || (format == "csv" && string.IsNullOrEmpty(town)))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: json (counts per town, default) or csv with town= (the town's list).", "format",
                new Dictionary<string, object?> { ["detailZh"] = "format 可取 json（各乡镇街道人数）或 csv（须同时给出 town，下载该乡镇街道的催缴名单）" });
        }

        if (town is { Length: > TextLimits.Town })
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "text-too-long", "town is too long.", $"At most {TextLimits.Town} characters.", "town");
        }

        var end = EndOf(known);
        var ended = day >= end;
        var user = request.HttpContext.User;
        var wholeIds = user.IsInRole(FunctionRoles.Admin) || user.IsInRole(FunctionRoles.Staff);
        if (format == "csv")
        {
            var file = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            try
            {
                await using (var csv = CsvReportWriter.Create(file, Headers, leaveOpen: true))
                {
                    await foreach (var (entry, owed, paid) in DueAsync(known, day, ended, cancellationToken).ConfigureAwait(false))
                    {
                        if (string.Equals(ReportUnits.TownOf(entry) ?? ReportUnits.UnassignedName, town, StringComparison.Ordinal))
                        {
                            await csv.WriteRowAsync(
                            [
                                town, entry.Person.Name, wholeIds ? entry.IdNumber : RosterChecker.Mask(entry.IdNumber), entry.Person.Phone, entry.Person.Address, CsvReportWriter.Date(entry.Enrolment.EnrolledOn),
                                CsvReportWriter.Amount(entry.Enrolment.Terms.Payable), CsvReportWriter.Amount(paid), CsvReportWriter.Amount(owed),
                                CsvReportWriter.YesNo(entry.Request.MigrantWorkerWithProof == true),
                            ], cancellationToken).ConfigureAwait(false);
                        }
                    }
                }

                file.Position = 0;
                return Results.Stream(file, "text/csv; charset=utf-8", $"reminders-{known.Code}-{IsoDate.Text(day)}.csv");
            }
            catch
            {
                await file.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        var towns = new SortedDictionary<string, (int People, decimal Owed)>(StringComparer.Ordinal);
        await foreach (var (entry, owed, _) in DueAsync(known, day, ended, cancellationToken).ConfigureAwait(false))
        {
            var name = ReportUnits.TownOf(entry) ?? ReportUnits.UnassignedName;
            if (own is not null && !string.Equals(name, own, StringComparison.Ordinal))
            {
                continue;
            }

            var t = towns.GetValueOrDefault(name);
            towns[name] = (t.People + 1, t.Owed + owed);
        }

        var list = towns.Select(t => new ReminderTown(t.Key, t.Value.People, t.Value.Owed)).ToList();
        return TypedResults.Ok(new ReminderSummary(known.Code, IsoDate.Text(day), IsoDate.Text(end), ended, list, list.Sum(t => t.People), list.Sum(t => t.Owed)));
    }

    /// <summary>Registered on the day, not cancelled, owing; after the end only migrant workers.</summary>
    private async IAsyncEnumerable<(LedgerEntry Entry, decimal Owed, decimal Paid)> DueAsync(Policy policy, DateOnly day, bool ended,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var timeline = await PaidTimeline.LoadAsync(ledger, policy.Code, cancellationToken).ConfigureAwait(false);
        await foreach (var entry in ledger.ScanAsync(policy.Code, cancellationToken).ConfigureAwait(false))
        {
            var e = entry.Enrolment;
            if (e.EnrolledOn > day || ProgressReport.CancelledBy(e, day) || (ended && entry.Request.MigrantWorkerWithProof != true))
            {
                continue;
            }

            var paid = timeline.PaidBy(e, day);
            if (paid < e.Terms.Payable)
            {
                yield return (entry, e.Terms.Payable - paid, paid);
            }
        }
    }
}
