using System.Globalization;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Reports;
using Collection.Functions.Subsidies;
using Collection.Functions.TaxReturns;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.LastYear;

/// <summary>A day with payments and no tax return for it in time.</summary>
public sealed record MissingReturnDay(string Date, string DueBy, int Payments, decimal Amount);

/// <summary>Payments of one day that tax returned later than the policy allows, by one return.</summary>
public sealed record LateReturn(string PaidOn, string ReturnedOn, string Source, int DaysAfter, int Payments, decimal Amount);

public sealed record PaymentReturnDuty(int WithinDays, int ReturnFiles, IReadOnlyList<MissingReturnDay> MissingDays, IReadOnlyList<LateReturn> LateReturns);

/// <summary>One department's list against one deadline: on time, late (the list's date) or missing.</summary>
public sealed record DepartmentListDuty(string Department, string DepartmentZh, string Deadline, string DueBy, string Status, string StatusZh, string? ListDate);

public sealed record DutiesReport(string Policy, string AsOf, PaymentReturnDuty? PaymentReturns, IReadOnlyList<DepartmentListDuty> DepartmentLists)
{
    /// <summary>How many duties are late or missing on the day.</summary>
    public int Flagged => (PaymentReturns?.MissingDays.Count ?? 0) + (PaymentReturns?.LateReturns.Count ?? 0) + DepartmentLists.Count(d => d.Status != "on-time");
}

/// <summary>
/// Timeliness duties, <c>GET /api/reports/{policy}/duties?date=</c> (staff):
/// <list type="bullet">
/// <item>Tax payment returns (baiyin-2023 七 "尽量确保缴费信息回传时间达到T+1", deadline <c>payment-return</c> withinDays): a
/// day with payments for which tax returned nothing within the days allowed — no payment of the day returned by tax
/// in time and no return file (<c>tax-returns/{policy}/{yyyyMMdd}-…</c>) dated in them — is a missing day; payments
/// a return brought in later than that are late returns. Returned by tax: posted from a return file (its date is the
/// file's) or through the API by a tax key (the day it was posted).</item>
/// <item>Departments' lists (bagongshan-2022 四 "8月25日前……12月15日前将新增减人员名单统一提交"; luyang-2023 "集中参保期结束后，
/// 各相关部门每月5日前"): per department of the policy's <c>subsidyLists.departments</c>, the lists dropped in
/// <c>subsidy-lists/{policy}/{department}/{yyyyMMdd}-…</c> by their date, against each dated deadline whose code starts
/// with <c>subsidy-list</c> (a list dated after the previous such deadline and by this one) and against the monthly
/// <c>monthly-subsidy-changes</c> day of each month after the collection period, up to the day.</item>
/// </list>
/// </summary>
public sealed partial class DutiesApi(EnrolmentLedger ledger, BlobServiceClient blobs, PolicyCatalog policies, ChinaClock clock)
{
    public const string PaymentReturnDeadline = "payment-return";
    public const string MonthlyListsDeadline = "monthly-subsidy-changes";

    [Function("Duties")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/duties")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!ReportRequest.TryRead(request, policy, policies, clock, out var known, out var day, out var problem))
        {
            return problem;
        }

        var returns = known.Document.Deadlines?.FirstOrDefault(d => d.Code == PaymentReturnDeadline)?.WithinDays is { } within
            ? await PaymentReturnsAsync(known, day, within, cancellationToken).ConfigureAwait(false)
            : null;
        var lists = await DepartmentListsAsync(known, day, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new DutiesReport(known.Code, IsoDate.Text(day), returns, lists));
    }

    private async Task<PaymentReturnDuty> PaymentReturnsAsync(Policy policy, DateOnly day, int within, CancellationToken cancellationToken)
    {
        var fileDays = new SortedSet<DateOnly>();
        var files = 0;
        await foreach (var (_, date) in DatedBlobsAsync(TaxReturnsFunction.Container, policy.Code + "/", cancellationToken).ConfigureAwait(false))
        {
            files++;
            if (date <= day)
            {
                fileDays.Add(date);
            }
        }

        var days = new SortedDictionary<DateOnly, (int Payments, decimal Amount, bool ReturnedInTime)>();
        var late = new SortedDictionary<(DateOnly PaidOn, DateOnly ReturnedOn, string Source), (int Payments, decimal Amount)>();
        await foreach (var (_, _, payment) in ledger.ScanPaymentsAsync(policy.Code, cancellationToken).ConfigureAwait(false))
        {
            if (payment.PaidOn > day)
            {
                continue;
            }

            var returned = ReturnedOn(payment);
            if (returned is { } on && on > day)
            {
                returned = null; // returned after the day asked about: as of the day, not returned yet
            }

            var inTime = returned is { } r && r.DayNumber - payment.PaidOn.DayNumber <= within;
            var d = days.GetValueOrDefault(payment.PaidOn);
            days[payment.PaidOn] = (d.Payments + 1, d.Amount + payment.Amount, d.ReturnedInTime || inTime);
            if (returned is { } when && !inTime)
            {
                var key = (payment.PaidOn, when, payment.Actor.StartsWith(TaxReturnsActor, StringComparison.Ordinal) ? payment.Actor[TaxReturnsActor.Length..] : "api");
                var l = late.GetValueOrDefault(key);
                late[key] = (l.Payments + 1, l.Amount + payment.Amount);
            }
        }

        var missing = new List<MissingReturnDay>();
        foreach (var (paidOn, d) in days)
        {
            var dueBy = paidOn.AddDays(within);
            if (dueBy >= day || d.ReturnedInTime || fileDays.GetViewBetween(paidOn, dueBy).Count > 0)
            {
                continue; // still within its days, or something came back for it in time
            }

            missing.Add(new MissingReturnDay(IsoDate.Text(paidOn), IsoDate.Text(dueBy), d.Payments, d.Amount));
        }

        return new PaymentReturnDuty(within, files, missing,
            [.. late.Select(l => new LateReturn(IsoDate.Text(l.Key.PaidOn), IsoDate.Text(l.Key.ReturnedOn), l.Key.Source, l.Key.ReturnedOn.DayNumber - l.Key.PaidOn.DayNumber, l.Value.Payments, l.Value.Amount))]);
    }

    private const string TaxReturnsActor = "tax-returns:";

    /// <summary>The day tax returned a payment: a return file's date, or the day a tax key posted it; null when tax did not.</summary>
    private static DateOnly? ReturnedOn(Domain.Enrolments.PostedPayment payment)
    {
        if (payment.Actor.StartsWith(TaxReturnsActor, StringComparison.Ordinal))
        {
            return DateOf(payment.Actor[TaxReturnsActor.Length..]);
        }

        return payment.Actor == FunctionRoles.Tax ? DateOnly.FromDateTime(payment.PostedAt.ToOffset(ChinaClock.Offset).DateTime) : null;
    }

    private async Task<List<DepartmentListDuty>> DepartmentListsAsync(Policy policy, DateOnly day, CancellationToken cancellationToken)
    {
        var duties = new List<DepartmentListDuty>();
        var departments = policy.Document.SubsidyLists?.Departments?.Select(d => d.Department).OfType<string>().Distinct(StringComparer.Ordinal).ToList() ?? [];
        var deadlines = policy.Document.Deadlines ?? [];
        var dated = deadlines.Where(d => d.Code is { } c && c.StartsWith("subsidy-list", StringComparison.Ordinal) && d.Date is not null)
            .Select(d => (Code: d.Code!, Date: IsoDate.Parse(d.Date!))).OrderBy(d => d.Date).ToList();
        var monthly = deadlines.FirstOrDefault(d => d.Code == MonthlyListsDeadline)?.DayOfMonth;
        foreach (var department in departments)
        {
            if (!Glossary.Departments.TryParse(department, out var value))
            {
                continue;
            }

            var code = Glossary.Departments.Code(value);
            var zh = Glossary.Departments.Label(value);
            var lists = new SortedSet<DateOnly>();
            await foreach (var (_, date) in DatedBlobsAsync(SubsidyListsFunction.Container, $"{policy.Code}/{code}/", cancellationToken).ConfigureAwait(false))
            {
                if (date <= day)
                {
                    lists.Add(date);
                }
            }

            // A list counts for one deadline: a late first list is not also the next deadline's list of changes.
            var previous = DateOnly.MinValue;
            foreach (var (deadline, due) in dated)
            {
                var duty = Check(code, zh, deadline, previous, due, DateOnly.MaxValue, lists, day);
                duties.Add(duty);
                previous = duty.ListDate is { } used && IsoDate.Parse(used) is var usedOn && usedOn > due ? usedOn : due;
            }

            if (monthly is { } dayOfMonth)
            {
                // After the collection period, each month's list by its day (the month's last day when shorter).
                var opened = policy.CollectionEnd;
                for (var month = new DateOnly(policy.CollectionEnd.Year, policy.CollectionEnd.Month, 1).AddMonths(1); month <= day && month <= policy.CoverageEnd; month = month.AddMonths(1))
                {
                    var due = month.AddDays(Math.Min(dayOfMonth, DateTime.DaysInMonth(month.Year, month.Month)) - 1);
                    if (due < day)
                    {
                        duties.Add(Check(code, zh, $"{MonthlyListsDeadline}:{month:yyyy-MM}", opened, due, month.AddMonths(1).AddDays(-1), lists, day));
                    }

                    opened = due;
                }
            }
        }

        return duties;
    }

    /// <summary>A list dated in (<paramref name="after"/>, <paramref name="due"/>] is on time; one dated later (by <paramref name="lateUntil"/>) is late; else missing once the day is past <paramref name="due"/>.</summary>
    private static DepartmentListDuty Check(string department, string zh, string deadline, DateOnly after, DateOnly due, DateOnly lateUntil, SortedSet<DateOnly> lists, DateOnly day)
    {
        var onTime = lists.FirstOrDefault(d => d > after && d <= due);
        if (onTime != default)
        {
            return new(department, zh, deadline, IsoDate.Text(due), "on-time", "按时报送", IsoDate.Text(onTime));
        }

        var late = lists.FirstOrDefault(d => d > due && d <= lateUntil);
        if (late != default)
        {
            return new(department, zh, deadline, IsoDate.Text(due), "late", "逾期报送", IsoDate.Text(late));
        }

        return day > due
            ? new(department, zh, deadline, IsoDate.Text(due), "missing", "未报送", null)
            : new(department, zh, deadline, IsoDate.Text(due), "not-due", "未到期限", null);
    }

    /// <summary>The blobs under <paramref name="prefix"/> whose file name starts with a date (yyyyMMdd-), with that date.</summary>
    private async IAsyncEnumerable<(string Name, DateOnly Date)> DatedBlobsAsync(string container, string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var client = blobs.GetBlobContainerClient(container);
        if (!await client.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            yield break;
        }

        await foreach (var blob in client.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, cancellationToken).ConfigureAwait(false))
        {
            if (DateOf(blob.Name) is { } date)
            {
                yield return (blob.Name, date);
            }
        }
    }

    /// <summary>The date a dropped file's name starts with (<c>{…}/{yyyyMMdd}-…</c>), or null.</summary>
    private static DateOnly? DateOf(string name)
    {
        var match = DatePrefix().Match(name);
        return match.Success && DateOnly.TryParseExact(match.Groups["date"].Value, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;
    }

    [GeneratedRegex(@"(^|/)(?<date>\d{8})-[^/]*$", RegexOptions.CultureInvariant)]
    private static partial Regex DatePrefix();
}
