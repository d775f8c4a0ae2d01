using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Reports;

/// <summary>
/// One county's (or the whole policy's) government money for its insured people: each level's share per person
/// times the people, the critical-illness premium, and the financing with the personal standard where the policy
/// gives it. <see cref="People"/>: insured on the day (registered, not cancelled, nothing left to pay).
/// </summary>
public sealed record FiscalShareRow(
    int? Tier,
    string CountyCode,
    string CountyName,
    int People,
    decimal Central,
    decimal Provincial,
    decimal City,
    decimal County,
    decimal Government,
    decimal? CriticalIllness,
    decimal? Financing,
    decimal PersonalPaid);

/// <summary>
/// 各级财政补助 (baiyin-2023 二(一), 附表, 二(三); luyang-2023 三): per county tier, insured people × each level's share of
/// the per-person subsidy, plus the critical-illness premium. An enrolment's county is the tier county named in its
/// town ("会宁县郭城驿镇"), else the county of its ID number's region code (where the number was issued), else
/// <c>unknown</c> (counted, with no level's share: the people are shown so staff can fix their towns).
/// </summary>
public sealed record FiscalSharesReport(string Policy, string AsOf, decimal PerPerson, decimal? CriticalIllnessPerPerson, decimal? FinancingPerPerson,
    IReadOnlyList<FiscalShareRow> Counties, FiscalShareRow Total)
{
    public const string UnknownCounty = "unknown";

    public static async Task<FiscalSharesReport?> BuildAsync(EnrolmentLedger ledger, Policy policy, DateOnly asOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Document.FiscalSubsidy is not { TotalPerPerson: { } perPerson } fiscal)
        {
            return null;
        }

        var counties = (fiscal.Tiers ?? []).SelectMany(t => (t.Counties ?? []).Select(c => (Tier: t, Code: c.Code!, Name: c.Name ?? c.Code!))).ToList();
        var people = new Dictionary<string, (int People, decimal Personal)>(StringComparer.Ordinal);
        var timeline = await PaidTimeline.LoadAsync(ledger, policy.Code, cancellationToken).ConfigureAwait(false);
        await foreach (var entry in ledger.ScanAsync(policy.Code, cancellationToken).ConfigureAwait(false))
        {
            var e = entry.Enrolment;
            if (e.EnrolledOn > asOf || ProgressReport.CancelledBy(e, asOf))
            {
                continue;
            }

            var paid = timeline.PaidBy(e, asOf);
            if (paid < e.Terms.Payable)
            {
                continue;
            }

            var key = counties.Count == 0 ? policy.Region : CountyOf(entry, counties.Select(c => (c.Code, c.Name)));
            var count = people.GetValueOrDefault(key);
            people[key] = (count.People + 1, count.Personal + Math.Min(paid, e.Terms.Payable));
        }

        FiscalShareRow Row(int? tier, string code, string name, int n, decimal personal, decimal central, decimal provincial, decimal city, decimal county) =>
            new(tier, code, name, n, n * central, n * provincial, n * city, n * county, n * perPerson,
                fiscal.CriticalIllnessPerPerson is { } ci ? n * ci : null, fiscal.FinancingPerPerson is { } f ? n * f : null, personal);

        var rows = new List<FiscalShareRow>();
        if (counties.Count == 0)
        {
            var (n, personal) = people.GetValueOrDefault(policy.Region);
            rows.Add(new FiscalShareRow(null, policy.Region, policy.Name, n, 0m, 0m, 0m, 0m, n * perPerson,
                fiscal.CriticalIllnessPerPerson is { } ci ? n * ci : null, fiscal.FinancingPerPerson is { } f ? n * f : null, personal));
        }
        else
        {
            foreach (var (tier, code, name) in counties)
            {
                var (n, personal) = people.GetValueOrDefault(code);
                rows.Add(Row(tier.Tier, code, name, n, personal, tier.Central, tier.Provincial, tier.City, tier.County));
            }

            if (people.TryGetValue(UnknownCounty, out var unknown))
            {
                rows.Add(new FiscalShareRow(null, UnknownCounty, "未识别县区", unknown.People, 0m, 0m, 0m, 0m, 0m, null, null, unknown.Personal));
            }
        }

        var total = new FiscalShareRow(null, "total", "合计", rows.Sum(r => r.People), rows.Sum(r => r.Central), rows.Sum(r => r.Provincial), rows.Sum(r => r.City),
            rows.Sum(r => r.County), rows.Sum(r => r.Government), fiscal.CriticalIllnessPerPerson is null ? null : rows.Sum(r => r.CriticalIllness ?? 0m),
            fiscal.FinancingPerPerson is null ? null : rows.Sum(r => r.Financing ?? 0m), rows.Sum(r => r.PersonalPaid));
        return new FiscalSharesReport(policy.Code, IsoDate.Text(asOf), perPerson, fiscal.CriticalIllnessPerPerson, fiscal.FinancingPerPerson, rows, total);
    }

    /// <summary>The tier county named in the enrolment's town, else the one of its ID number's region code, else <see cref="UnknownCounty"/>.</summary>
    public static string CountyOf(LedgerEntry entry, IEnumerable<(string Code, string Name)> counties)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return CountyOf(ReportUnits.TownOf(entry), entry.IdNumber, counties);
    }

    /// <summary>The same for someone who may not be enrolled: a town as a list gave it and an ID number.</summary>
    public static string CountyOf(string? town, string idNumber, IEnumerable<(string Code, string Name)> counties)
    {
        ArgumentNullException.ThrowIfNull(idNumber);
        ArgumentNullException.ThrowIfNull(counties);
        var list = counties.ToList();
        if (!string.IsNullOrWhiteSpace(town))
        {
            foreach (var (code, name) in list)
            {
                if (town.Contains(name, StringComparison.Ordinal))
                {
                    return code;
                }
            }
        }

        var region = idNumber.Length >= 6 ? idNumber[..6] : "";
        return list.Any(c => c.Code == region) ? region : UnknownCounty;
    }
}

/// <summary><c>GET /api/reports/{policy}/fiscal-shares?date=&amp;format=json|csv|xlsx</c> (staff, admin): 各级财政补助 per county.</summary>
public sealed class FiscalSharesApi(EnrolmentLedger ledger, PolicyCatalog policies, ChinaClock clock)
{
    private static readonly string[] Headers =
        ["档次", "县区代码", "县区", "参保人数", "中央财政", "省级财政", "市级财政", "县区财政", "财政补助合计", "大病保险筹资", "筹资总额", "个人缴费"];

    [Function("FiscalShares")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/fiscal-shares")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!ReportRequest.TryRead(request, policy, policies, clock, out var known, out var day, out var problem))
        {
            return problem;
        }

        var format = Query.Text(request, "format");
        if (format is not (null or "json" or "csv" or "xlsx"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: json (default), csv or xlsx.", "format");
        }

        if (await FiscalSharesReport.BuildAsync(ledger, known, day, cancellationToken).ConfigureAwait(false) is not { } report)
        {
            return Problems.Problem(StatusCodes.Status404NotFound, "no-fiscal-subsidy", "The policy gives no fiscal subsidy.",
                $"policies/{known.Code}.json has no fiscalSubsidy.", "policy",
                new Dictionary<string, object?> { ["detailZh"] = "该政策文件未规定财政补助标准" });
        }

        if (format is null or "json")
        {
            return TypedResults.Ok(report);
        }

        var rows = report.Counties.Append(report.Total).Select(r => (IReadOnlyList<object?>)
            [r.Tier is { } t ? $"第{t}档" : null, r.CountyCode, r.CountyName, r.People, r.Central, r.Provincial, r.City, r.County, r.Government, r.CriticalIllness, r.Financing, r.PersonalPaid]).ToList();
        var name = $"fiscal-shares-{known.Code}-{IsoDate.Text(day)}";
        return await ReportFiles.FileAsync(format, name, "各级财政补助", Headers, rows, cancellationToken).ConfigureAwait(false);
    }
}
