using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Rosters;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Reports;

/// <summary>
/// <c>GET /api/reports/{policy}/schools?school=&amp;date=&amp;view=figures|unpaid&amp;format=json|csv|xlsx</c> (staff,
/// school keys): per school and university, the pupils of its rosters enrolled and paid (wuhai-2022 五(三)
/// "务必全部纳入参保范围"; luyang-2023 八(四) "避免出现在校大学生未参保现象"), per 院系 for universities (luyang-2023
/// 五(四)). With <c>school=</c> the JSON also lists the pupils not yet insured; <c>view=unpaid</c> gives that list as a
/// file. A school key sees only its own school codes, with ID numbers masked; staff see every school, whole numbers.
/// </summary>
public sealed class SchoolsApi(EnrolmentLedger ledger, RosterResultStore rosters, PolicyCatalog policies, ChinaClock clock)
{
    private static readonly string[] FigureHeaders =
        ["学校代码", "类别", "院系", "名册人数", "参保登记人数", "参保缴费人数", "其中：个人缴费", "其中：全额资助", "其中：定额资助", "未参保人数", "未缴费人数", "参保缴费率"];

    private static readonly string[] PupilHeaders = ["学校代码", "院系", "姓名", "身份证号", "状态", "应缴金额", "已缴金额", "欠缴金额"];

    [Function("SchoolCompleteness")]
    [Roles(FunctionRoles.Staff, FunctionRoles.School)]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/schools")] HttpRequest request, string policy, CancellationToken cancellationToken)
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
        if (view is not ("figures" or "unpaid"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-view", "Unknown view.", "view: figures (default) or unpaid (with school=).", "view",
                new Dictionary<string, object?> { ["detailZh"] = "view 可取 figures（各校汇总，默认）或 unpaid（须同时给出 school，下载未参保未缴费学生名单）" });
        }

        var user = request.HttpContext.User;
        var staff = user.IsInRole(FunctionRoles.Staff) || user.IsInRole(FunctionRoles.Admin);
        var school = Query.Text(request, "school")?.Trim();
        if (school is not null && !RosterBlobs.IsSegment(school, 64))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-school", "Invalid school code.", "The school code is one path segment of at most 64 characters.", "school",
                new Dictionary<string, object?> { ["detailZh"] = "学校代码无效（不超过64个字符，不含 / \\ 或控制字符）" });
        }

        if (school is not null && !staff && !user.MayActForSchool(school))
        {
            return Problems.Problem(StatusCodes.Status403Forbidden, "forbidden-school", "This key may not act for this school.",
                $"The key of {user.Actor()} may only read its own school codes, not '{LogText.Of(school)}'.", "school",
                new Dictionary<string, object?> { ["detailZh"] = "学校账号只能查看本校的参保情况" });
        }

        if (view == "unpaid" && (school is null || format is null or "json"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "missing-school", "The unpaid list is per school, as a file.", "view=unpaid needs school= and format=csv or xlsx.", "school",
                new Dictionary<string, object?> { ["detailZh"] = "未缴费学生名单按学校生成：请给出 school，并选择 format=csv 或 xlsx" });
        }

        var code = school is null ? null : RosterBlobs.SchoolCode(school);
        bool Include(string s) => code is not null ? string.Equals(s, code, StringComparison.OrdinalIgnoreCase) : staff || user.MayActForSchool(s);
        var report = await SchoolsReport.BuildAsync(ledger, rosters, known, day, Include, listFor: code is not null,
            id => staff ? id : RosterChecker.Mask(id), cancellationToken).ConfigureAwait(false);
        if (format is null or "json")
        {
            return TypedResults.Ok(report);
        }

        var name = $"schools-{known.Code}-{(code is null ? "" : MonthlyReports.SafeName(code) + "-")}{IsoDate.Text(day)}";
        if (view == "unpaid")
        {
            return await ReportFiles.FileAsync(format, name + "-unpaid", "未缴费学生名单", PupilHeaders,
                report.NotPaid!.Select(p => (IReadOnlyList<object?>)[p.School, p.Faculty ?? "", p.Name, p.IdNumber, p.State == SchoolsReport.NotEnrolledState ? "未参保" : "未缴费", p.Payable, p.PaidSoFar, p.Owed]), cancellationToken).ConfigureAwait(false);
        }

        return await ReportFiles.FileAsync(format, name, "学校参保情况", FigureHeaders,
            report.Schools.SelectMany(s => (s.Faculties ?? []).Prepend(s)).Append(report.Total).Select(Cells), cancellationToken).ConfigureAwait(false);
    }

    private static IReadOnlyList<object?> Cells(SchoolFigures f) =>
        [f.School, ProgressFiles.KindLabel(f.Kind), f.Faculty ?? "", f.Pupils, f.Registered, f.Insured, f.Paid, f.Waived, f.Subsidised, f.NotEnrolled, f.Unpaid, ProgressFiles.Percent(f.Rate)];
}
