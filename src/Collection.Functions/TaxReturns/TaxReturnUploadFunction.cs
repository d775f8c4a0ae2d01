using Azure.Storage.Blobs;
using Collection.Domain.Policies;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.TaxReturns;

/// <summary>
/// 税务回传 over HTTP (tax key): <c>PUT /api/tax-returns/{policy}/{fileName}</c> writes the file as
/// <c>tax-returns/{policy}/{yyyyMMdd}-{name}</c>, where <see cref="TaxReturnsFunction"/> picks it up (the
/// date from the name or <c>?date=yyyy-MM-dd</c>); 202 with the status URL. <c>GET</c> on that URL answers the
/// result once the trigger wrote it (<c>processing</c> before), <c>GET …/rejected</c> the rejected rows as CSV.
/// </summary>
public sealed class TaxReturnUploadFunction(BlobServiceClient blobs, PolicyCatalog catalog, FileLimits limits)
{
    private const string Route = "tax-returns/{policy}/{fileName}";

    [Function("UploadTaxReturn")]
    [Roles(FunctionRoles.Tax)]
    public async Task<IResult> Upload(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = Route)] HttpRequest request, string policy, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!catalog.TryGet(policy, out _))
        {
            return Problems.UnknownPolicy(policy, StatusCodes.Status400BadRequest);
        }

        if (FileDrops.DatedName(fileName, Query.Text(request, "date"), out var dated) is { } problem)
        {
            return problem;
        }

        return await FileDrops.UploadAsync(request, blobs, limits, TaxReturnsFunction.Container, TaxReturnsFunction.ResultsContainer, $"{policy}/{dated}",
            $"tax-returns/{Uri.EscapeDataString(policy)}/{Uri.EscapeDataString(dated)}", cancellationToken).ConfigureAwait(false);
    }

    [Function("TaxReturnStatus")]
    [Roles(FunctionRoles.Tax)]
    public async Task<IResult> Status(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request, string policy, string fileName, CancellationToken cancellationToken) =>
        Check(policy, fileName) ?? await FileDrops.StatusAsync(blobs, TaxReturnsFunction.Container, TaxReturnsFunction.ResultsContainer, $"{policy}/{fileName}", cancellationToken).ConfigureAwait(false);

    [Function("TaxReturnRejectedRows")]
    [Roles(FunctionRoles.Tax)]
    public async Task<IResult> Rejected(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/rejected")] HttpRequest request, string policy, string fileName, CancellationToken cancellationToken) =>
        Check(policy, fileName) ?? await FileDrops.RejectedAsync(blobs, TaxReturnsFunction.ResultsContainer, $"{policy}/{fileName}", TaxReturnsFunction.Container, cancellationToken).ConfigureAwait(false);

    private IResult? Check(string policy, string fileName) =>
        !catalog.TryGet(policy, out _) ? Problems.UnknownPolicy(policy, StatusCodes.Status400BadRequest)
        : FileDrops.DatedName(fileName, null, out _);
}
