using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Subsidies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Reports;

/// <summary>
/// <c>GET /api/reports/{policy}/special-ledger?group=&amp;unit=&amp;date=&amp;view=figures|people&amp;format=json|csv|xlsx</c>
/// (staff, community): 分类专项台账 (bagongshan-2022 八(四) "建立分类专项台账，确保特困人员、低保对象、脱贫人口和残疾人等困难群体全员参保";
/// baiyin-2023 八(二) "各县、乡、村应继续建立健全农村低收入人口参保、资助台账"): counts per group and town (and county where the
/// policy has tiers); with <c>unit=</c> the JSON lists the people too, and <c>view=people</c> gives the list as a file.
/// Staff see whole ID numbers; community staff, who go door to door, see them masked (<c>110101********4511</c>).
/// </summary>
public sealed class SpecialLedgerApi(EnrolmentLedger ledger, SubsidyIdentityBook book, PolicyCatalog policies, ChinaClock clock)
{
    private static readonly string[] FigureHeaders = ["类别", "县区", "乡镇街道", "人数", "参保登记人数", "参保缴费人数", "其中：个人缴费", "其中：全额资助", "其中：定额资助", "未参保人数", "未缴费人数", "参保率"];

    private static readonly string[] PeopleHeaders = ["类别", "县区", "乡镇街道", "姓名", "身份证号", "资助身份", "认定部门", "参保状态", "登记日期", "应缴金额", "已缴金额", "财政资助金额"];

    [Function("SpecialLedger")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Community)]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/special-ledger")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!ReportRequest.TryRead(request, policy, policies, clock, out var known, out var day, out var problem))
        {
            return problem;
        }

        var format = Query.Text(request, "format");
        if (!ReportFiles.IsFormat(format))
        {
            return ReportFiles.UnknownFormat();
        }

        var view = Query.Text(request, "view") ?? "figures";
        if (view is not ("figures" or "people") || (view == "people" && format is null or "json"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-view", "Unknown view.", "view: figures (default) or people (with format=csv or xlsx).", "view",
                new Dictionary<string, object?> { ["detailZh"] = "view 可取 figures（各类别各乡镇人数，默认）或 people（人员名单，须选择 format=csv 或 xlsx）" });
        }

        string? group = null;
        if (Query.Text(request, "group") is { Length: > 0 } text)
        {
            if (text.Length > TextLimits.Cell || !SpecialGroups.TryParse(text, out var parsed))
            {
                return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-group", "Unknown group.", "group: 特困, 低保, 脱贫, 监测, 残疾, or a subsidy identity's code or label.", "group",
                    new Dictionary<string, object?> { ["detailZh"] = "group 可取 特困、低保、脱贫、监测、残疾，或某一资助身份的代码或名称" });
            }

            group = parsed;
        }

        var unit = Query.Text(request, "unit")?.Trim();
        if (unit is { Length: 0 })
        {
            unit = null;
        }

        if (unit is { Length: > TextLimits.Town })
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "text-too-long", "unit is too long.", $"At most {TextLimits.Town} characters.", "unit",
                new Dictionary<string, object?> { ["detailZh"] = $"乡镇街道名称不超过{TextLimits.Town}个字符" });
        }

        var user = request.HttpContext.User;
        var wholeIds = user.IsInRole(FunctionRoles.Staff) || user.IsInRole(FunctionRoles.Admin);
        var report = await SpecialLedger.BuildAsync(ledger, book, known, day, group, unit, listPeople: unit is not null || view == "people",
            id => wholeIds ? id : RosterChecker.Mask(id), cancellationToken).ConfigureAwait(false);
        if (format is null or "json")
        {
            return TypedResults.Ok(report);
        }

        var name = $"special-ledger-{known.Code}-{IsoDate.Text(day)}";
        if (view == "people")
        {
            return await ReportFiles.FileAsync(format, name + "-people", "专项台账人员", PeopleHeaders,
                report.People!.Select(p => (IReadOnlyList<object?>)[p.Group, p.County, p.Unit, p.Name, p.IdNumber, p.Identity, p.Department, SpecialLedger.StateLabel(p.State), p.EnrolledOn, p.Payable, p.PaidSoFar, p.Subsidy]), cancellationToken).ConfigureAwait(false);
        }

        return await ReportFiles.FileAsync(format, name, "分类专项台账", FigureHeaders,
            report.Units.Concat(report.Groups).Select(f => (IReadOnlyList<object?>)[f.Group, f.County, f.Unit, f.People, f.Registered, f.Insured, f.Paid, f.Waived, f.Subsidised, f.NotEnrolled, f.Unpaid, ProgressFiles.Percent(f.Rate)]), cancellationToken).ConfigureAwait(false);
    }
}
