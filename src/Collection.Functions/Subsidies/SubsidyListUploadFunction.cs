using Azure.Storage.Blobs;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Subsidies;

/// <summary>
/// 资助对象名单 over HTTP (staff key): <c>PUT /api/subsidy-lists/{policy}/{department}/{fileName}</c> writes the
/// file as <c>subsidy-lists/{policy}/{department}/{yyyyMMdd}-{name}</c>, where <see cref="SubsidyListsFunction"/>
/// picks it up (the list's date from the name or <c>?date=yyyy-MM-dd</c>); 202 with the status URL. <c>GET</c>
/// on that URL answers the result once written (<c>processing</c> before), <c>GET …/rejected</c> the rejected rows.
/// </summary>
public sealed class SubsidyListUploadFunction(BlobServiceClient blobs, PolicyCatalog catalog, FileLimits limits)
{
    private const string Route = "subsidy-lists/{policy}/{department}/{fileName}";

    [Function("UploadSubsidyList")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Upload(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = Route)] HttpRequest request, string policy, string department, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Check(policy, department) is { } refused)
        {
            return refused;
        }

        if (FileDrops.DatedName(fileName, Query.Text(request, "date"), out var dated) is { } problem)
        {
            return problem;
        }

        var code = Glossary.Departments.Code(Glossary.Departments.Parse(department));
        return await FileDrops.UploadAsync(request, blobs, limits, SubsidyListsFunction.Container, SubsidyListsFunction.ResultsContainer, $"{policy}/{code}/{dated}",
            $"subsidy-lists/{Uri.EscapeDataString(policy)}/{code}/{Uri.EscapeDataString(dated)}", cancellationToken).ConfigureAwait(false);
    }

    [Function("SubsidyListStatus")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Status(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request, string policy, string department, string fileName, CancellationToken cancellationToken) =>
        Check(policy, department) ?? FileDrops.DatedName(fileName, null, out _)
        ?? await FileDrops.StatusAsync(blobs, SubsidyListsFunction.Container, SubsidyListsFunction.ResultsContainer, $"{policy}/{DepartmentCode(department)}/{fileName}", cancellationToken).ConfigureAwait(false);

    [Function("SubsidyListRejectedRows")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Rejected(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/rejected")] HttpRequest request, string policy, string department, string fileName, CancellationToken cancellationToken) =>
        Check(policy, department) ?? FileDrops.DatedName(fileName, null, out _)
        ?? await FileDrops.RejectedAsync(blobs, SubsidyListsFunction.ResultsContainer, $"{policy}/{department}/{fileName}", SubsidyListsFunction.Container, cancellationToken).ConfigureAwait(false);

    private static string DepartmentCode(string department) => Glossary.Departments.Code(Glossary.Departments.Parse(department));

    private IResult? Check(string policy, string department)
    {
        if (!catalog.TryGet(policy, out _))
        {
            return Problems.UnknownPolicy(policy, StatusCodes.Status400BadRequest);
        }

        if (!Glossary.Departments.TryParse(department, out _))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-department", "Unknown department.",
                $"'{LogText.Of(department)}' is not a department ({string.Join(", ", Glossary.Departments.Codes)}).", "department",
                new Dictionary<string, object?> { ["detailZh"] = "部门无法识别，应为 civil-affairs（民政）、disabled-federation（残联）、rural-revitalisation（乡村振兴）、ethnic-affairs（民委）或 health（卫健）" });
        }

        return null;
    }
}
